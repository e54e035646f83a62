"""What the OpenAPI schema must say that drf-spectacular cannot infer from our classes."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from drf_spectacular.openapi import AutoSchema
from rest_framework.request import Request

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# SPEC §6: 400 `{"field": ["message", …]}`; 401 without credentials; 403 for a role that may not;
# 404 for what the caller may not see.
ERROR_RESPONSES = {
    "400": ("The input is invalid: messages by field.", {"type": "object"}),
    "401": ("No credentials, or bad ones.", DETAIL),
    "403": ("The caller's role may not do this.", DETAIL),
    "404": ("No such record, or not one the caller may see.", DETAIL),
}
UNSUPPORTED_MEDIA_TYPE = ("The body's Content-Type is missing or not accepted.", DETAIL)


class PortalAutoSchema(AutoSchema):
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


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation documents the error answers of SPEC §6 (and 415 for
    one that takes a body), as JSON or, under `?format=csv`, as CSV."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            media_types = {"application/json", "text/csv"} | {
                media_type
                for code, response in responses.items()
                if code.startswith("2")
                for media_type in response.get("content", {})
            }
            errors = dict(ERROR_RESPONSES)
            if "requestBody" in operation:
                errors["415"] = UNSUPPORTED_MEDIA_TYPE
            for code, (description, body) in errors.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {media_type: {"schema": body} for media_type in media_types},
                    },
                )
    return result
