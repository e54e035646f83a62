"""The query parameters of every API list, strict: a value the list cannot use is a 400 that
names the parameter as it was sent (`date_after`, not `date`), never silently ignored.

Parameters a list does not know at all are left alone, as DRF and django-filter do.
"""

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EMPTY_VALUES
from django.utils.translation import gettext, gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.settings import api_settings


class PortalFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filters.

    Building and validating the filter form costs more than the rest of a list request, and
    with no filter parameter every filter would be a no-op anyway. A parameter that starts with
    a filter's name (`date_after` for `date`) runs the whole filterset, validation included.
    """

    def filter_queryset(self, request, queryset, view):
        if not names_a_filter(request, self.get_filterset_class(view, queryset)):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError(errors_by_parameter(filterset))
        return filterset.qs


def names_a_filter(request, filterset_class) -> bool:
    """Whether a query parameter starts with the name of one of the filterset's filters."""
    names = filterset_class.base_filters if filterset_class else ()
    return any(param.startswith(name) for param in request.query_params for name in names)


def errors_by_parameter(filterset) -> dict[str, list[str]]:
    """The filterset's form errors keyed by the query parameters that were sent.

    A range filter (`date` read from `date_after` and `date_before`) reports its errors under
    its own name; here they go to the part that fails on its own, or to every part sent when
    only the pair is wrong.
    """
    errors: dict[str, list[str]] = {}
    for name, messages in filterset.form.errors.items():
        if name == NON_FIELD_ERRORS:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = list(messages)
            continue
        for parameter in _parameters_sent(filterset, name):
            errors[parameter] = list(messages)
    return errors


def _parameters_sent(filterset, name: str) -> list[str]:
    field = filterset.form.fields[name]
    suffixes = getattr(field.widget, "suffixes", None)
    if not suffixes:
        return [name]
    parts = [
        (field.widget.suffixed(name, suffix), subfield)
        for suffix, subfield in zip(suffixes, field.fields, strict=True)
    ]
    sent = [(parameter, subfield) for parameter, subfield in parts if parameter in filterset.data]
    failing = []
    for parameter, subfield in sent:
        value = filterset.data[parameter]
        if value in EMPTY_VALUES:
            continue
        try:
            subfield.clean(value)
        except DjangoValidationError:
            failing.append(parameter)
    return failing or [parameter for parameter, _ in sent] or [name]


# --- Booleans -----------------------------------------------------------------------------------


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false`, as JSON and the schema spell them; left out or empty, no filter.
    Anything else (`True`, `1`, `yes`, `perhaps`) is a 400 naming the filter: django-filter's
    own boolean widgets read what they do not know as "left out", and the list would answer
    every row as though it had been filtered."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value == "true":
            return True
        if value == "false":
            return False
        raise DjangoValidationError(gettext_lazy("Say true or false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


# --- Ordering -----------------------------------------------------------------------------------


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=a,-b` over the view's `ordering_fields`; a term that is not one of them (or an
    empty one, as in `a,,b`) is a 400 naming `ordering`, where DRF would drop it silently.

    A single record has nothing to order: on a detail route the parameter is not the route's,
    and is left alone like any other unknown parameter.
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        gettext(
                            "Unknown ordering %(terms)s: order by %(fields)s, each as it is or "
                            "after '-' for the reverse order, separated by commas."
                        )
                        % {
                            "terms": ", ".join(repr(term) for term in unknown),
                            "fields": ", ".join(valid),
                        }
                    ]
                }
            )
        return fields
