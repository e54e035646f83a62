"""What the OpenAPI schema must say that drf-spectacular cannot infer from our classes, so that a
client generated from it (openapi-python-client) and schemathesis read the API as it behaves.

* Request bodies are JSON; multipart only where a file is uploaded (the attachment upload).
* `?format=json|csv|xlsx` is documented on the operations that export (lists, and the views'
  `export_actions`), each format as its own 200 media type; other operations answer JSON only.
* `ordering` lists the view's `ordering_fields`, `page_size` its bounds (PortalPagination).
* Patterns the database enforces with a CheckConstraint (`code ~ '^[A-Z]{3}$'`) are patterns of
  the fields, and of the filters and path parameters that match them exactly.
* Every error is JSON with a schema: 400 field errors, `{"detail"}` for the others, each status
  documented only on the operations where it can happen.
"""

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.test import RequestFactory
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import (
    ResolvedComponent,
    build_parameter_type,
    force_instance,
    is_serializer,
)
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .deletion import GO_WITH_THE_RECORD
from .viewsets import PortalViewSet

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# --- The error bodies ---------------------------------------------------------------------------

MESSAGES = {"type": "array", "items": {"type": "string"}}
ERROR_COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "description": "Why the request was refused.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    # DRF's validation errors: messages by field; `non_field_errors` for the input as a whole;
    # `detail` alone when the body could not be read at all (malformed JSON).
    "FieldErrors": {
        "type": "object",
        "description": "The input is invalid: messages by field (or query parameter).",
        "properties": {
            api_settings.NON_FIELD_ERRORS_KEY: MESSAGES,
            "detail": {"type": "string", "description": "The body could not be read."},
        },
        "additionalProperties": MESSAGES,
    },
    "ReferencedBy": {
        "type": "object",
        "description": "Records of one kind that refer to the one being deleted.",
        "properties": {
            "model": {"type": "string", "description": "app_label.model, e.g. cbms.cbmrole"},
            "count": {"type": "integer", "minimum": 1},
        },
        "required": ["model", "count"],
    },
    "ReferencedConflict": {
        "type": "object",
        "description": "Other records refer to this one: nothing was deleted.",
        "properties": {
            "detail": {"type": "string"},
            "referenced_by": {"type": "array", "items": _ref("ReferencedBy")},
        },
        "required": ["detail", "referenced_by"],
    },
}
# A nested list of objects (a report's `activities`) is answered as DRF nests it: a list with
# one entry per item (an empty object for an item that was fine), an object when the value was
# not a list at all, or plain messages when a service refused the list as a whole.
NESTED_ERRORS = {
    "anyOf": [
        {"type": "array", "items": {"anyOf": [{"type": "string"}, _ref("FieldErrors")]}},
        _ref("FieldErrors"),
    ]
}
DESCRIPTIONS = {
    "400": "The input is invalid: messages by field.",
    "401": "No credentials, or bad ones.",
    "403": "The caller's role may not do this.",
    "404": "No such record, or not one the caller may see.",
    "409": "The record's state does not allow this.",
    "412": "`If-Match` names a version that is no longer current: nothing was changed.",
    "415": "The body's Content-Type is missing or not accepted.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
}
REFERENCED = "Other records refer to this one (`referenced_by`): nothing was deleted."
# The codes an operation may carry because a view says so (`@extend_schema(responses=...)`).
DECLARED_ONLY = ("409", "412", "429")


# --- Patterns the database enforces -------------------------------------------------------------


def constraint_patterns(model: type[models.Model]) -> dict[str, str]:
    """`{field: regex}` of the model's CheckConstraints that are a single `field__regex`."""
    patterns = {}
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if not isinstance(condition, models.Q) or condition.negated or len(condition) != 1:
            continue
        child = condition.children[0]
        if isinstance(child, tuple) and child[0].endswith("__regex"):
            patterns[child[0].removesuffix("__regex")] = child[1]
    return patterns


def _model_field_pattern(model: type[models.Model] | None, name: str | None) -> str | None:
    if model is None or not name:
        return None
    return constraint_patterns(model).get(name)


