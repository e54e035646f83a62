"""The feeds and an invitation imported into a real calendar client, Debian's `khal`: every
event arrives, on its day, and a second import after an edit updates the event, not a copy.

In CI khal must be there (.ci/run installs it): a missing client fails, it never skips."""

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from cbms.compliance import services
from cbms.compliance.calendar import calendar_feed_issue, meeting_uid
from conferences.models import MeetingStatus
from tests.calendar.conftest import events, parse
from tests.conferences.factories import RtgFactory

KHAL_CONFIG = """[calendars]
[[hoa]]
path = {calendar}
type = calendar

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Asia/Kabul
default_timezone = Asia/Kabul

[sqlite]
path = {database}
"""


class Khal:
    def __init__(self, root: Path):
        self.root = root
        (root / "calendar").mkdir()
        self.config = root / "khal.conf"
        self.config.write_text(
            KHAL_CONFIG.format(calendar=root / "calendar", database=root / "khal.db")
        )

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["khal", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TZ": "Asia/Kabul"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def import_(self, body: bytes, name: str = "feed.ics") -> None:
        path = self.root / name
        path.write_bytes(body)
        self.run("import", "--batch", str(path))

    def list(self, start: dt.date, end: dt.date) -> list[tuple[str, ...]]:
        out = self.run(
            "list",
            "--once",
            "--format",
            "{uid}|{title}|{location}|{status}|{start-date}",
            start.isoformat(),
            end.isoformat(),
        )
        return [
            tuple(part.strip() for part in line.split("|"))
            for line in out.splitlines()
            if "|" in line
        ]

    def files(self) -> int:
        return len(list((self.root / "calendar").glob("*.ics")))


@pytest.fixture
def khal(tmp_path) -> Khal:
    if shutil.which("khal") is None:
        if os.environ.get("CI"):
            pytest.fail("khal is missing: .ci/run installs it (apt-get install -y khal)")
        pytest.skip("khal is not installed (apt-get install -y khal)")
    return Khal(tmp_path)


FROM, TO = dt.date(2014, 1, 1), dt.date(2031, 12, 31)


def test_the_public_feed_imports_into_khal(cal, client, khal):
    body = client.get("/calendar/meetings.ics").content
    khal.import_(body)
    listed = {row[0]: row for row in khal.list(FROM, TO)}
    assert set(listed) == set(events(parse(body)))
    uid, title, location, status, start = listed[meeting_uid(cal.held.pk)]
    assert (title, location, status) == (
        "DM&EP: Regional Technical Group meeting",
        "Lyon, France",
        "CONFIRMED",
    )
    assert start == "2015-02-01"


def test_a_cbm_feed_imports_into_khal(cal, client, khal):
    khal.import_(client.get("/cbms/DM%26EP/calendar.ics").content)
    assert [row[0] for row in khal.list(FROM, TO)] == [meeting_uid(cal.held.pk)]


def test_the_private_feed_imports_and_a_second_import_updates_not_duplicates(cal, client, khal):
    url = reverse("calendar:feed", args=[calendar_feed_issue(user=cal.secretariat)])
    body = client.get(url).content
    khal.import_(body)
    uids = set(events(parse(body)))
    assert {row[0] for row in khal.list(FROM, TO)} == uids
    windows = [row for row in khal.list(FROM, TO) if row[0].startswith("obligation-")]
    assert len(windows) == 4 and all("(MC 1)" in row[1] for row in windows)
    files = khal.files()

    cal.planned.date, cal.planned.status = dt.date(2030, 9, 9), MeetingStatus.CANCELLED
    cal.planned.save()
    khal.import_(client.get(url).content, "again.ics")
    assert khal.files() == files  # the same events, updated in place
    listed = {row[0]: row for row in khal.list(FROM, TO)}
    assert set(listed) == uids
    assert listed[meeting_uid(cal.planned.pk)][3:] == ("CANCELLED", "2030-09-09")


def test_an_invitation_imports_into_khal(
    cal, khal, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "_enqueue_drain", lambda: None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        meeting = RtgFactory(
            cbm=cal.cbm, date=dt.date(2030, 5, 20), status=MeetingStatus.PLANNED, city="Bonn"
        )
    (part,) = mail.outbox[0].attachments
    khal.import_(part.get_payload(decode=True), "invitation.ics")
    listed = {row[0]: row for row in khal.list(FROM, TO)}
    assert listed[meeting_uid(meeting.pk)][2:] == ("Bonn", "TENTATIVE", "2030-05-20")
