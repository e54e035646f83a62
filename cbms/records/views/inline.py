"""Rows edited in place with htmx, and the same URLs as plain form pages without it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget

# --- Rows edited in place (htmx) ----------------------------------------------------------------
#
# A row's Edit, Delete or Add link is a plain link to the form page, which saves and redirects
# back: that is the page without JavaScript. With htmx, the same URL answers with the row's form
# (or its delete question) in place of the row; once saved, with the part of the page the row
# belongs to, re-rendered (so the order and the numbering stay right), and a status message out
# of band. Refused input comes back as the row's form with the errors and what was typed.

PLAN_BLOCK = "plan-body"
ROLES_BLOCK = "cbm-roles"


def is_inline(request) -> bool:
    """An htmx request from a row of a page (a boosted link wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def asks_for(request, dom_id: str) -> bool:
    """An htmx request for one part of a page only (a Cancel puts that part back as it was)."""
    return is_inline(request) and request.htmx.target == dom_id


@dataclass(frozen=True)
class Block:
    """A part of a page, by its element id, as HTML."""

    dom_id: str
    html: str


def inline_done(request, block: Block, message: str) -> HttpResponse:
    """The part of the page a row belongs to, re-rendered in place of the form that changed it,
    and a message in the page's status region."""
    status = render_to_string(
        "portal/_inline_status.html", {"message": message, "oob": True}, request=request
    )
    response = HttpResponse(block.html + status)
    return reswap(retarget(response, f"#{block.dom_id}"), "outerHTML")


class InlineRowMixin:
    inline_tag = "div"  # the element the form takes the place of: a list item, a div
    inline_class = ""
    block_id = ""

    def inline_id(self) -> str:
        raise NotImplementedError

    def page_url(self) -> str:
        """The page the row is on: where Cancel goes, with or without JavaScript."""
        raise NotImplementedError

    def block(self, obj) -> Block:
        raise NotImplementedError

    def inline_context(self) -> dict:
        return {
            "inline_id": self.inline_id(),
            "inline_tag": self.inline_tag,
            "inline_class": self.inline_class,
            "form_action": self.request.path,
            "cancel_url": self.page_url(),
            "cancel_target": f"#{self.block_id}",
        }


class InlineFormMixin(InlineRowMixin):
    """A create or update view that also answers htmx with the row's form."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if is_inline(self.request):
            # Several forms may be open on one page: their fields' ids must differ.
            kwargs["auto_id"] = f"id_{self.inline_id()}_%s"
        return kwargs

    def render_to_response(self, context, **response_kwargs):
        if not is_inline(self.request):
            return super().render_to_response(context, **response_kwargs)
        form = context["form"]
        first = next((n for n in form.fields if n in form.errors), next(iter(form.fields), None))
        if first is not None:
            form.fields[first].widget.attrs["autofocus"] = True
        context.update(self.inline_context())
        return TemplateResponse(self.request, "portal/_inline_form.html", context)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
        except IntegrityError:
            # A constraint no validator foresaw (two people saving at once): refused, not a 500.
            form.add_error(
                None, _("This change conflicts with the records already stored: please retry.")
            )
            return self.form_invalid(form)
        message = self.success_message or _("Saved %s.") % self.object
        if is_inline(self.request):
            return inline_done(self.request, self.block(self.object), message)
        messages.success(self.request, message)
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        if is_inline(self.request):
            return self.render_to_response(self.get_context_data(form=form))
        return super().form_invalid(form)


class InlineDeleteMixin(InlineRowMixin):
    """A delete view that also answers htmx: the question in the row, then the row gone."""

    def get(self, request, *args, **kwargs):
        if not is_inline(request):
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        return self.inline_question()

    def inline_question(self, error: str = "") -> TemplateResponse:
        context = self.get_context_data(object=self.object)
        context.update(self.inline_context(), error=error)
        return TemplateResponse(self.request, "portal/_inline_delete.html", context)

    def form_valid(self, form):
        if not is_inline(self.request):
            return super().form_valid(form)
        label = str(self.object)
        try:
            with transaction.atomic():
                self.object.delete()
        except (ProtectedError, RestrictedError):
            return self.inline_question(
                error=_("%(record)s was not deleted: other records still refer to it.")
                % {"record": label}
            )
        return inline_done(self.request, self.block(self.object), _("Deleted %s.") % label)