def _serializer_field_pattern(field: serializers.Field) -> str | None:
    if isinstance(field, serializers.SlugRelatedField) and field.queryset is not None:
        return _model_field_pattern(field.queryset.model, field.slug_field)
    parent = getattr(field, "parent", None)
    if isinstance(parent, serializers.ModelSerializer) and isinstance(field, serializers.CharField):
        return _model_field_pattern(parent.Meta.model, field.source)
    return None


def _filter_pattern(filter_field) -> str | None:
    """A filter matches the pattern's column exactly only as a choice of a related record by a
    field (`?host=AFG`); `iexact` or `icontains` filters take other spellings too."""
    to_field = filter_field.extra.get("to_field_name")
    queryset = filter_field.extra.get("queryset")
    if to_field and queryset is not None and not callable(queryset):
        return _model_field_pattern(queryset.model, to_field)
    return None


class PortalAutoSchema(AutoSchema):
    # --- Who may call ---------------------------------------------------------------------------

    def get_auth(self):
        """List "no credentials" where our permission classes let an anonymous caller in, as
        drf-spectacular does by itself only for AllowAny and IsAuthenticatedOrReadOnly."""
        auth = super().get_auth()
        if auth and {} not in auth and self._anonymous_may():
            auth.append({})
        return auth

    def _anonymous_may(self) -> bool:
        request = Request(RequestFactory().generic(self.method, self.path))
        request.user = AnonymousUser()
        return all(p.has_permission(request, self.view) for p in self.view.get_permissions())

    # --- Request bodies -------------------------------------------------------------------------

    def map_parsers(self):
        """JSON, which every generated client sends; multipart alone where the view reads
        nothing else (the attachment upload: a file cannot travel url-encoded)."""
        media_types = super().map_parsers()
        if JSON in media_types:
            return [JSON]
        return [m for m in media_types if m.startswith("multipart/")] or media_types

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        pattern = _serializer_field_pattern(field) or self._address_pattern(field)
        if pattern and isinstance(schema, dict) and schema.get("type") == "string":
            schema.setdefault("pattern", pattern)
        return schema

    def _address_pattern(self, field) -> str | None:
        """The view's lookup field is the record's address (`/cbms/{code}/`): its value must
        fit the route's `lookup_value_regex` (no slash), which the serializer checks too."""
        regex = getattr(self.view, "lookup_value_regex", None)
        parent = getattr(field, "parent", None)
        if not regex or not isinstance(parent, serializers.ModelSerializer):
            return None
        if parent.Meta.model is not self._view_model():
            return None
        if field.source != getattr(self.view, "lookup_field", None):
            return None
        return f"^{regex}$"

    # --- Query parameters -----------------------------------------------------------------------

    def _exports(self) -> bool:
        """Whether `?format=csv|xlsx` gives this operation's answer as a spreadsheet."""
        if self.method != "GET" or not self._export_media_types():
            return False
        action = getattr(self.view, "action", None)
        return self._is_list_view() or action in getattr(self.view, "export_actions", ())

    def _export_media_types(self) -> dict[str, str]:
        """`{format: media type}` of the view's renderers other than JSON and the browsable API."""
        return {
            renderer.format: renderer.media_type.split(";")[0]
            for renderer in self.view.get_renderers()
            if renderer.media_type.split(";")[0] != JSON and renderer.format != "api"
        }

    def _get_format_parameters(self):
        if not self._exports():
            return []
        formats = ["json", *self._export_media_types()]
        self.registry.register_on_missing(
            ResolvedComponent(
                name="ExportFormatEnum",
                type=ResolvedComponent.SCHEMA,
                schema={"type": "string", "enum": formats},
                object="ExportFormatEnum",
            )
        )
        parameter = build_parameter_type(
            name=api_settings.URL_FORMAT_OVERRIDE,
            schema=_ref("ExportFormatEnum"),
            location=OpenApiParameter.QUERY,
            description="`json` (the default) gives a page; `csv` and `xlsx` every row the "
            "filters match, as a spreadsheet.",
        )
        parameter["allowEmptyValue"] = True  # DRF reads `?format=` as no format asked
        return [parameter]

    def _get_pagination_parameters(self):
        parameters = super()._get_pagination_parameters()
        paginator = self._get_paginator()
        for parameter in parameters:
            schema = parameter["schema"]
            if parameter["name"] == getattr(paginator, "page_query_param", None):
                schema["minimum"] = 1
            if parameter["name"] == getattr(paginator, "page_size_query_param", None):
                schema["minimum"] = getattr(paginator, "min_page_size", 1)
                if paginator.max_page_size:
                    schema["maximum"] = paginator.max_page_size
                    parameter["description"] = (
                        f"Rows per page, {schema['minimum']} to {paginator.max_page_size}; "
                        "another number is a 400."
                    )
        return parameters

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        if getattr(self.view, "detail", False):
            # StrictOrderingFilter leaves a detail route's `ordering` alone: nothing to order.
            parameters = [p for p in parameters if p["name"] != OrderingFilter.ordering_param]
        ordering_fields = self._ordering_fields()
        filterset_class = self._filterset_class()
        base_filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            schema = parameter["schema"]
            if parameter["name"] == OrderingFilter.ordering_param and not ordering_fields:
                continue
            if ordering_fields and parameter["name"] == OrderingFilter.ordering_param:
                schema["enum"] = [
                    term for field in ordering_fields for term in (field, f"-{field}")
                ]
                # Names for a generated client's enum members: DATE and DATE_DESC, not VALUE_1.
                schema["x-enum-varnames"] = [
                    name for field in ordering_fields for name in (field, f"{field}_desc")
                ]
                parameter["description"] = (
                    "The field to order by; `-` before it for the reverse order. Several, "
                    "separated by commas, order by each in turn."
                )
            if parameter["name"] == OrderingFilter.ordering_param or any(
                parameter["name"].startswith(name) for name in base_filters
            ):
                # django-filter, and DRF's ordering, read an empty value as none sent.
                parameter["allowEmptyValue"] = True
            filter_field = base_filters.get(parameter["name"])
            pattern = _filter_pattern(filter_field) if filter_field is not None else None
            if pattern and schema.get("type") == "string":
                schema.setdefault("pattern", pattern)
        return parameters

    def _ordering_fields(self) -> list[str]:
        if not any(issubclass(b, OrderingFilter) for b in self.get_filter_backends()):
            return []
        fields = getattr(self.view, "ordering_fields", None)
        return list(fields) if isinstance(fields, list | tuple) else []

    def _filterset_class(self):
        if not self._is_list_view():
            return None
        return getattr(self.view, "filterset_class", None)

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        model = self._view_model()
        for parameter in parameters:
            name = getattr(self.view, "lookup_field", "pk") if model else None
            if parameter["name"] == name:
                pattern = _model_field_pattern(model, name)
                if pattern and parameter["schema"].get("type") == "string":
                    parameter["schema"].setdefault("pattern", pattern)
        return parameters

    def _view_model(self) -> type[models.Model] | None:
        serializer_class = getattr(self.view, "serializer_class", None)
        meta = getattr(serializer_class, "Meta", None)
        return getattr(meta, "model", None)

    # --- Responses ------------------------------------------------------------------------------

    def get_response_serializers(self):
        """A view's own error entries keep their description; their bodies are the shared error
        components (added in _get_response_bodies), not a schema of their own."""
        responses = super().get_response_serializers()
        if not isinstance(responses, dict):
            return responses
        kept = {}
        for code, response in responses.items():
            if str(code).startswith("4"):
                description = getattr(response, "description", "") or ""
                kept[code] = OpenApiResponse(description=description)
            else:
                kept[code] = response
        return kept

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(
            serializer, status_code, media_types or [JSON], direction
        )
        if status_code.startswith("2") and "content" in response and self._exports():
            for media_type in self._export_media_types().values():
                # Text formats are text; the others (XLSX) bytes.
                text = media_type.startswith("text/")
                response["content"][media_type] = {
                    "schema": {"type": "string"} if text else {"type": "string", "format": "binary"}
                }
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        overrides = self.get_response_serializers()
        declared = {str(code) for code in overrides} if isinstance(overrides, dict) else set()
        for code, schema in self._errors(declared).items():
            default = REFERENCED if schema == _ref("ReferencedConflict") else DESCRIPTIONS[code]
            description = responses.get(code, {}).get("description") or default
            responses[code] = {"description": description, "content": {JSON: {"schema": schema}}}
        return dict(sorted(responses.items()))

    def _errors(self, declared: set[str]) -> dict[str, dict]:
        """The error answers this operation can give, each with its body's schema."""
        for name, schema in ERROR_COMPONENTS.items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
                )
            )
        detail = _ref("ErrorDetail")
        errors = {"400": self._field_errors()}
        authenticates = bool(self.view.get_authenticators())
        if authenticates:
            # A bad token is refused on any operation; a role, a session without its second
            # factor or a missing CSRF token may be refused on any.
            errors["401"] = errors["403"] = detail
        if "{" in self.path or self._exports():
            # No such record; or, on an export, a format no renderer has.
            errors["404"] = detail
        if self._deletes_records():
            errors["409"] = _ref("ReferencedConflict")
        if self.method in ("POST", "PUT", "PATCH") and self._takes_body():
            errors["415"] = detail
        if getattr(self.view, "throttle_scope", None):
            errors["429"] = detail
        for code in DECLARED_ONLY:
            if code in declared and code not in errors:
                errors[code] = detail
        return errors

    def _field_errors(self) -> dict:
        """FieldErrors, or an operation's own variant where its body nests a list of objects."""
        serializer = None
        if self.method in ("POST", "PUT", "PATCH"):
            serializer = force_instance(self.get_request_serializer())
        nested = [
            name
            for name, field in (serializer.fields if is_serializer(serializer) else {}).items()
            if not field.read_only
            and isinstance(field, serializers.ListSerializer | serializers.Serializer)
        ]
        if not nested:
            return _ref("FieldErrors")
        name = f"{self._get_serializer_name(serializer, 'request')}Errors"
        schema = {
            **ERROR_COMPONENTS["FieldErrors"],
            "properties": {
                **ERROR_COMPONENTS["FieldErrors"]["properties"],
                **dict.fromkeys(nested, NESTED_ERRORS),
            },
        }
        self.registry.register_on_missing(
            ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        )
        return _ref(name)

    def _takes_body(self) -> bool:
        return self._get_request_body() is not None

    def _deletes_records(self) -> bool:
        """A DELETE that hoa_portal.api.deletion refuses while other records refer to the row
        (PortalViewSet's, of a model that other records can refer to); a viewset that deletes
        otherwise (users are deactivated) cannot refuse so."""
        model = self._view_model()
        if self.method != "DELETE" or model is None:
            return False
        if type(self.view).perform_destroy is not PortalViewSet.perform_destroy:
            return False
        return any(
            relation.related_model._meta.label_lower not in GO_WITH_THE_RECORD
            and relation.on_delete is not models.DO_NOTHING
            for relation in model._meta.related_objects
        )


