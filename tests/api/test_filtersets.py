"""As NetBox's filterset tests: every field a list shows can be filtered on, so analysts can ask
for any column (SPEC §6 "Lists filter on their fields"); the few exceptions carry their reason."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import FieldDoesNotExist

from hoa_portal.api_urls import router

# (list prefix, field) → why it has no filter.
NOT_FILTERED = {
    ("meetings", "id"): "the lookup: fetch /meetings/{id}/",
    ("obligations", "id"): "the lookup: fetch /obligations/{id}/",
    ("cbm-roles", "id"): "the lookup: fetch /cbm-roles/{id}/",
    ("users", "id"): "the lookup: fetch /users/{id}/",
    ("users", "password"): "a secret is never a filter (nor shown)",
    ("notifications", "id"): "the lookup: fetch /notifications/{id}/",
}
LISTS = [(prefix, viewset) for prefix, viewset, _ in router.registry]


def _serializer_class(viewset):
    """The class that serves writes: its fields are a superset of those read."""
    view = viewset(request=SimpleNamespace(method="POST"), format_kwarg=None, kwargs={})
    return view.get_serializer_class()


def _is_model_field(model, source: str) -> bool:
    try:
        model._meta.get_field(source.split(".")[0])
    except FieldDoesNotExist:
        return False
    return True


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[prefix for prefix, _ in LISTS])
def test_every_field_of_a_list_has_a_filter(prefix, viewset):
    assert viewset.filterset_class is not None, f"/{prefix}/ has no FilterSet"
    filters = viewset.filterset_class.base_filters
    serializer = _serializer_class(viewset)()
    model = serializer.Meta.model
    missing = []
    for name, field in serializer.fields.items():
        if (prefix, name) in NOT_FILTERED:
            continue
        by_name = name in filters
        by_source = any(f.field_name == field.source for f in filters.values())
        if not (by_name or by_source):
            kind = "model field" if _is_model_field(model, field.source) else "field"
            missing.append(f"{name} ({kind})")
    assert not missing, f"/{prefix}/ has no filter for: {', '.join(missing)}"


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[prefix for prefix, _ in LISTS])
def test_every_list_orders_on_explicit_fields_only(prefix, viewset):
    assert viewset.ordering_fields, f"/{prefix}/ must name its ordering fields"
    assert "__all__" not in viewset.ordering_fields


def test_the_exceptions_are_still_fields():
    """An exception for a field that went away would hide a real gap later."""
    by_prefix = dict(LISTS)
    for prefix, name in NOT_FILTERED:
        assert name in _serializer_class(by_prefix[prefix])().fields, (prefix, name)
