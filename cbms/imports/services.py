"""Spreadsheet imports and bulk edits: preview, then confirm, then all of it or nothing.

A file is read and run as a dry run (nothing written) to show what it would do: records to create,
records to update (column: before → after), rows unchanged, and every error by row and column.
Confirming runs the same file again, for real, in one transaction: a row that has become wrong
in between (someone changed its record) refuses the whole import, and nothing is written. Each
record written gets a history row naming the import; compliance is re-evaluated once, for the
CBMs the import touched.

A bulk edit is an import the portal writes itself: the chosen records exported, one column set,
then previewed and confirmed like any file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from import_export.results import Result, RowResult

from conferences.models import MeetingKind, MeetingStatus
from hoa_portal.api.renderers import Table, csv_chunks
from hoa_portal.spreadsheets import (
    PortalResource,
    SpreadsheetRefused,
    read_csv,
    read_xlsx,
    resource_table,
)
from members.models import User

from ..compliance.invitations import invitations_record
from ..compliance.services import compliance_recompute_request
from ..models import ImportKind, ImportSource, ImportStatus, SpreadsheetImport
from ..reports.attachments import office_package_check
from .kinds import IMPORTABLE
from .permissions import can_confirm_import, can_import

# What a preview keeps to show, row by row; the counts are always whole.
PREVIEW_ROWS_KEPT = 500
PREVIEW_ERRORS_KEPT = 1000


# --- Exports for editing --------------------------------------------------------------------


def editable_records(kind: str, *, actor: User) -> tuple[PortalResource, QuerySet]:
    """The resource for these records and the ones the actor may change with it."""
    if not can_import(actor, kind):
        raise PermissionDenied
    resource = IMPORTABLE[kind].resource(actor=actor)
    return resource, resource.get_queryset()


# --- The preview ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What running a file did or would do, in the form SpreadsheetImport.preview keeps."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    touched_cbm_ids: set[int] = field(default_factory=set)
    written: list[tuple[Any, Any, bool]] = field(default_factory=list)  # instance, original, new

    def error(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < PREVIEW_ERRORS_KEPT:
            self.errors.append({"row": row, "column": column, "message": message})

    def record_on(self, spreadsheet_import: SpreadsheetImport) -> None:
        spreadsheet_import.rows = self.rows
        spreadsheet_import.created = self.created
        spreadsheet_import.updated = self.updated
        spreadsheet_import.unchanged = self.unchanged
        spreadsheet_import.errors = self.error_count
        spreadsheet_import.preview = {"changes": self.changes, "errors": self.errors}


def _outcome(resource: PortalResource, result: Result, headers: Sequence[str]) -> Outcome:
    outcome = Outcome(rows=result.total_rows)
    columns = {f.attribute: f.column_name for f in resource.get_import_fields() if f.attribute}
    shown = [f for f in resource.get_import_fields() if not f.readonly and f.column_name in headers]
    for row_result in result.rows:
        row = (row_result.row_values or {}).get("__row__")
        kind = row_result.import_type
        if kind == RowResult.IMPORT_TYPE_INVALID:
            for key, messages in row_result.validation_error.message_dict.items():
                column = "" if key == NON_FIELD_ERRORS else columns.get(key, key)
                for message in messages:
                    outcome.error(row, column, message)
        elif kind == RowResult.IMPORT_TYPE_ERROR:
            for error in row_result.errors:
                outcome.error(row, "", gettext("This row cannot be read: %s") % error.error)
        elif kind == RowResult.IMPORT_TYPE_SKIP:
            outcome.unchanged += 1
        elif kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            new = kind == RowResult.IMPORT_TYPE_NEW
            instance, original = row_result.instance, None if new else row_result.original
            if new:
                outcome.created += 1
            else:
                outcome.updated += 1
            outcome.touched_cbm_ids |= resource.touched_cbm_ids(instance, original)
            outcome.written.append((instance, original, new))
            if len(outcome.changes) < PREVIEW_ROWS_KEPT:
                outcome.changes.append(_change(resource, shown, row, instance, original))
    for error in result.base_errors:
        outcome.error(None, "", _database_refusal(resource, error.error))
    return outcome


def _change(resource, shown, row, instance, original) -> dict:
    def value(obj, f):
        return _shown(resource.export_field(f, obj)) if obj is not None else ""

    cells = [(f.column_name, value(original, f), value(instance, f)) for f in shown]
    if original is not None:
        cells = [cell for cell in cells if cell[1] != cell[2]]
    else:
        cells = [cell for cell in cells if cell[2] != ""]
    return {
        "row": row,
        "new": original is None,
        "id": instance.pk,
        "record": str(instance),
        "cells": [{"column": c, "before": b, "after": a} for c, b, a in cells],
    }


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _database_refusal(resource: PortalResource, error: Exception) -> str:
    """A write the database refused, said as the constraint's own message where it has one."""
    if isinstance(error, IntegrityError):
        text = str(error)
        for constraint in resource._meta.model._meta.constraints:
            if constraint.name in text:
                return (
                    gettext("The database refused a row: %s")
                    % constraint.get_violation_error_message()
                )
        return gettext(
            "The database refused a row: two rows, or a row and a record, would be the same."
        )
    return gettext("The import failed: %s") % error


