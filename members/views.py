"""Pages for countries, their participation periods and a user's notices."""

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from hoa_portal.views import (
    Column,
    PolicyMixin,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalUpdateView,
    signed_in,
)

from .forms import CountryForm, ParticipationForm
from .models import Country, Notification, NotificationChannel, Participation, ParticipationKind


def _current_kinds(country) -> str:
    today = timezone.localdate()
    kinds = {
        p.get_kind_display()
        for p in country.participations.all()
        if (p.since is None or p.since <= today) and (p.until is None or p.until >= today)
    }
    return ", ".join(sorted(str(kind) for kind in kinds))


# --- Countries ----------------------------------------------------------------------------------


class CountryFilter(django_filters.FilterSet):
    participation = django_filters.ChoiceFilter(
        label=_("Participation"),
        choices=ParticipationKind.choices,
        method="filter_participation",
        empty_label=_("any"),
    )

    class Meta:
        model = Country
        fields = ["participation"]

    def filter_participation(self, queryset, name, value):
        current = Participation.objects.current_on(timezone.localdate()).filter(kind=value)
        return queryset.filter(pk__in=current.values("country_id"))


class CountryList(PortalListView):
    model = Country
    title = _("Countries")
    intro = _("The participating and supporting countries of the Heart of Asia – Istanbul Process.")
    filterset_class = CountryFilter
    search_fields = ["code", "name"]
    default_sort = "name"
    detail_url_name = "members:country_detail"
    create_url_name = "members:country_create"
    csv_filename = "countries"
    columns = [
        Column("name", _("Name"), "name", sort="name", link=True),
        Column("code", _("Code"), "code", sort="code"),
        Column("participation", _("Participation today"), _current_kinds),
    ]

    def base_queryset(self):
        return Country.objects.prefetch_related("participations")


class CountryDetail(PortalDetailView):
    model = Country
    template_name = "members/country_detail.html"

    def visible(self):
        # String lookups: members imports nothing from the apps that build on it.
        return Country.objects.prefetch_related(
            "participations", "cbm_roles__cbm", "hosted_conferences", "memberships__organization"
        )


class CountryCreate(PortalCreateView):
    model = Country
    form_class = CountryForm
    cancel_url_name = "members:country_list"

    def success_target(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryUpdate(PortalUpdateView):
    model = Country
    form_class = CountryForm

    def success_target(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryDelete(PortalDeleteView):
    model = Country

    def after_delete_url(self, obj):
        return reverse("members:country_list")

    def back_url(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


class CountryHistory(PortalHistoryView):
    model = Country

    def back_url(self, obj):
        return reverse("members:country_detail", args=[obj.pk])


# --- Participations -----------------------------------------------------------------------------


class ParticipationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Participation"), choices=ParticipationKind.choices, empty_label=_("any")
    )

    class Meta:
        model = Participation
        fields = ["kind"]


class ParticipationList(PortalListView):
    model = Participation
    title = _("Participation periods")
    intro = _(
        "When each country took part in the process, in which capacity, and per which source."
    )
    filterset_class = ParticipationFilter
    search_fields = ["country__name", "country__code", "source", "note"]
    default_sort = "country"
    csv_filename = "participations"
    columns = [
        Column("country", _("Country"), "country.name", sort="country__name", link=True),
        Column("kind", _("Participation"), "kind", sort="kind"),
        Column("since", _("Since"), "since", sort="since"),
        Column("until", _("Until"), "until", sort="until"),
        Column("source", _("Source"), "source"),
    ]

    def base_queryset(self):
        return Participation.objects.select_related("country")

    def detail_url(self, obj):
        return reverse("members:country_detail", args=[obj.country_id])


def _country_page(obj) -> str:
    return reverse("members:country_detail", args=[obj.country_id])


class ParticipationCreate(PortalCreateView):
    model = Participation
    form_class = ParticipationForm
    parent_model = Country
    parent_field = "country"

    def success_target(self, obj):
        return _country_page(obj)


class ParticipationUpdate(PortalUpdateView):
    model = Participation
    form_class = ParticipationForm

    def scoped(self):
        return Participation.objects.select_related("country")

    def success_target(self, obj):
        return _country_page(obj)


class ParticipationDelete(PortalDeleteView):
    model = Participation

    def scoped(self):
        return Participation.objects.select_related("country")

    def after_delete_url(self, obj):
        return _country_page(obj)

    def back_url(self, obj):
        return _country_page(obj)


class ParticipationHistory(PortalHistoryView):
    model = Participation

    def scoped(self):
        return Participation.objects.select_related("country")

    def back_url(self, obj):
        return _country_page(obj)


# --- Notifications ------------------------------------------------------------------------------


class NotificationList(PolicyMixin, ListView):
    """The signed-in user's in-portal notices; opening the page marks those shown as read."""

    policy = staticmethod(signed_in)
    template_name = "members/notifications.html"
    paginate_by = 25

    def get_queryset(self):
        return Notification.objects.filter(
            recipient=self.request.user, channel=NotificationChannel.PORTAL
        ).order_by("-created_at", "-id")

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notices = list(context["object_list"])
        unread = {notice.pk for notice in notices if notice.read_at is None}
        # Opened, so read: the notices on this page, in one statement whatever their number.
        Notification.objects.filter(
            pk__in=[notice.pk for notice in notices], read_at__isnull=True
        ).update(read_at=timezone.now())
        context["notices"] = [(notice, notice.pk in unread) for notice in notices]
        return context
