from django_filters.rest_framework import DjangoFilterBackend


class PortalFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filters.

    Building and validating the filter form costs more than the rest of a list request, and
    with no filter parameter every filter would be a no-op anyway. A parameter that starts with
    a filter's name (`date_after` for `date`) runs the whole filterset, validation included.
    """

    def filter_queryset(self, request, queryset, view):
        if not names_a_filter(request, self.get_filterset_class(view, queryset)):
            return queryset
        return super().filter_queryset(request, queryset, view)


def names_a_filter(request, filterset_class) -> bool:
    """Whether a query parameter starts with the name of one of the filterset's filters."""
    names = filterset_class.base_filters if filterset_class else ()
    return any(param.startswith(name) for param in request.query_params for name in names)