# --- Reading what was sent ------------------------------------------------------------------


def _uploaded(uploaded_file) -> tuple[bytes, str]:
    """The bytes of an uploaded spreadsheet and its format, judged by name and by content."""
    name = uploaded_file.name or ""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ValidationError({"file": [gettext("Upload an .xlsx or a .csv file.")]})
    limit = settings.IMPORT_MAX_BYTES
    if not uploaded_file.size:
        raise ValidationError({"file": [gettext("The file is empty.")]})
    if uploaded_file.size > limit:
        raise ValidationError(
            {
                "file": [
                    gettext("The file is larger than %(size)s MB.")
                    % {"size": limit // 2**20 or limit}
                ]
            }
        )
    if suffix == ".xlsx":
        office_package_check(uploaded_file, ".xlsx")
    uploaded_file.seek(0)
    data = uploaded_file.read()
    if suffix == ".csv" and data.lstrip().startswith(
        (b"PK\x03\x04", b"%PDF-", b"\xd0\xcf\x11\xe0")
    ):
        raise ValidationError(
            {"file": [gettext("The file's content does not match its extension.")]}
        )
    return data, suffix.lstrip(".")


def _dataset(data: bytes, file_format: str) -> tablib.Dataset:
    reader = read_xlsx if file_format == "xlsx" else read_csv
    try:
        return reader(data, max_rows=settings.IMPORT_MAX_ROWS)
    except SpreadsheetRefused as refused:
        raise ValidationError({"file": [str(refused)]}) from refused


def _run(
    spreadsheet_import: SpreadsheetImport, dataset: tablib.Dataset, *, actor: User, dry_run: bool
):
    resource = IMPORTABLE[spreadsheet_import.kind].resource(
        actor=actor, reason=spreadsheet_import.history_reason
    )
    headers = list(dataset.headers)
    known = {f.column_name for f in resource.get_export_fields()}
    outcome = Outcome(rows=len(dataset))
    unknown = [name for name in headers if name and name not in known]
    if unknown or not set(headers) & (known - {"id", "revision"}):
        outcome.error(
            1,
            ", ".join(unknown),
            gettext("Columns the import does not know: use the template's (%(columns)s).")
            % {"columns": ", ".join(f.column_name for f in resource.get_export_fields())},
        )
        return outcome
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        raise_errors=False,
    )
    return _outcome(resource, result, headers)


# --- The services ---------------------------------------------------------------------------


@transaction.atomic
def import_preview(*, kind: str, uploaded_file, actor: User) -> SpreadsheetImport:
    """Read a file and record what importing it would do; nothing else is written."""
    if not can_import(actor, kind):
        raise PermissionDenied
    data, file_format = _uploaded(uploaded_file)
    dataset = _dataset(data, file_format)
    return _preview(
        kind=kind,
        source=ImportSource.FILE,
        file_name=PurePosixPath(uploaded_file.name).name[:255],
        file_format=file_format,
        data=data,
        dataset=dataset,
        actor=actor,
    )


