"""The front page and the secretariat's index of every kind of record."""

from django.views.generic import TemplateView

from conferences.models import ConferenceStatus, MinisterialConference
from hoa_portal.views import PolicyMixin
from members.permissions import can_edit_records

from ...models import CBM


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cbm_count"] = CBM.objects.count()
        context["latest_conference"] = (
            MinisterialConference.objects.filter(status=ConferenceStatus.HELD)
            .select_related("host")
            .order_by("-number")
            .first()
        )
        context["next_conference"] = (
            MinisterialConference.objects.filter(status=ConferenceStatus.PLANNED)
            .select_related("host")
            .order_by("number")
            .first()
        )
        return context


class RecordsIndex(PolicyMixin, TemplateView):
    """The secretariat's way in to every kind of record."""

    policy = staticmethod(can_edit_records)
    template_name = "records.html"
