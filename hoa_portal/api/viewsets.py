"""The base every API viewset stands on, so none can skip scoping, export or input hygiene."""

from django.core.exceptions import FieldDoesNotExist
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from .permissions import SecretariatWritesOthersRead
from .renderers import csv_streaming_response


class ExportMixin:
    """`?format=csv` streams every row matching the filters; `?format=json` is the page."""

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format != "csv":
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        return csv_streaming_response(
            queryset=queryset,
            serialize=lambda rows: serializer_class(rows, many=True, context=context).data,
            header=list(serializer_class(context=context).fields),
            filename=self.basename,
        )


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

    The output is the serializer's own (each value goes through its field's to_representation);
    only the model instances are skipped, which cost more than the rest of the request.
    """

    def list(self, request, *args, **kwargs):
        columns = values_columns(self.get_serializer_class())
        if columns is None or request.accepted_renderer.format == "csv":
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values(*(path for path, _ in columns.values())))
        rows = [
            {
                name: value if raw or value is None else field.to_representation(value)
                for name, (path, field), raw in (
                    (name, spec, isinstance(spec[1], serializers.RelatedField))
                    for name, spec in columns.items()
                )
                for value in (row[path],)
            }
            for row in page
        ]
        return self.get_paginated_response(rows)


def values_columns(serializer_class) -> dict[str, tuple[str, serializers.Field]] | None:
    """{output name: (values() path, field)} if the serializer can be read from `.values()`."""
    serializer = serializer_class()
    model = serializer.Meta.model
    columns = {}
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
        columns[name] = (path, field)
    return columns


class PortalReadOnlyViewSet(
    RejectNulMixin, ExportMixin, ValuesListMixin, viewsets.ReadOnlyModelViewSet
):
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]


class PortalViewSet(RejectNulMixin, ExportMixin, ValuesListMixin, viewsets.ModelViewSet):
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
