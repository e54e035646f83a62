from django_filters.rest_framework import DjangoFilterBackend


class PortalFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filters.

    Building and validating the filter form costs more than the rest of a list request, and
    with no filter parameter every filter would be a no-op anyway. A parameter that starts with
    a filter's name (`date_after` for `date`) runs the whole filterset, validation included.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        names = filterset_class.base_filters if filterset_class else ()
        if not any(param.startswith(name) for param in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)
