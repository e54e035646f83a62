"""`backup` → empty instance → `restore` → compare: every table row by row (history, tokens,
sessions, the meeting tally included), the counters that number new rows, the database's
triggers, and every file byte for byte; on local disk and on a bucket (issue #16).

The instance is built with the factories and the real services: a plan derived and published
(its predecessor superseded, both frozen), a report with attachments submitted, returned,
submitted again and accepted (immutable submissions, reviews, notices), meetings counted by the
tally's triggers, a deleted meeting (a gap in the ids), an API token with its grant, a
second-factor device, a signed-in session, and files in storage no row names.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from cbms.models import ImplementationPlanVersion, PlanStatus, ReportSubmission
from cbms.records.services import plan_version_derive, plan_version_publish
from cbms.reports.services import (
    attachment_add,
    report_accept,
    report_return,
    report_submit,
    report_update_draft,
)
from conferences.models import MeetingStatus, MeetingTally
from hoa_portal.backup import MANIFEST, backup_create
from hoa_portal.settings.base import media_storage
from members.models import Country
from members.services import api_token_issue
from tests.conferences.factories import MeetingFactory
from tests.media.conftest import new_bucket
from tests.media.snapshot import database_snapshot
from tests.reports.conftest import minimal_docx, minimal_pdf

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Store:
    """The default storage as the test sees it from outside: the folder, or the bucket."""

    kind: str
    root: Path | None = None
    bucket: object = None

    def files(self) -> dict[str, bytes]:
        if self.bucket is not None:
            return self.bucket.contents()
        return {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in self.root.rglob("*")
            if path.is_file()
        }

    def clear(self) -> None:
        if self.bucket is not None:
            for key in self.bucket.names():
                self.bucket.client.delete_object(Bucket=self.bucket.name, Key=key)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(params=["local", "s3"])
def store(request, settings, tmp_path) -> Store:
    if request.param == "s3":
        return Store("s3", bucket=request.getfixturevalue("bucket"))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": media_storage("")}
    return Store("local", root=tmp_path / "media")


def rich_instance(rw, client) -> int:
    """Build it; return the id of the meeting deleted last, which no new meeting may take."""
    report = rw.start()
    first, second = rw.activities
    report_update_draft(
        report=report,
        actor=rw.fp_fra,
        narrative="Progress on both activities — ½ done",
        activities=[
            {"activity": first.pk, "status": "completed", "percent": 100, "note": "Done"},
            {"activity": second.pk, "status": "in_progress", "percent": 40, "note": "Later"},
        ],
    )
    for name, content in (("minutes <1>.pdf", minimal_pdf()), ("plan.docx", minimal_docx())):
        attachment_add(
            report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile(name, content)
        )
    report = report_submit(report=report, actor=rw.fp_fra)
    report = report_return(report=report, actor=rw.staff, comment="Add the second RTG.")
    report = report_update_draft(report=report, actor=rw.fp_fra, narrative="Both RTGs held")
    report = report_accept(report=report_submit(report=report, actor=rw.fp_fra), actor=rw.staff)

    # After the report: the new plan supersedes the one it reported on.
    in_force = ImplementationPlanVersion.objects.get(cbm=rw.cbm, status=PlanStatus.IN_FORCE)
    draft = plan_version_derive(plan=in_force, actor=rw.staff)
    plan_version_publish(plan=draft, actor=rw.staff, adopted_on=dt.date(2020, 1, 15))

    for status in ("held", "held", "held", "planned", "planned", "cancelled"):
        MeetingFactory(status=status, host=rw.france, notes=f"{status} meeting")
    gone = MeetingFactory(status="planned")
    gone_id = gone.pk
    gone.delete()  # an id given and gone, and the tally back down

    api_token_issue(user=rw.fp_fra, second_factor=False)
    TOTPDevice.objects.create(user=rw.staff, name="Phone", confirmed=True)
    client.force_login(rw.staff)  # a session row
    default_storage.save("reports/orphan.pdf", ContentFile(b"%PDF-1.4 no row names me"))
    default_storage.save("exports/notes.txt", ContentFile("Kabul – ü".encode()))
    return gone_id


def _flushed() -> None:
    """Empty as `migrate` leaves a database: only the content types and permissions it writes."""
    call_command("flush", interactive=False, verbosity=0)


def test_backup_then_restore_reproduces_every_row_and_every_file(rw, client, store, tmp_path):
    gone_id = rich_instance(rw, client)
    before, files = database_snapshot(), store.files()
    tally = dict(MeetingTally.objects.values_list("status", "meetings"))
    assert tally == {"held": 3, "planned": 2, "cancelled": 1}
    assert len(files) == 4 and ReportSubmission.objects.count() == 2

    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    manifest = _manifest(archive)
    assert {entry["name"]: entry["sha256"] for entry in manifest["files"]} == {
        name: hashlib.sha256(content).hexdigest() for name, content in files.items()
    }
    assert manifest["tables_not_backed_up"] == [] and manifest["missing_files"] == []
    assert manifest["rows"] == sum(len(rows) for rows in before["tables"].values())

    _flushed()
    store.clear()
    assert database_snapshot()["tables"] != before["tables"] and store.files() == {}

    call_command("restore", str(archive), verbosity=0)

    after = database_snapshot()
    for table, rows in before["tables"].items():
        assert after["tables"][table] == rows, table
    assert after == before  # the counters and triggers too
    assert store.files() == files

    # The guards hold again, and count from where they were.
    meeting = MeetingFactory(status=MeetingStatus.HELD)
    assert MeetingTally.objects.get(status="held").meetings == 4
    assert meeting.pk > gone_id
    assert Country.objects.create(code="ITA", name="Italy").pk > rw.germany.pk
    if connection.vendor == "postgresql":
        superseded = ImplementationPlanVersion.objects.get(status=PlanStatus.SUPERSEDED)
        for statement in (
            f"UPDATE cbms_priorityarea SET title = 'x' WHERE plan_id = {superseded.pk}",
            "UPDATE cbms_reportsubmission SET narrative = 'x'",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                connection.cursor().execute(statement)


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile(MANIFEST).read())


def test_a_restore_into_an_instance_in_use_is_refused_and_changes_nothing(
    rw, client, store, tmp_path
):
    rich_instance(rw, client)
    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    Country.objects.create(code="ITA", name="Italy")
    before, files = database_snapshot(), store.files()
    with pytest.raises(CommandError, match="The database is not empty"):
        call_command("restore", str(archive), verbosity=0)
    _flushed()
    emptied = database_snapshot()
    with pytest.raises(CommandError, match="The storage is not empty"):
        call_command("restore", str(archive), verbosity=0)
    assert database_snapshot() == emptied and store.files() == files
    assert before != emptied


def test_force_replaces_what_the_instance_holds(rw, client, store, tmp_path):
    rich_instance(rw, client)
    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    before, files = database_snapshot(), store.files()
    Country.objects.create(code="ITA", name="Italy")
    MeetingFactory(status=MeetingStatus.CANCELLED)
    default_storage.delete("exports/notes.txt")
    default_storage.save("reports/after-the-backup.pdf", ContentFile(b"%PDF-1.4 new"))

    call_command("restore", str(archive), force=True, verbosity=0)

    assert database_snapshot() == before
    assert store.files() == files


def _rewritten(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with `change(name, bytes) -> bytes` applied to every member."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            content = change(member.name, source.extractfile(member).read())
            member.size = len(content)
            copy.addfile(member, io.BytesIO(content))
    return target


def _flipped_attachment(name: str, content: bytes) -> bytes:
    if name.startswith("files/reports/") and content.startswith(b"%PDF") and b"row" not in content:
        return content.replace(b"Catalog", b"Catalof")
    return content


def _migration_added(name: str, content: bytes) -> bytes:
    if name != MANIFEST:
        return content
    manifest = json.loads(content)
    manifest["migrations"].append(["cbms", "9999_from_the_future"])
    return json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_flipped_attachment, "The archive is damaged"),
        (_migration_added, "migrations are not the archive's"),
    ],
    ids=["damaged-file", "other-migrations"],
)
def test_a_damaged_or_foreign_archive_writes_nothing(rw, client, store, tmp_path, change, says):
    rich_instance(rw, client)
    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    bad = _rewritten(archive, tmp_path / "bad.tar.gz", change)
    _flushed()
    store.clear()
    emptied = database_snapshot()
    with pytest.raises(CommandError, match=says):
        call_command("restore", str(bad), verbosity=0)
    assert database_snapshot() == emptied and store.files() == {}


def test_an_archive_naming_a_file_outside_the_storage_writes_nothing(rw, client, store, tmp_path):
    rich_instance(rw, client)
    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    escape = b"written next to the storage"
    bad = tmp_path / "escaping.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(bad, "w:gz") as copy:
        for member in source:
            content = source.extractfile(member).read()
            if member.name == MANIFEST:
                manifest = json.loads(content)
                digest = hashlib.sha256(escape).hexdigest()
                manifest["files"].append({"name": "../escape.txt", "size": 13, "sha256": digest})
                content = json.dumps(manifest).encode()
                extra = tarfile.TarInfo("files/../escape.txt")
                extra.size = len(escape)
                copy.addfile(extra, io.BytesIO(escape))
            member.size = len(content)
            copy.addfile(member, io.BytesIO(content))
    _flushed()
    store.clear()
    emptied = database_snapshot()
    with pytest.raises(CommandError, match="names files outside the storage"):
        call_command("restore", str(bad), verbosity=0)
    assert database_snapshot() == emptied and store.files() == {}
    assert not any(path.name == "escape.txt" for path in tmp_path.rglob("*"))


def test_a_backup_never_replaces_another(tmp_path):
    archive = tmp_path / "instance.tar.gz"
    archive.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="never replaces another"):
        call_command("backup", str(archive), verbosity=0)
    assert archive.read_bytes() == b"yesterday's backup"
    assert not (tmp_path / "instance.tar.gz.partial").exists()


def test_a_failed_backup_leaves_no_archive(rw, tmp_path, store, monkeypatch):
    default_storage.save("reports/a.pdf", ContentFile(minimal_pdf()))
    monkeypatch.setattr(
        type(default_storage._wrapped), "open", lambda *args, **kwargs: 1 / 0, raising=True
    )
    archive = tmp_path / "instance.tar.gz"
    with pytest.raises(ZeroDivisionError):
        backup_create(archive=archive)
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == []


# --- The commands, in their own processes, into an instance just migrated ------------------------


def _database_url(tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """A new, empty database of the engine under test, and how to drop it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    url = (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{name}"
    )
    return url, drop


