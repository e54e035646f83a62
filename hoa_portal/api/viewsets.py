"""The base every API viewset stands on, so none can skip scoping, export or input hygiene."""

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import QuerySet
from rest_framework import ISO_8601, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings

from .deletion import record_delete
from .filters import PortalFilterBackend, StrictOrderingFilter
from .permissions import SecretariatWritesOthersRead
from .renderers import EXPORT_CHUNK, SpreadsheetRenderer, Table, columns_of


class ExportMixin:
    """`?format=csv` and `?format=xlsx` give every row matching the filters, in the list's order,
    as one table (a CSV file; a workbook of one sheet); `?format=json` is the page.

    Where a row holds a list analysts count one by one (a report's activity updates), a viewset
    spreads it: `export_columns` names the columns, `export_rows` turns one item into its rows.
    """

    export_columns: list[str] | None = None  # None: the readable fields of the serializer

    def list(self, request, *args, **kwargs):
        renderer = request.accepted_renderer
        if not isinstance(renderer, SpreadsheetRenderer):
            return super().list(request, *args, **kwargs)
        refuse_bad_paging(self.paginator, request)
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        columns = columns_of(serializer_class(context=context), self.export_columns)

        def rows() -> Iterator[dict]:
            for item in export_items(queryset, serializer_class, context):
                yield from self.export_rows(item)

        table = Table(self.basename, columns, rows())
        return renderer.export([table], filename=self.basename)

    def export_rows(self, item: dict) -> Iterable[dict]:
        return (item,)


def refuse_bad_paging(paginator, request) -> None:
    """An export is every row, so it reads neither `page` nor `page_size`; a malformed one is
    refused all the same, as on the JSON page: the list's parameters follow one rule whatever
    the format (the schema can only document one)."""
    if paginator is not None:
        paginator.get_page_size(request)
        paginator.get_page_number(request)


def export_items(queryset: QuerySet, serializer_class, context: dict) -> Iterator[dict]:
    """The serializer's output for every row, read and serialized a chunk at a time.

    One query (a cursor), not a page after another: pages of a list ordered by a column with
    ties (`?ordering=kind`) may overlap or leave rows out. Read as `.values()` where the JSON
    list is (ValuesListMixin), which skips building model instances.
    """
    columns = values_columns(serializer_class)
    if columns is not None:
        rows = queryset.values(*(column.path for column in columns))
        for row in rows.iterator(chunk_size=EXPORT_CHUNK):
            yield values_item(row, columns)
        return
    objects = queryset.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(objects, EXPORT_CHUNK)):
        yield from serializer_class(chunk, many=True, context=context).data


class AtomicWritesMixin:
    """Writes run in one transaction, as ATOMIC_REQUESTS makes every page do; reads in none.

    Under PostgreSQL's READ COMMITTED every statement takes its own snapshot, transaction or
    not, so a read gains nothing from one and pays its BEGIN and COMMIT round trips (about a
    tenth of a list's time in `make bench-api`). A read already inside a transaction (a test's)
    still gets its own savepoint, so an error it rolls back stays its own.
    """

    @classmethod
    def as_view(cls, *args, **initkwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **initkwargs))

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS and not connection.in_atomic_block:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)


class RejectNulMixin:
    """PostgreSQL cannot store or compare a NUL byte; refuse it up front as a 400, not a 500."""

    def initial(self, request, *args, **kwargs):
        for key, values in request.query_params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise ValidationError(
                    {key.replace("\x00", ""): ["Null characters are not allowed."]}
                )
        super().initial(request, *args, **kwargs)


class ValuesListMixin:
    """A JSON list page read as dicts (`.values()`) rather than model instances, whenever every
    field of the serializer is a column of the model or the slug of a related row.

    The output is the serializer's own (each value goes through its field's to_representation,
    except where that returns a database value unchanged); only the model instances are
    skipped, which cost more than the rest of the request.
    """

    def list(self, request, *args, **kwargs):
        columns = values_columns(self.get_serializer_class())
        if columns is None or isinstance(request.accepted_renderer, SpreadsheetRenderer):
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        rows = queryset.values(*(column.path for column in columns))
        page = self.paginate_queryset(CountedBy(rows, self.list_count(queryset)))
        return self.get_paginated_response([values_item(row, columns) for row in page])

    def paginate_queryset(self, queryset):
        if not isinstance(queryset, CountedBy):
            queryset = CountedBy(queryset, self.list_count(queryset))
        return super().paginate_queryset(queryset)

    def list_count(self, queryset: QuerySet) -> Callable[[], int]:
        """What a page gives as the number of rows matching: the filtered model queryset's
        count(), unless the viewset knows a cheaper exact source."""
        return queryset.count


class CountedBy:
    """Rows that page like themselves but are counted by `count`.

    `.values("cbm__code")` joins the CBM table, and count() keeps the join; the model queryset
    counts without it. Every such join follows a foreign key (at most one row), so both counts
    are equal and only the cheaper one is run.
    """

    def __init__(self, rows: QuerySet, count: Callable[[], int]):
        self.rows, self.counter = rows, count
        self.ordered = rows.ordered

    def count(self) -> int:
        # A method, not the callable itself: Django's Paginator calls only a method `count`
        # (a plain function it takes for something else, and counts with len()).
        return self.counter()

    def __getitem__(self, key):
        return self.rows[key]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class ValuesColumn:
    name: str
    path: str
    # None where the field would return the database value as it is.
    represent: Callable[[Any], Any] | None


def values_item(row: dict, columns: tuple[ValuesColumn, ...]) -> dict:
    """One `.values()` row as the serializer would give it."""
    return {
        column.name: value if column.represent is None or value is None else column.represent(value)
        for column in columns
        for value in (row[column.path],)
    }


# Fields whose to_representation returns a value read from their column unchanged...
_UNCHANGED = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.BooleanField,
)


def _left_to_renderer(field: serializers.Field) -> bool:
    """...or one the JSON renderer writes the same way itself: an ISO 8601 date."""
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    return type(field) is serializers.DateField and output_format == ISO_8601


@functools.cache
def values_columns(serializer_class) -> tuple[ValuesColumn, ...] | None:
    """The serializer's output as `.values()` columns, or None if it cannot be read that way.

    Cached per class: it depends on the serializer's declaration only, never on the request.
    """
    serializer = serializer_class()
    model = serializer.Meta.model
    columns = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.SlugRelatedField):
            path = f"{field.source}__{field.slug_field}"
        elif isinstance(field, serializers.PrimaryKeyRelatedField) or not isinstance(
            field, serializers.RelatedField | serializers.ManyRelatedField
        ):
            path = field.source
        else:
            return None
        if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
            return None
        try:
            model._meta.get_field(path.split("__")[0])
        except FieldDoesNotExist:
            return None
        if "." in path or path == "*":
            return None
        unchanged = (
            isinstance(field, serializers.RelatedField)
            or type(field) in _UNCHANGED
            or _left_to_renderer(field)
        )
        columns.append(ValuesColumn(name, path, None if unchanged else field.to_representation))
    return tuple(columns)


class PortalReadOnlyViewSet(
    AtomicWritesMixin, RejectNulMixin, ExportMixin, ValuesListMixin, viewsets.ReadOnlyModelViewSet
):
    filter_backends = [PortalFilterBackend, StrictOrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]


class PortalViewSet(
    AtomicWritesMixin, RejectNulMixin, ExportMixin, ValuesListMixin, viewsets.ModelViewSet
):
    filter_backends = [PortalFilterBackend, StrictOrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_destroy(self, instance):
        record_delete(instance)
