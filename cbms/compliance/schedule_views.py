"""The secretariat's reminder schedule: edited in the portal, its history shown beneath."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView

from hoa_portal.views import PolicyMixin
from members.permissions import is_secretariat

from ..models import ReminderPolicy
from .forms import ReminderScheduleForm
from .reminders import reminder_policy_read, reminder_policy_update


class ReminderSchedule(PolicyMixin, FormView):
    policy = staticmethod(is_secretariat)
    form_class = ReminderScheduleForm
    template_name = "compliance/reminder_schedule.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = reminder_policy_read()
        return kwargs

    def form_valid(self, form):
        try:
            policy = reminder_policy_update(
                days_before=form.cleaned_data["days_before"],
                escalate_within_days=form.cleaned_data["escalate_within_days"],
                actor=self.request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Saved the reminder schedule: reminders %(days)s days before the deadline; the "
                "desk from %(escalate)s days."
            )
            % {
                "days": ", ".join(str(day) for day in policy.days_before),
                "escalate": policy.escalate_within_days,
            },
        )
        return redirect(reverse("reminder_schedule"))

    def form_invalid(self, form):
        messages.error(self.request, _("Nothing was saved: please correct the errors below."))
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Reminder schedule")
        context["cancel_url"] = reverse("records")
        context["versions"] = list(
            ReminderPolicy.history.filter(id=1)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )
        return context