@transaction.atomic
def bulk_edit_preview(
    *, kind: str, ids: Iterable[int], column: str, value: str, actor: User
) -> SpreadsheetImport:
    """Set one column of the chosen records to one value: previewed like an import of the
    records so edited, and confirmed like one."""
    resource, records = editable_records(kind, actor=actor)
    if column not in resource.bulk_columns:
        raise ValidationError({"column": [gettext("This column cannot be set for many rows.")]})
    ids = set(ids)
    if not ids:
        raise ValidationError({"ids": [gettext("Choose the rows to change.")]})
    chosen = records.filter(pk__in=ids)
    if chosen.count() != len(ids):
        # As a file touching a record one may not change: refused whole.
        raise ValidationError(
            {"ids": [gettext("Some of the rows chosen are not yours to change.")]}
        )
    table = resource_table(resource, chosen.order_by("pk"), name=kind)
    edited = Table(table.name, table.columns, ({**row, column: value} for row in table.rows))
    data = b"".join(csv_chunks(edited))
    return _preview(
        kind=kind,
        source=ImportSource.BULK_EDIT,
        file_name=f"{column} = {value}"[:255],
        file_format="csv",
        data=data,
        dataset=_dataset(data, "csv"),
        actor=actor,
    )


def _preview(*, kind, source, file_name, file_format, data, dataset, actor) -> SpreadsheetImport:
    spreadsheet_import = SpreadsheetImport.objects.create(
        kind=kind,
        source=source,
        file_name=file_name or "import",
        file_format=file_format,
        content=data,
        created_by=actor,
        status=ImportStatus.PREVIEWED,
    )
    outcome = _run(spreadsheet_import, dataset, actor=actor, dry_run=True)
    outcome.record_on(spreadsheet_import)
    if outcome.error_count:
        spreadsheet_import.status = ImportStatus.REFUSED
    spreadsheet_import.save()
    return spreadsheet_import


@transaction.atomic
def import_confirm(*, spreadsheet_import: SpreadsheetImport, actor: User) -> SpreadsheetImport:
    """Import what was previewed, all of it or nothing. If a row has become wrong since the
    preview (its record changed meanwhile), nothing is imported and the preview says why."""
    spreadsheet_import = SpreadsheetImport.objects.select_for_update().get(pk=spreadsheet_import.pk)
    if not can_confirm_import(actor, spreadsheet_import):
        raise PermissionDenied
    if spreadsheet_import.status != ImportStatus.PREVIEWED:
        raise ValidationError(
            gettext("This file was imported already.")
            if spreadsheet_import.status == ImportStatus.IMPORTED
            else gettext("This file has errors: correct them and upload it again.")
        )
    dataset = _dataset(bytes(spreadsheet_import.content), spreadsheet_import.file_format)
    outcome = _run(spreadsheet_import, dataset, actor=actor, dry_run=False)
    outcome.record_on(spreadsheet_import)
    if outcome.error_count:
        # django-import-export rolled its writes back; this record of why is kept.
        spreadsheet_import.status = ImportStatus.REFUSED
        spreadsheet_import.save()
        return spreadsheet_import
    spreadsheet_import.status = ImportStatus.IMPORTED
    spreadsheet_import.imported_at = timezone.now()
    spreadsheet_import.save()
    # Bulk writes send no signals: what the signals of a save would ask, asked once.
    compliance_recompute_request(cbm_ids=outcome.touched_cbm_ids)
    if spreadsheet_import.kind == ImportKind.MEETINGS:
        _meeting_invitations(outcome.written)
    return spreadsheet_import


def _meeting_invitations(written) -> None:
    """Planned RTGs invite their parties, and a planned RTG no longer planned cancels, as when
    each is saved in the portal (cbms.compliance.invitations). Held history invites no one."""
    for meeting, original, new in written:
        planned = meeting.kind == MeetingKind.RTG and meeting.status == MeetingStatus.PLANNED
        was_planned = original is not None and original.status == MeetingStatus.PLANNED
        if planned or (was_planned and original.kind == MeetingKind.RTG):
            invitations_record(meeting=meeting, created=new)
