"""The base every API viewset stands on, so none can skip scoping, export or input hygiene."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
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


class PortalReadOnlyViewSet(RejectNulMixin, ExportMixin, viewsets.ReadOnlyModelViewSet):
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]


class PortalViewSet(RejectNulMixin, ExportMixin, viewsets.ModelViewSet):
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    permission_classes = [SecretariatWritesOthersRead]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
