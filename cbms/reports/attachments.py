"""Report attachments: the checks a file passes before it is stored (name, size, content by its
bytes, not its name), and the sweep of stored files no report names."""

import datetime as dt
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import ReportAttachment

logger = logging.getLogger(__name__)

ATTACHMENTS_FOLDER = "reports"  # cbms.models.reports.attachment_path writes here
ORPHAN_MIN_AGE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class AttachmentKind:
    content_type: str
    required_parts: tuple[str, ...] = ()


ATTACHMENT_KINDS = {
    ".pdf": AttachmentKind("application/pdf"),
    ".docx": AttachmentKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("[Content_Types].xml", "word/document.xml"),
    ),
    ".xlsx": AttachmentKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("[Content_Types].xml", "xl/workbook.xml"),
    ),
}
ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_UNCOMPRESSED = 100 * 1024 * 1024


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def attachment_validate(uploaded_file) -> AttachmentKind:
    """Name, size and content, before anything is stored; a ValidationError on `file` if not.

    The name judged is the one the client sent (`sent_name`, kept by the API's parser) where
    known: Django's parser and UploadedFile cut `../x.pdf` down to `x.pdf` before we see it.
    """
    name = uploaded_file.name or ""
    sent = getattr(uploaded_file, "sent_name", None) or name
    for candidate in (name, sent):
        if "/" in candidate or "\\" in candidate or ".." in candidate or "\x00" in candidate:
            _refuse("The file name must be a plain name, without folders.")
    if not name:
        _refuse("The file name must be a plain name, without folders.")
    kind = ATTACHMENT_KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        _refuse("Attach a PDF, DOCX or XLSX file.")
    size = uploaded_file.size or 0
    if size <= 0:
        _refuse("The file is empty.")
    limit = settings.REPORT_ATTACHMENT_MAX_BYTES
    if size > limit:
        _refuse(f"The file is larger than {limit // (1024 * 1024) or limit} MB.")
    uploaded_file.seek(0)
    if kind.content_type == "application/pdf":
        if uploaded_file.read(5) != b"%PDF-":
            _refuse("The file is not a PDF.")
    else:
        _zip_check(uploaded_file, kind)
    uploaded_file.seek(0)
    return kind


def _zip_check(uploaded_file, kind: AttachmentKind) -> None:
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                _refuse("The document holds too many parts.")
            if sum(entry.file_size for entry in entries) > ZIP_MAX_UNCOMPRESSED:
                _refuse("The document is too large once uncompressed.")
            names = {entry.filename for entry in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        _refuse("The file is not a valid Office document.")
    if not set(kind.required_parts) <= names:
        _refuse("The file's content does not match its extension.")


def attachment_orphans_delete(
    *, min_age: dt.timedelta = ORPHAN_MIN_AGE, now: dt.datetime | None = None
) -> list[str]:
    """Delete the files under the attachments folder that no ReportAttachment names and that are
    older than `min_age`; return their names. Idempotent.

    Younger files are left alone: they may belong to an upload whose transaction has not
    committed yet. Such orphans come from a request that failed after its upload was stored.
    """
    storage = ReportAttachment._meta.get_field("file").storage
    cutoff = (now or timezone.now()) - min_age
    names = _stored_files(storage, ATTACHMENTS_FOLDER)
    deleted = []
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        named = set(ReportAttachment.objects.filter(file__in=chunk).values_list("file", flat=True))
        for name in chunk:
            if name in named:
                continue
            try:
                if storage.get_modified_time(name) > cutoff:
                    continue
            except FileNotFoundError:  # gone meanwhile: another sweep
                continue
            storage.delete(name)
            deleted.append(name)
    if deleted:
        logger.info("Deleted %d attachment files no report names: %s", len(deleted), deleted)
    return deleted


def _stored_files(storage, folder: str) -> list[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" for name in files]
    for sub in folders:
        names += _stored_files(storage, f"{folder}/{sub}")
    return names
