"""Pages for implementation plan versions, their priority areas and activities; a published
version is frozen (a new draft is derived from it, then published)."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from django_htmx.http import reswap, retarget

from hoa_portal.views import (
    Column,
    PolicyMixin,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalUpdateView,
)
from members.permissions import (
    can_edit_records,
)

from ...models import (
    CBM,
    Activity,
    ImplementationPlanVersion,
    PlanStatus,
    PriorityArea,
)
from ...models.plans import PLAN_FROZEN
from ..forms import (
    ActivityForm,
    PlanPublishForm,
    PlanVersionForm,
    PriorityAreaForm,
)
from ..permissions import (
    can_derive_plan_version,
    can_edit_plan_content,
    can_publish_plan,
)
from ..resources import ActivityResource
from ..services import (
    PLAN_NOT_DRAFT,
    plan_version_derive,
    plan_version_publish,
)
from .inline import (
    PLAN_BLOCK,
    Block,
    InlineDeleteMixin,
    InlineFormMixin,
    asks_for,
    is_inline,
)
from .records import cbm_page, visible_plans

# --- Implementation plans, priority areas, activities -------------------------------------------


def _plan_page(plan_id: int) -> str:
    return reverse("cbms:plan_detail", args=[plan_id])


class PlanFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=PlanStatus.choices, empty_label=gettext_lazy("any")
    )
    cbm = django_filters.ModelChoiceFilter(
        label=gettext_lazy("CBM"),
        queryset=CBM.objects.order_by("code"),
        empty_label=gettext_lazy("any"),
    )

    class Meta:
        model = ImplementationPlanVersion
        fields = ["status", "cbm"]


class PlanList(PortalListView):
    model = ImplementationPlanVersion
    title = gettext_lazy("Implementation plans")
    intro = gettext_lazy(
        "Every version of each CBM's Implementation Plan; a revision supersedes the earlier "
        "version without erasing it."
    )
    filterset_class = PlanFilter
    search_fields = ["cbm__code", "title", "notes"]
    default_sort = "cbm"
    detail_url_name = "cbms:plan_detail"
    csv_filename = "implementation-plans"
    columns = [
        Column("cbm", gettext_lazy("CBM"), "cbm.code", sort="cbm__code"),
        Column("version", gettext_lazy("Version"), "version", sort="version"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
        Column("status", gettext_lazy("Status"), "status", sort="status"),
        Column("adopted_on", gettext_lazy("Adopted on"), "adopted_on", sort="adopted_on"),
    ]

    def base_queryset(self):
        return visible_plans(self.request.user).select_related("cbm")


def plan_block(request, plan_id: int, **focus) -> Block:
    """A plan's priority areas and activities, as its page shows them to this user: with the
    Edit, Delete and Add links while it is a draft, for the secretariat."""
    plans = visible_plans(request.user).prefetch_related("priority_areas__activities")
    plan = get_object_or_404(plans, pk=plan_id)
    context = {
        "plan": plan,
        "manage": can_edit_plan_content(request.user, plan),
        "history": can_edit_records(request.user),
        **focus,
    }
    return Block(PLAN_BLOCK, render_to_string("cbms/_plan_block.html", context, request=request))


def frozen_message(plan: ImplementationPlanVersion) -> str:
    return PLAN_FROZEN % {"version": plan.version, "status": plan.get_status_display()}


class FrozenPlanGuard:
    """The priority areas and activities of a published version are frozen: their add, edit
    and delete forms refuse, shown or posted, and change nothing.

    Asked after the role (PolicyMixin): whoever may not edit at all is refused as before. Without
    htmx the answer is a 403 page saying why, with the way to change the plan; with htmx, the
    plan's part of the page comes back as it now is (no Edit links) with the reason beside it.
    """

    def guarded_plan(self) -> ImplementationPlanVersion:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.refusal() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refusal() or super().post(request, *args, **kwargs)

    def get_object(self, queryset=None):
        # Read once: the guard and the view share it.
        if queryset is not None:
            return super().get_object(queryset)
        if not hasattr(self, "_guarded_object"):
            self._guarded_object = super().get_object()
        return self._guarded_object

    def refusal(self) -> HttpResponse | None:
        plan = self.guarded_plan()
        if can_edit_plan_content(self.request.user, plan):
            return None
        message = frozen_message(plan)
        if is_inline(self.request):
            status = render_to_string(
                "cbms/_plan_refused_status.html", {"message": message}, request=self.request
            )
            response = HttpResponse(plan_block(self.request, plan.pk).html + status)
            return reswap(retarget(response, f"#{PLAN_BLOCK}"), "outerHTML")
        context = {
            "plan": plan,
            "message": message,
            "can_derive": can_derive_plan_version(self.request.user, plan),
        }
        return TemplateResponse(self.request, "cbms/plan_frozen.html", context, status=403)


class PlanDetail(PortalDetailView):
    model = ImplementationPlanVersion
    template_name = "cbms/plan_detail.html"

    def get(self, request, *args, **kwargs):
        if asks_for(request, PLAN_BLOCK):
            return HttpResponse(plan_block(request, kwargs["pk"]).html)
        return super().get(request, *args, **kwargs)

    def visible(self):
        return (
            visible_plans(self.request.user)
            .select_related("cbm")
            .prefetch_related("priority_areas__activities")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan, user = self.object, self.request.user
        context.update(
            can_edit_content=can_edit_plan_content(user, plan),
            can_publish=can_publish_plan(user, plan),
            can_derive=can_derive_plan_version(user, plan),
        )
        return context


class PlanDerive(PolicyMixin, View):
    """A new draft version, a copy of this one (POST): the way to change a published plan."""

    policy = staticmethod(can_edit_records)

    def post(self, request, pk: int):
        plan = get_object_or_404(visible_plans(request.user).select_related("cbm"), pk=pk)
        draft = plan_version_derive(plan=plan, actor=request.user)
        messages.success(
            request,
            _(
                "Version %(draft)s is a new draft, a copy of version %(source)s: edit it, then "
                "publish it."
            )
            % {"draft": draft.version, "source": plan.version},
        )
        return redirect(_plan_page(draft.pk))


class PlanPublish(PolicyMixin, FormView):
    """Put a draft in force: the version in force, if any, is superseded in the same step."""

    policy = staticmethod(can_edit_records)
    form_class = PlanPublishForm
    template_name = "cbms/plan_publish.html"

    @cached_property
    def plan(self) -> ImplementationPlanVersion:
        plans = visible_plans(self.request.user).select_related("cbm")
        return get_object_or_404(plans, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        if not can_publish_plan(request.user, self.plan):
            messages.error(request, PLAN_NOT_DRAFT)
            return redirect(_plan_page(self.plan.pk))
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"adopted_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            plan=self.plan,
            in_force=self.plan.cbm.plan_versions.filter(status=PlanStatus.IN_FORCE)
            .exclude(pk=self.plan.pk)
            .first(),
            areas=self.plan.priority_areas.count(),
            activities=Activity.objects.filter(priority_area__plan=self.plan).count(),
            cancel_url=_plan_page(self.plan.pk),
        )
        return context

    def form_valid(self, form):
        try:
            plan = plan_version_publish(
                plan=self.plan,
                actor=self.request.user,
                adopted_on=form.cleaned_data["adopted_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Version %(version)s is in force; its content is now frozen.")
            % {"version": plan.version},
        )
        return redirect(_plan_page(plan.pk))

    def form_invalid(self, form):
        messages.error(self.request, _("Nothing was published: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PlanCreate(PortalCreateView):
    model = ImplementationPlanVersion
    form_class = PlanVersionForm
    parent_model = CBM
    parent_field = "cbm"

    def get_initial(self):
        versions = [p.version for p in self.get_parent().plan_versions.all()]
        return {"version": max(versions, default=0) + 1}

    def success_target(self, obj):
        return _plan_page(obj.pk) if obj.pk else cbm_page(obj.cbm)


class PlanScoped:
    model = ImplementationPlanVersion

    def scoped(self):
        return ImplementationPlanVersion.objects.select_related("cbm")


class PlanUpdate(PlanScoped, PortalUpdateView):
    form_class = PlanVersionForm

    def success_target(self, obj):
        return _plan_page(obj.pk)


class PlanDelete(PlanScoped, PortalDeleteView):
    def after_delete_url(self, obj):
        return cbm_page(obj.cbm)

    def back_url(self, obj):
        return _plan_page(obj.pk)


class PlanHistory(PlanScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.pk)


class AreaList(PortalListView):
    model = PriorityArea
    title = gettext_lazy("Priority areas")
    intro = gettext_lazy("The priority areas of every implementation plan version.")
    search_fields = ["title", "plan__cbm__code"]
    default_sort = "plan"
    csv_filename = "priority-areas"
    columns = [
        Column("cbm", gettext_lazy("CBM"), "plan.cbm.code", sort="plan__cbm__code"),
        Column("plan", gettext_lazy("Plan version"), "plan.version", sort="plan__version"),
        Column("number", gettext_lazy("No."), "number", sort="number"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
    ]

    def base_queryset(self):
        plans = visible_plans(self.request.user)
        return PriorityArea.objects.filter(plan__in=plans).select_related("plan__cbm")

    def detail_url(self, obj):
        return _plan_page(obj.plan_id)


class AreaInline:
    block_id = PLAN_BLOCK

    def block(self, obj) -> Block:
        return plan_block(self.request, obj.plan_id, focus_area=obj.pk)


class AreaCreate(FrozenPlanGuard, AreaInline, InlineFormMixin, PortalCreateView):
    model = PriorityArea
    form_class = PriorityAreaForm
    parent_model = ImplementationPlanVersion
    parent_field = "plan"

    def guarded_plan(self):
        return self.get_parent()

    def get_initial(self):
        numbers = [a.number for a in self.get_parent().priority_areas.all()]
        return {"number": max(numbers, default=0) + 1}

    def inline_id(self) -> str:
        return "plan-area-add"

    def page_url(self) -> str:
        return _plan_page(self.get_parent().pk)

    def success_target(self, obj):
        return _plan_page(obj.plan_id)


class AreaScoped:
    model = PriorityArea

    def scoped(self):
        return PriorityArea.objects.select_related("plan__cbm")


class AreaRow(FrozenPlanGuard, AreaInline):
    def guarded_plan(self):
        return self.get_object().plan

    def inline_id(self) -> str:
        return f"area-{self.object.pk}-head"

    def page_url(self) -> str:
        return _plan_page(self.object.plan_id)


class AreaUpdate(AreaScoped, AreaRow, InlineFormMixin, PortalUpdateView):
    form_class = PriorityAreaForm

    def success_target(self, obj):
        return _plan_page(obj.plan_id)


class AreaDelete(AreaScoped, AreaRow, InlineDeleteMixin, PortalDeleteView):
    def after_delete_url(self, obj):
        return _plan_page(obj.plan_id)

    def back_url(self, obj):
        return _plan_page(obj.plan_id)


class AreaHistory(AreaScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.plan_id)


class ActivityList(PortalListView):
    import_resource = ActivityResource
    import_kind = "activities"
    model = Activity
    title = gettext_lazy("Activities")
    intro = gettext_lazy("The projects and activities of every implementation plan version.")
    search_fields = ["title", "description", "priority_area__title"]
    default_sort = "area"
    csv_filename = "activities"
    columns = [
        Column(
            "cbm", gettext_lazy("CBM"), "priority_area.plan.cbm.code", sort="priority_area__plan"
        ),
        Column("area", gettext_lazy("Priority area"), "priority_area", sort="priority_area"),
        Column("number", gettext_lazy("No."), "number", sort="number"),
        Column("title", gettext_lazy("Title"), "title", sort="title", link=True),
    ]

    def base_queryset(self):
        plans = visible_plans(self.request.user)
        return Activity.objects.filter(priority_area__plan__in=plans).select_related(
            "priority_area__plan__cbm"
        )

    def detail_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityInline:
    block_id = PLAN_BLOCK

    def block(self, obj) -> Block:
        return plan_block(self.request, obj.priority_area.plan_id, focus_activity=obj.pk)


class ActivityCreate(FrozenPlanGuard, ActivityInline, InlineFormMixin, PortalCreateView):
    model = Activity
    form_class = ActivityForm
    parent_model = PriorityArea
    parent_field = "priority_area"

    def parent_queryset(self):
        return PriorityArea.objects.select_related("plan")

    def guarded_plan(self):
        return self.get_parent().plan

    def get_initial(self):
        numbers = [a.number for a in self.get_parent().activities.all()]
        return {"number": max(numbers, default=0) + 1}

    def inline_id(self) -> str:
        return f"area-{self.get_parent().pk}-activity-add"

    def page_url(self) -> str:
        return _plan_page(self.get_parent().plan_id)

    def success_target(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityScoped:
    model = Activity

    def scoped(self):
        return Activity.objects.select_related("priority_area__plan__cbm")


class ActivityRow(FrozenPlanGuard, ActivityInline):
    inline_tag = "li"

    def guarded_plan(self):
        return self.get_object().priority_area.plan

    def inline_id(self) -> str:
        return f"activity-{self.object.pk}"

    def page_url(self) -> str:
        return _plan_page(self.object.priority_area.plan_id)


class ActivityUpdate(ActivityScoped, ActivityRow, InlineFormMixin, PortalUpdateView):
    form_class = ActivityForm

    def success_target(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityDelete(ActivityScoped, ActivityRow, InlineDeleteMixin, PortalDeleteView):
    def after_delete_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)

    def back_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)


class ActivityHistory(ActivityScoped, PortalHistoryView):
    def back_url(self, obj):
        return _plan_page(obj.priority_area.plan_id)
