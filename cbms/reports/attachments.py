"""Report attachments: the checks a file passes before it is stored (name, size, content by its
bytes, not its name), and the sweep of stored files no report names."""

import datetime as dt
import logging
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from urllib.parse import urlsplit
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

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
# The parts read to judge a document ([Content_Types].xml, each *.rels) are a few KB in real
# files; reading is capped so that a part compressed a thousandfold costs nothing.
PART_READ_LIMIT = 2 * 1024 * 1024

# Macros, however the file is named: the VBA project (Office finds it by its relationship and
# content type, so all three are looked at), and macro-enabled packages embedded in the document.
MACRO_PART_NAMES = frozenset({"vbaproject.bin", "vbadata.xml"})
MACRO_MARKS = ("macroenabled", "vbaproject", "vbadata")  # in content types, relationship types
MACRO_FILE_SUFFIXES = frozenset(
    {".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam"}
)
# Content fetched from elsewhere when the file is opened or recalculated: every relationship
# with TargetMode="External" (a remote template, a linked picture or object, an external
# workbook), external workbook links and data connections. Two exceptions, because ordinary
# documents have them and nothing is fetched from another machine:
# - a hyperlink to a web page or an address (Office follows it only when the reader clicks it);
# - a hyperlink or the template of a document made from one, on the author's own disk
#   (`file:///C:\...\Report.dotx`, as Word records a company template).
# A file on another machine (`\\host\share`, `file://host/`) is refused: opening or clicking it
# hands the reader's Windows credentials to that machine.
HYPERLINK_TYPES = frozenset(
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        "http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink",  # ISO strict
    }
)
TEMPLATE_TYPES = frozenset(
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate",
        "http://purl.oclc.org/ooxml/officeDocument/relationships/attachedTemplate",
    }
)
HYPERLINK_SCHEMES = frozenset({"http", "https", "mailto"})
# A drive path (Windows) or a file URL without a host (macOS); `%` is refused after `file:///`
# so that an encoded `\\` cannot make a share of it.
LOCAL_FILE = re.compile(r"(?:file:///)?[a-z]:[\\/]|file:///[^/\\%]", re.IGNORECASE)
EXTERNAL_DATA_MARKS = ("spreadsheetml.externallink", "spreadsheetml.connections")
EXTERNAL_DATA_PARTS = ("xl/externallinks/", "xl/connections.xml")

