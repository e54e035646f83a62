"""Spreadsheets people edit and send back: reading them, and the django-import-export pieces
every import of records shares (cbms.imports runs the imports; each app declares the resource
of its own records).

A resource's columns are its export's and its import's alike: a file exported yesterday, edited
in Excel or LibreOffice, imports as the changes made to it. Cells come back as the exports wrote
them: codes for related records (`AFG`, `CT`), values for choices (`held`), `YYYY-MM-DD` dates,
and text that the exports neutralised against formulas (`'=x`) reads as the text it was.

Rows are matched to records by their id or, without one, by the natural key the resource names
(a meeting: CBM, kind, date and city), all at once: a file of ten thousand rows costs the same
few queries as a file of one, apart from the writes, which go in batches with their history.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from hoa_portal.api.renderers import FORMULA_STARTS, ExportColumn, Table
from members.permissions import can_edit_records

REVISION_COLUMN = "revision"
EMPTY = (None, "")


class SpreadsheetRefused(ValueError):
    """A file that is no spreadsheet we read, or one past the limits: said to the person."""


# --- Reading files ------------------------------------------------------------------------------


def read_xlsx(data: bytes, *, max_rows: int) -> tablib.Dataset:
    """The first sheet, its first row the header. Formulas are read as the values the program
    that saved the file computed (openpyxl's data_only): nothing is ever evaluated here."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises whatever its parsers do on a broken package
        raise SpreadsheetRefused(gettext("The workbook cannot be read.")) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetRefused(gettext("The workbook has no sheet."))
        rows = sheet.iter_rows(values_only=True)
        return _dataset(rows, max_rows=max_rows)
    finally:
        workbook.close()


def read_csv(data: bytes, *, max_rows: int) -> tablib.Dataset:
    """UTF-8 (with or without the byte-order mark Excel writes), separated by commas, or by the
    semicolons or tabs Excel uses where the comma is the decimal separator."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetRefused(
            gettext("The CSV file is not UTF-8: save it as “CSV UTF-8” and upload it again.")
        ) from error
    if "\x00" in text:
        raise SpreadsheetRefused(gettext("The file is not a CSV file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return _dataset(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), max_rows=max_rows
    )


def _dataset(rows: Iterable[Sequence[Any]], *, max_rows: int) -> tablib.Dataset:
    rows = iter(rows)
    header = next(rows, None)
    if not header or not any(cell not in EMPTY for cell in header):
        raise SpreadsheetRefused(gettext("The first row must name the columns."))
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    while names and not names[-1]:
        names.pop()
    named = [name for name in names if name]
    if len(set(named)) != len(named):
        raise SpreadsheetRefused(gettext("Two columns have the same name."))
    dataset = tablib.Dataset(headers=names)
    for row in rows:
        cells = list(row[: len(names)])
        if all(cell in EMPTY for cell in cells):
            continue  # empty rows between or after the data, as spreadsheets leave them
        if len(dataset) == max_rows:
            raise SpreadsheetRefused(
                gettext("The file has more than %(rows)s rows: split it.") % {"rows": max_rows}
            )
        dataset.append(cells + [None] * (len(names) - len(cells)))
    return dataset


def plain_text(value: Any) -> str:
    """A text cell as it was meant: the apostrophe the exports put before text that starts
    like a formula is taken off again; a number Excel made of a code is its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# --- Widgets: a cell to a value and back --------------------------------------------------------


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return plain_text(value)

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = plain_text(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value() or number < 0:
            raise ValueError(gettext("Write a whole number, such as 3."))
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return value


class DayWidget(widgets.Widget):
    """A date cell, or text written YYYY-MM-DD (the exports' form, the one no reader misreads)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            if value.time() != dt.time():
                raise ValueError(gettext("Give a day without a time of day."))
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = plain_text(value)
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text.removesuffix(" 00:00:00").removesuffix("T00:00:00"))
        except ValueError:
            raise ValueError(
                gettext("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2016-12-04.")
                % {"value": text}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value


class FlagWidget(widgets.Widget):
    TRUE = {"true", "yes", "1"}
    FALSE = {"false", "no", "0", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = plain_text(value).casefold()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(gettext("Write true or false."))

    def render(self, value, obj=None, **kwargs):
        return bool(value)


class ChoiceWidget(widgets.Widget):
    """A choice by its value (`held`, as exported) or by its label in English or the page's
    language (`Regional Technical Group meeting`, as the portal's own lists show it)."""

    def __init__(self, choices, *, required: bool = True):
        self.choices = choices
        self.required = required
        self._spellings: dict[str, dict[str, str]] = {}  # by language: spelling → value
        super().__init__()

    def spellings(self) -> dict[str, str]:
        language = translation.get_language() or ""
        if language not in self._spellings:
            with translation.override("en"):
                english = {str(label).casefold(): choice for choice, label in self.choices.choices}
            self._spellings[language] = {
                **english,
                **{str(label).casefold(): choice for choice, label in self.choices.choices},
                **{choice.casefold(): choice for choice in self.choices.values},
            }
        return self._spellings[language]

    def clean(self, value, row=None, **kwargs):
        text = plain_text(value)
        if not text:
            if self.required:
                raise ValueError(gettext("This column needs a value."))
            return ""
        choice = self.spellings().get(text.casefold())
        if choice is not None:
            return choice
        raise ValueError(
            gettext("“%(value)s” is none of: %(choices)s.")
            % {"value": text, "choices": ", ".join(self.choices.values)}
        )

    def render(self, value, obj=None, **kwargs):
        return value or ""


class CodeWidget(widgets.ForeignKeyWidget):
    """A related record by its code (a country's AFG, a CBM's CT, an organization's acronym).
    The records are read once per import, into memory: there are tens of them, not thousands."""

    def __init__(self, model, field: str, *, label):
        super().__init__(model, field)
        self.label = label
        self._by_code: dict[str, Model] | None = None

    def records(self) -> dict[str, Model]:
        if self._by_code is None:
            self._by_code = {
                getattr(obj, self.field).casefold(): obj
                for obj in self.model._default_manager.all()
            }
        return self._by_code

    def clean(self, value, row=None, **kwargs):
        text = plain_text(value)
        if not text:
            return None
        found = self.records().get(text.casefold())
        if found is None:
            raise ValueError(
                gettext("There is no %(record)s “%(value)s”.")
                % {"record": self.label, "value": text}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.field) if value is not None else ""


# --- Resources ----------------------------------------------------------------------------------


class RowRefused(ValidationError):
    """A row that the file may not contain whatever its values: a repeated row, a stale one,
    one the person may not change. Raised where django-import-export reports a row invalid."""


class NaturalKeyLoader(BaseInstanceLoader):
    """Every record the file's rows name, read at once: by id where a row gives one, else by the
    resource's natural key. Also the records' current revisions, and which rows repeat."""

    def __init__(self, resource: PortalResource, dataset: tablib.Dataset):
        super().__init__(resource, dataset)
        rows = list(dataset.dict)
        ids = {pk for pk in (resource.row_id(row, strict=False) for row in rows) if pk is not None}
        self.keys = {resource.row_number(row): resource.row_key(row) for row in rows}
        keys = [key for key in self.keys.values() if key is not None]
        candidates = resource.candidates(ids=ids, keys=keys)
        self.by_id = {obj.pk: obj for obj in candidates}
        self.by_key = {_folded(resource.instance_key(obj)): obj for obj in candidates}
        self.revisions = resource.revisions([obj.pk for obj in candidates])
        self.seen: dict[Any, int] = {}

    def get_instance(self, row):
        resource: PortalResource = self.resource
        number = resource.row_number(row)
        pk = resource.row_id(row)
        key = self.keys.get(number)
        if pk is not None:
            instance = self.by_id.get(pk)
            if instance is None:
                resource.refuse(
                    "id", gettext("There is no record with this id: leave it empty for a new one.")
                )
        else:
            instance = self.by_key.get(_folded(key)) if key is not None else None
        identity = ("pk", instance.pk) if instance is not None else ("key", _folded(key))
        if identity[1] is not None:
            earlier = self.seen.setdefault(identity, number)
            if earlier != number:
                resource.refuse(
                    "id" if pk is not None else resource.natural_key_columns(),
                    gettext("This row is about the same record as row %(row)s.") % {"row": earlier},
                )
        if instance is not None:
            resource.check_revision(row, self.revisions.get(instance.pk))
        return instance


class PortalResource(resources.ModelResource):
    """What the portal's imports have in common: rows matched by id or natural key all at once,
    the person's permission asked of every row as it was and as it would be, a stale row (its
    record changed since the export) refused, nothing written on a dry run, and the writes in
    batches, each with its history row naming the import."""

    natural_key: tuple[str, ...] = ()
    bulk_columns: tuple[str, ...] = ()  # what a bulk edit may set on many rows at once
    # Check constraints are validated one query per constraint and row; a resource whose
    # model's clean() already says all they do (the meetings', at ten thousand rows) skips them,
    # and the database still holds to them.
    validate_constraints = True
    validate_unique = True

    class Meta:
        abstract = True
        use_bulk = True
        batch_size = 500
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        store_instance = True
        store_row_values = True
        clean_model_instances = True
        use_transactions = True
        instance_loader_class = NaturalKeyLoader

    def __init__(self, *, actor=None, reason: str = "", **kwargs):
        super().__init__(**kwargs)
        self.actor = actor
        self.reason = reason

    # -- Who imports, and which records

    @classmethod
    def importable_by(cls, user) -> bool:
        """Who may import these records at all: the secretariat, unless a resource says more.
        Each row is then asked of `refusal`."""
        return can_edit_records(user)

    def get_queryset(self) -> QuerySet:
        return self.permitted(self._meta.model._default_manager.all())

    def permitted(self, queryset: QuerySet) -> QuerySet:
        """The records the actor may change: all of them for whoever may import them."""
        return queryset if self.importable_by(self.actor) else queryset.none()

    def refusal(self, instance: Model) -> tuple[str, str] | None:
        """Why the actor may not change this record as it stands, before the row or after it:
        (column, message); None when the actor may."""
        return None

    def touched_cbm_ids(self, instance: Model, original: Model | None) -> set[int]:
        """The CBMs whose obligations a row's change may move: none, unless a resource says."""
        return set()

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        """The records to export, with their revision: the id of their latest history row."""
        history = self._meta.model.history.model
        latest = history.objects.filter(id=OuterRef("pk")).order_by("-history_id")
        return queryset.annotate(latest_revision=Subquery(latest.values("history_id")[:1]))

    def dehydrate_revision(self, obj) -> int | None:
        return getattr(obj, "latest_revision", None)

    # -- Matching rows to records

    def row_number(self, row) -> int:
        return row["__row__"]

    def row_id(self, row, *, strict: bool = True) -> int | None:
        if "id" not in row:
            return None
        try:
            return NumberWidget().clean(row["id"])
        except ValueError:
            if strict:
                self.refuse("id", gettext("An id is a whole number, as the export gave it."))
            return None

    def row_key(self, row) -> tuple | None:
        """The natural key a row names, its values cleaned; None if a column is missing or a
        value does not read (the column's own error says why)."""
        if not self.natural_key or any(
            self.fields[name].column_name not in row for name in self.natural_key
        ):
            return None
        try:
            return tuple(_key_value(self.fields[name].clean(row)) for name in self.natural_key)
        except (ValueError, ValidationError):
            return None

    def instance_key(self, obj) -> tuple:
        return tuple(_key_value(self.fields[name].get_value(obj)) for name in self.natural_key)

    def candidates(self, *, ids: set[int], keys: list[tuple]) -> list[Model]:
        """The records rows may be about: those with the ids given, and those whose first
        natural-key value a row names (the rest of the key is compared in memory)."""
        queryset = self.get_queryset()
        found = list(queryset.filter(pk__in=ids)) if ids else []
        if keys and self.natural_key:
            first = self.fields[self.natural_key[0]].attribute
            values = {key[0] for key in keys}
            if all(isinstance(value, str) for value in values):
                # Compared as the keys are, case aside: "unama" names UNAMA.
                queryset = queryset.alias(natural_key_first=Lower(first))
                first, values = "natural_key_first", {value.casefold() for value in values}
            found += list(queryset.filter(**{f"{first}__in": values}).exclude(pk__in=ids))
        return found

    def revisions(self, pks: list[int]) -> dict[int, int]:
        history = self._meta.model.history.model
        rows = history.objects.filter(id__in=pks).values("id").annotate(latest=Max("history_id"))
        return {row["id"]: row["latest"] for row in rows}

    def natural_key_columns(self) -> str:
        return ", ".join(self.fields[name].column_name for name in self.natural_key)

    def check_revision(self, row, current: int | None) -> None:
        if REVISION_COLUMN not in row:
            return
        given = plain_text(row[REVISION_COLUMN])
        if not given:
            return  # a row typed into a template: it claims no version of the record
        if given != str(current):
            self.refuse(
                REVISION_COLUMN,
                gettext(
                    "This record changed after the file was exported: export it again and make "
                    "the change there."
                ),
            )

    @staticmethod
    def refuse(column: str, message: str):
        raise RowRefused({column: [message]})

    # -- django-import-export's hooks

    def get_instance(self, instance_loader, row):
        # Always the loader: a file without an id column is matched by natural key.
        return instance_loader.get_instance(row)

    def import_data_inner(self, dataset, *args, **kwargs):
        # Each row knows its line in the file (the header is line 1) for the preview's errors.
        if "__row__" not in dataset.headers:
            dataset.append_col(range(2, len(dataset) + 2), header="__row__")
        return super().import_data_inner(dataset, *args, **kwargs)

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new:
            refused = self.refusal(instance)
            if refused:
                self.refuse(*refused)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        # A related record a CodeWidget found is known to exist: Django's own check would ask the
        # database once per row and value for what the widget read once for the whole file.
        found = [
            f.attribute
            for f in self.get_import_fields()
            if isinstance(f.widget, CodeWidget)
            and getattr(instance, f"{f.attribute}_id") is not None
        ]
        try:
            instance.full_clean(
                exclude=[*errors, *found],
                validate_unique=self.validate_unique,
                validate_constraints=self.validate_constraints,
            )
        except ValidationError as error:
            # A cell that did not read keeps its own message: the model's clean() would only add
            # what follows from the value missing ("An RTG belongs to a CBM" after "No CBM NOPE").
            errors = {**error.update_error_dict({}), **errors}
        if not errors:
            refused = self.refusal(instance)
            if refused:
                errors = {refused[0]: [refused[1]]}
        if errors:
            raise ValidationError(errors)

    def get_bulk_update_fields(self):
        return [
            field.attribute
            for field in self.get_import_fields()
            if field.attribute and not field.readonly and field.attribute != "id"
        ]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not dry_run and self.create_instances:
            try:
                # A savepoint of its own: a refused batch leaves the transaction usable.
                with transaction.atomic():
                    bulk_create_with_history(
                        self.create_instances,
                        self._meta.model,
                        batch_size=batch_size,
                        default_user=self.actor,
                        default_change_reason=self.reason,
                    )
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
        self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not dry_run and self.update_instances:
            try:
                with transaction.atomic():
                    bulk_update_with_history(
                        self.update_instances,
                        self._meta.model,
                        self.get_bulk_update_fields(),
                        batch_size=batch_size,
                        default_user=self.actor,
                        default_change_reason=self.reason,
                    )
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
        self.update_instances.clear()

    def bulk_delete(self, using_transactions, dry_run, raise_errors, result=None):
        self.delete_instances.clear()  # an import never deletes: a row left out stays


def resource_table(resource: PortalResource, queryset: QuerySet | None, *, name: str) -> Table:
    """Records as the import reads them: the resource's columns, one row per record (None: no
    row, the template). Their revision comes along, so that a stale row is recognised."""
    headers = [f.column_name for f in resource.get_export_fields()]

    def rows():
        if queryset is None:
            return
        for obj in resource.iter_queryset(resource.export_queryset(queryset)):
            yield dict(zip(headers, resource.export_resource(obj), strict=True))

    return Table(name, [ExportColumn(header) for header in headers], rows())


def _key_value(value):
    return value.pk if isinstance(value, Model) else value


def _folded(key: tuple | None) -> tuple | None:
    """A natural key compared as people read it: "Kabul" and "kabul " are one city."""
    if key is None:
        return None
    return tuple(value.casefold() if isinstance(value, str) else value for value in key)


def revision_field() -> fields.Field:
    return fields.Field(column_name=REVISION_COLUMN, readonly=True, widget=NumberWidget())


def text(attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute, widget=TextWidget())


def field(attribute: str, widget: widgets.Widget) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute, widget=widget)
