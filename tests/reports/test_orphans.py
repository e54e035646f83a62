"""Attachment files never outlive a failed write: the service deletes what it stored when its
transaction fails, and the hourly sweep deletes what a later rollback left behind."""

import datetime as dt
import os
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from cbms.models import ProgressReport, ReportAttachment
from cbms.reports.attachments import attachment_orphans_delete
from cbms.reports.services import attachment_add
from cbms.reports.tasks import report_attachment_orphans_sweep
from hoa_portal.celery import app
from tests.reports.conftest import minimal_pdf


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _stored(media) -> list:
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


def _attach(rw, report, name="r.pdf"):
    return attachment_add(
        report=report, actor=rw.fp_fra, uploaded_file=SimpleUploadedFile(name, minimal_pdf())
    )


def _age(path, hours: float) -> None:
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


# --- The service cleans up after itself ---------------------------------------------------------


def test_a_failing_row_write_deletes_the_stored_file(rw, media):
    report = rw.start()
    with (
        mock.patch.object(ReportAttachment, "save", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        _attach(rw, report)
    assert _stored(media) == []
    assert not ReportAttachment.objects.exists()
    assert ProgressReport.objects.get().version == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_commit_deletes_the_stored_file(rw, media):
    """The service's own transaction is the outermost one and fails at COMMIT."""
    report = rw.start()
    connection = connections["default"]
    assert not connection.in_atomic_block
    with (
        mock.patch.object(connection, "commit", side_effect=DatabaseError("could not serialize")),
        pytest.raises(DatabaseError),
    ):
        _attach(rw, report)
    assert _stored(media) == []
    assert not ReportAttachment.objects.exists()


def test_a_later_rollback_leaves_an_orphan_the_sweep_removes(rw, media):
    """An enclosing transaction (a request) that rolls back after the service returned: the row
    is gone, the file stays until the sweep finds it an hour old."""
    report = rw.start()
    with transaction.atomic():
        attachment = _attach(rw, report)
        transaction.set_rollback(True)
    assert not ReportAttachment.objects.exists()
    assert _stored(media) == [attachment.file.name]
    assert attachment_orphans_delete() == []  # too young: its transaction might still commit
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    assert attachment_orphans_delete(now=later) == [attachment.file.name]
    assert _stored(media) == []


# --- The sweep ----------------------------------------------------------------------------------


def test_sweep_removes_old_orphans_only(rw, media):
    report = rw.start()
    kept_old = _attach(rw, report, "kept-old.pdf").file.name
    kept_new = _attach(rw, report, "kept-new.pdf").file.name
    _age(media / kept_old, hours=5)
    reports = media / "reports"
    (reports / "orphan-old.pdf").write_bytes(b"x")
    _age(reports / "orphan-old.pdf", hours=2)
    (reports / "orphan-fresh.pdf").write_bytes(b"x")
    _age(reports / "orphan-fresh.pdf", hours=0.5)
    (reports / "nested").mkdir()
    (reports / "nested" / "orphan-old.docx").write_bytes(b"x")
    _age(reports / "nested" / "orphan-old.docx", hours=3)
    (media / "elsewhere").mkdir()
    (media / "elsewhere" / "old.pdf").write_bytes(b"x")  # not the attachments folder
    _age(media / "elsewhere" / "old.pdf", hours=48)

    deleted = attachment_orphans_delete()

    assert sorted(deleted) == ["reports/nested/orphan-old.docx", "reports/orphan-old.pdf"]
    assert _stored(media) == sorted(
        ["elsewhere/old.pdf", kept_old, kept_new, "reports/orphan-fresh.pdf"]
    )
    assert ReportAttachment.objects.count() == 2
    # Idempotent: a second run (a redelivered task) finds nothing more.
    assert attachment_orphans_delete() == []
    assert len(_stored(media)) == 4


def test_sweep_without_an_attachments_folder_does_nothing(db, media):
    assert attachment_orphans_delete() == []


def test_the_task_sweeps_and_is_scheduled(rw, media):
    report = rw.start()
    kept = _attach(rw, report).file.name
    orphan = media / "reports" / "orphan.pdf"
    orphan.write_bytes(b"x")
    _age(orphan, hours=2)
    report_attachment_orphans_sweep.delay()
    report_attachment_orphans_sweep.delay()
    assert _stored(media) == [kept]
    name = "cbms.reports.tasks.report_attachment_orphans_sweep"
    assert name in app.tasks
    assert name in {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