# PDF polyglots: markup where browsers and sniffers look for it, or a zip archive anywhere (a
# zip reader finds one wherever its records are, appended or inside).
POLYGLOT_HEAD_BYTES = 8 * 1024
HTML_MARKS = (b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg", b"<!doctype html")
ZIP_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
ZIP_CENTRAL_HEADER = struct.Struct("<4sHHHHHHIIIHHHHHII")
ZIP_END_RECORD = struct.Struct("<4sHHHHIIH")
ZIP_METHODS = frozenset({0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99})
ZIP_NAME_MAX = 1024
SCAN_CHUNK = 1024 * 1024
SCAN_LOOKAHEAD = ZIP_CENTRAL_HEADER.size + ZIP_NAME_MAX


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def _not_office():
    _refuse(gettext("The file is not a valid Office document."))


def _refuse_macros():
    _refuse(
        gettext(
            "The document contains macros: save it as a .docx or .xlsx without macros and "
            "attach it again."
        )
    )


def _refuse_external():
    _refuse(
        gettext(
            "The document loads content from elsewhere (a remote template, an external data "
            "link or a linked object): remove it and attach the file again. Links to web "
            "pages are fine."
        )
    )


def attachment_validate(uploaded_file) -> AttachmentKind:
    """Name, size and content, before anything is stored; a ValidationError on `file` if not.

    The name judged is the one the client sent (`sent_name`, kept by the API's parser) where
    known: Django's parser and UploadedFile cut `../x.pdf` down to `x.pdf` before we see it.
    """
    name = uploaded_file.name or ""
    sent = getattr(uploaded_file, "sent_name", None) or name
    for candidate in (name, sent):
        if "/" in candidate or "\\" in candidate or ".." in candidate or "\x00" in candidate:
            _refuse(gettext("The file name must be a plain name, without folders."))
    if not name:
        _refuse(gettext("The file name must be a plain name, without folders."))
    kind = ATTACHMENT_KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        _refuse(gettext("Attach a PDF, DOCX or XLSX file."))
    size = uploaded_file.size or 0
    if size <= 0:
        _refuse(gettext("The file is empty."))
    limit = settings.REPORT_ATTACHMENT_MAX_BYTES
    if size > limit:
        _refuse(
            gettext("The file is larger than %(size)s MB.")
            % {"size": limit // (1024 * 1024) or limit}
        )
    if kind.content_type == "application/pdf":
        _pdf_check(uploaded_file)
    else:
        _zip_check(uploaded_file, kind)
    uploaded_file.seek(0)
    return kind


def office_package_check(uploaded_file, suffix: str) -> None:
    """The checks by content an Office attachment gets (a package of the kind its name says,
    without macros or content from elsewhere), for another upload of such a file (a spreadsheet
    to import); a ValidationError on `file` if it fails them."""
    _zip_check(uploaded_file, ATTACHMENT_KINDS[suffix])
    uploaded_file.seek(0)


def _pdf_check(uploaded_file) -> None:
    uploaded_file.seek(0)
    head = uploaded_file.read(POLYGLOT_HEAD_BYTES)
    if not head.startswith(b"%PDF-"):
        _refuse(gettext("The file is not a PDF."))
    lowered = head.lower()
    if any(mark in lowered for mark in HTML_MARKS) or _holds_zip_record(uploaded_file):
        _refuse(gettext("The file is not only a PDF: it also holds HTML or a zip archive."))


def _holds_zip_record(stream) -> bool:
    """Whether a zip record (local file header, central directory entry, end of central
    directory) lies anywhere in the stream. A signature alone is four bytes that compressed
    streams hold by chance; the fields after it must also make sense."""
    stream.seek(0)
    window = b""
    while True:
        chunk = stream.read(SCAN_CHUNK)
        window += chunk
        # Where a record may start in this window with all its fields read; the rest waits.
        starts_before = len(window) if not chunk else max(0, len(window) - SCAN_LOOKAHEAD)
        for signature in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"):
            at = window.find(signature, 0, starts_before + 3)
            while at != -1:
                if _zip_record_at(window, at):
                    return True
                at = window.find(signature, at + 1, starts_before + 3)
        if not chunk:
            return False
        window = window[starts_before:]


def _zip_record_at(data: bytes, at: int) -> bool:
    signature = data[at : at + 4]
    if signature == b"PK\x05\x06":
        record = data[at : at + ZIP_END_RECORD.size]
        if len(record) < ZIP_END_RECORD.size:
            return False
        _, disk, directory_disk, on_disk, total, *_ = ZIP_END_RECORD.unpack(record)
        return disk == 0 and directory_disk == 0 and on_disk == total
    header = ZIP_LOCAL_HEADER if signature == b"PK\x03\x04" else ZIP_CENTRAL_HEADER
    record = data[at : at + header.size]
    if len(record) < header.size:
        return False
    fields = header.unpack(record)
    if header is ZIP_LOCAL_HEADER:
        needed, method, name_length = fields[1], fields[3], fields[9]
    else:
        needed, method, name_length = fields[2], fields[4], fields[10]
    if (needed & 0xFF) > 63 or method not in ZIP_METHODS or not 0 < name_length <= ZIP_NAME_MAX:
        return False
    name = data[at + header.size : at + header.size + name_length]
    return len(name) == name_length and all(0x20 <= byte != 0x7F for byte in name)


def _zip_check(uploaded_file, kind: AttachmentKind) -> None:
    uploaded_file.seek(0)
    # Office writes a part first: bytes before it (a PDF, say) would make a polyglot.
    if uploaded_file.read(4) != b"PK\x03\x04":
        _not_office()
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                _refuse(gettext("The document holds too many parts."))
            if sum(entry.file_size for entry in entries) > ZIP_MAX_UNCOMPRESSED:
                _refuse(gettext("The document is too large once uncompressed."))
            names = {entry.filename for entry in entries}
            _parts_check(archive, entries)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,  # an encrypted part
        NotImplementedError,  # a compression zipfile does not know
        zlib.error,
        struct.error,
    ):
        _not_office()
    if not set(kind.required_parts) <= names:
        _refuse(gettext("The file's content does not match its extension."))


def _parts_check(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Macros and external content, judged by the parts' names, the content types declared in
    `[Content_Types].xml` and every relationship. Part names compare case-insensitively, as
    OPC (ECMA-376 part 2) says they do: `Word/VbaProject.bin` is still the VBA project."""
    folded = [entry.filename.replace("\\", "/").lower() for entry in entries]
    if len(set(folded)) != len(folded):  # which one would Office read?
        _not_office()
    for name in folded:
        path = PurePosixPath(name)
        if path.name in MACRO_PART_NAMES or path.suffix in MACRO_FILE_SUFFIXES:
            _refuse_macros()
        if name.startswith(EXTERNAL_DATA_PARTS):
            _refuse_external()
    for entry, name in zip(entries, folded, strict=True):
        if name == "[content_types].xml":
            for _element, attributes in _xml_elements(_read_part(archive, entry)):
                content_type = attributes.get("ContentType", "").lower()
                if any(mark in content_type for mark in MACRO_MARKS):
                    _refuse_macros()
                if any(mark in content_type for mark in EXTERNAL_DATA_MARKS):
                    _refuse_external()
        elif name.endswith(".rels"):
            for element, attributes in _xml_elements(_read_part(archive, entry)):
                if element == "Relationship":
                    _relationship_check(attributes)


def _relationship_check(attributes: dict[str, str]) -> None:
    kind = attributes.get("Type", "").strip()
    if any(mark in kind.lower() for mark in MACRO_MARKS):
        _refuse_macros()
    if attributes.get("TargetMode", "").strip().lower() != "external":
        return
    target = attributes.get("Target", "").strip()
    if LOCAL_FILE.match(target) and (kind in HYPERLINK_TYPES or kind in TEMPLATE_TYPES):
        return
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        scheme = ""
    if kind not in HYPERLINK_TYPES or scheme not in HYPERLINK_SCHEMES:
        _refuse_external()


def _read_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    if entry.file_size > PART_READ_LIMIT:
        _not_office()
    with archive.open(entry) as part:
        data = part.read(PART_READ_LIMIT + 1)
    if len(data) > PART_READ_LIMIT:
        _not_office()
    return data


def _xml_elements(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """Each element of a package part as (local name, attributes). A part with a DTD is refused
    before any entity is expanded: OPC forbids DTDs, and entity expansion is how XML bombs and
    external entities work. Malformed XML is refused too."""
    elements: list[tuple[str, dict[str, str]]] = []
    parser = expat.ParserCreate(namespace_separator=" ")

    def element(name, attributes):
        elements.append((name.rpartition(" ")[2], attributes))

    def declaration(*_args):
        _not_office()

    parser.StartElementHandler = element
    parser.StartDoctypeDeclHandler = declaration
    parser.EntityDeclHandler = declaration
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        _not_office()
    return elements


def attachment_open(attachment: ReportAttachment) -> tuple[IO[bytes], int]:
    """The stored bytes as a stream read while they are sent, and how many there are;
    FileNotFoundError when the storage holds no such file.

    On disk that is the open file. From object storage, django-storages' file would first copy
    the whole object into memory or a temporary file: the object's body is streamed instead.
    """
    from botocore.exceptions import ClientError
    from storages.backends.s3 import S3File

    handle = attachment.file.storage.open(attachment.file.name, "rb")
    if not isinstance(handle, S3File):
        return handle, handle.size
    try:
        stored = handle.obj.get()
    except ClientError as exc:  # deleted since the storage looked it up
        if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            raise FileNotFoundError(attachment.file.name) from exc
        raise
    return stored["Body"], stored["ContentLength"]


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
            except Exception:
                # Object storage says "gone" its own way (boto3's ClientError 404).
                if storage.exists(name):
                    raise
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