# --- Postprocessing -----------------------------------------------------------------------------


def share_enums_and_drop_unused(result, generator, request, public):
    """Postprocessing hook, after drf-spectacular's enum hook.

    A query parameter with the choices of an enum component refers to it (`?kind=` of meetings
    is the meetings' MeetingKindEnum, not an enum of its own in a generated client), and
    components nothing refers to any more (a view's error serializer, replaced by the shared
    error bodies) are left out, so a client generates no model for them.
    """
    schemas = result.get("components", {}).get("schemas", {})
    enums = {
        tuple(sorted(map(str, schema["enum"]))): name
        for name, schema in schemas.items()
        if "enum" in schema and schema.get("type") == "string"
    }
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                name = enums.get(tuple(sorted(map(str, schema.get("enum", [])))))
                if name and parameter["name"] != OrderingFilter.ordering_param:
                    parameter["schema"] = _ref(name)
    used = _referenced(result.get("paths", {}))
    pending = list(used)
    while pending:
        for name in _referenced(schemas.get(pending.pop(), {})) - used:
            used.add(name)
            pending.append(name)
    for name in set(schemas) - used:
        del schemas[name]
    return result


def _referenced(node) -> set[str]:
    prefix = "#/components/schemas/"
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(prefix)} if "$ref" in node else set()
        for value in node.values():
            found |= _referenced(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_referenced, node)) if node else set()
    return set()