def _differences(before: dict, after: dict) -> str:
    """What differs between two snapshots, table by table, for a failure to say."""
    lines = []
    for part in sorted(set(before) | set(after)):
        old, new = before.get(part), after.get(part)
        if isinstance(old, dict) and isinstance(new, dict):
            for table in sorted(set(old) | set(new)):
                if old.get(table) != new.get(table):
                    gone = [row for row in old.get(table, []) if row not in new.get(table, [])]
                    added = [row for row in new.get(table, []) if row not in old.get(table, [])]
                    lines.append(f"{part}.{table}: lost {gone[:3]}, gained {added[:3]}")
        elif old != new:
            lines.append(f"{part}: {old} != {new}")
    return "\n".join(lines)


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_commands_restore_into_a_new_instance_on_a_new_bucket(
    rw, client, bucket, s3_endpoint, tmp_path
):
    """As an operator moves the portal: `backup` on the old instance, `migrate` and `restore`
    on the new one (another database, another bucket), each its own process."""
    rich_instance(rw, client)
    files = bucket.contents()
    before = database_snapshot()
    archive = tmp_path / "instance.tar.gz"
    call_command("backup", str(archive), verbosity=0)

    url, drop = _database_url(tmp_path)
    target = new_bucket(s3_endpoint, tmp_path / "unused")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.test",
        "DATABASE_URL": url,
        "MEDIA_STORAGE_URL": target.url,
    }
    try:
        _manage(env, "manage.py", "migrate", "--noinput", "-v0")
        said = _manage(env, "manage.py", "restore", str(archive))
        after = json.loads(_manage(env, "-m", "tests.media.snapshot"))
    finally:
        drop()
    assert "restored" in said
    before = json.loads(json.dumps(before))
    assert after == before, _differences(before, after)
    assert target.contents() == files
