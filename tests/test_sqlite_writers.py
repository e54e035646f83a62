"""`make run` serves SQLite to a small team (issue #15, item 9): two people writing at once both
succeed, the second waiting for the first, instead of a 500 "database is locked".

Each case runs the real settings (hoa_portal.settings.base) in a fresh interpreter against a
file database of its own, never the suite's PostgreSQL. Two threads, each on its own connection,
write as a request does, in one transaction that reads before it writes (ATOMIC_REQUESTS). The
first holds its transaction open for a moment after writing; the second begins meanwhile."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITERS = """
import json, sys, threading, time
import django
from django.conf import settings

if "--without-the-options" in sys.argv:
    settings.DATABASES["default"].pop("OPTIONS", None)
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE visit (id integer PRIMARY KEY, who text)")
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
connection.close()

first_wrote = threading.Event()
outcomes = {}


def write(name):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM visit")
            cursor.execute("INSERT INTO visit (who) VALUES (%s)", [name])
            if name == "first":
                first_wrote.set()
                time.sleep(1.0)
        outcomes[name] = "committed"
    except Exception as exc:
        outcomes[name] = f"{type(exc).__name__}: {exc}"
    finally:
        first_wrote.set()
        connection.close()


first = threading.Thread(target=write, args=("first",))
first.start()
first_wrote.wait()
second = threading.Thread(target=write, args=("second",))
second.start()
first.join()
second.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT who FROM visit ORDER BY id")
    stored = [row[0] for row in cursor.fetchall()]
print(json.dumps({"outcomes": outcomes, "stored": stored, "journal": journal}))
"""

# The meeting tally's triggers (conferences migration 0004) survive the rebuild of the meeting
# table that adding a constraint is on SQLite (0005): the tally still counts what is written.
MIGRATED_TALLY = """
import datetime, json, django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from conferences.models import Meeting, MeetingTally
meeting = Meeting.objects.create(kind="som", date=datetime.date(2015, 3, 1), status="planned")
Meeting.objects.filter(pk=meeting.pk).update(status="held")
Meeting.objects.create(kind="som", date=datetime.date(2016, 3, 1), status="held")
with connection.cursor() as cursor:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    triggers = [row[0] for row in cursor.fetchall()]
print(json.dumps({
    "tally": dict(MeetingTally.objects.values_list("status", "meetings")), "triggers": triggers
}))
"""

OPTIONS_PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps(settings.DATABASES["default"].get("OPTIONS", {})))
"""


def _run(script: str, tmp_path: Path, *args: str, database_url: str | None = None) -> dict:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
        "DJANGO_SETTINGS_MODULE": "hoa_portal.settings.base",
        "DEBUG": "true",
        "CELERY_BROKER_URL": "",
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_writers_at_once_both_commit(tmp_path):
    result = _run(WRITERS, tmp_path)

    assert result["outcomes"] == {"first": "committed", "second": "committed"}
    assert result["stored"] == ["first", "second"]
    assert result["journal"] == "wal"


def test_without_the_options_the_second_writer_finds_the_database_locked(tmp_path):
    """The case above proves something: the same writers, on Django's defaults, fail."""
    result = _run(WRITERS, tmp_path, "--without-the-options")

    assert result["outcomes"]["first"] == "committed"
    assert result["outcomes"]["second"] == "OperationalError: database is locked"
    assert result["stored"] == ["first"]


def test_the_options_are_sqlites_alone(tmp_path):
    sqlite = _run(OPTIONS_PROBE, tmp_path)
    postgresql = _run(OPTIONS_PROBE, tmp_path, database_url="postgres://portal@db.internal/cbm")

    assert sqlite == {
        "init_command": "PRAGMA journal_mode=WAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    assert "init_command" not in postgresql and "transaction_mode" not in postgresql


def test_the_meeting_tally_still_counts_after_the_migrations(tmp_path):
    result = _run(MIGRATED_TALLY, tmp_path)

    assert {
        "conferences_meeting_tally_insert",
        "conferences_meeting_tally_update",
        "conferences_meeting_tally_delete",
    } <= set(result["triggers"])
    assert result["tally"] == {"held": 2, "planned": 0}
