"""Pages for ministerial conferences, their declarations and articles, and meetings."""

import django_filters
from django.contrib import messages
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from hoa_portal.views import (
    Column,
    PortalCreateView,
    PortalDeleteView,
    PortalDetailView,
    PortalHistoryView,
    PortalListView,
    PortalUpdateView,
    QuickSelect,
    secretariat_or_focal_point,
)
from members.models import Country
from members.permissions import is_secretariat

from .forms import ArticleForm, ConferenceForm, DeclarationForm, MeetingForm, RtgForm
from .models import (
    Article,
    ConferenceStatus,
    Declaration,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MinisterialConference,
    cbm_ids_led_by,
)
from .permissions import can_record_meeting
from .resources import MeetingResource

CBM = Meeting._meta.get_field("cbm").related_model  # conferences imports nothing from cbms


# --- Conferences --------------------------------------------------------------------------------


class ConferenceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ConferenceStatus.choices, empty_label=_("any")
    )
    host = django_filters.ModelChoiceFilter(
        label=_("Host"), queryset=Country.objects.all(), empty_label=_("any")
    )

    class Meta:
        model = MinisterialConference
        fields = ["status", "host"]


class ConferenceList(PortalListView):
    model = MinisterialConference
    title = _("Ministerial Conferences")
    intro = _(
        "The annual Ministerial Conferences, the highest decision-making body of the process; "
        "each adopts a Declaration and announces the next host."
    )
    filterset_class = ConferenceFilter
    search_fields = ["city", "host__name", "declaration__title"]
    default_sort = "number"
    detail_url_name = "conferences:conference_detail"
    create_url_name = "conferences:conference_create"
    csv_filename = "conferences"
    columns = [
        Column("number", _("No."), "number", sort="number"),
        Column("conference", _("Conference"), str, link=True),
        Column("date", _("Date"), "date", sort="date"),
        Column("city", _("City"), "city", sort="city"),
        Column("host", _("Host"), "host.name", sort="host__name"),
        Column("status", _("Status"), "status", sort="status"),
        Column("declaration", _("Declaration"), lambda c: _declaration_title(c)),
    ]

    def base_queryset(self):
        return MinisterialConference.objects.select_related("host", "declaration")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["related_links"] = [
            (_("All declarations"), reverse("conferences:declaration_list"))
        ]
        return context


def _declaration_title(conference) -> str | None:
    try:
        return conference.declaration.title
    except Declaration.DoesNotExist:
        return None


class ConferenceDetail(PortalDetailView):
    model = MinisterialConference
    template_name = "conferences/conference_detail.html"

    def visible(self):
        return MinisterialConference.objects.select_related("host", "declaration").prefetch_related(
            "declaration__articles",
            # By code, as CBMs are listed everywhere; the model's own order is by approval date.
            Prefetch(
                "approved_cbms",
                queryset=MinisterialConference._meta.get_field(
                    "approved_cbms"
                ).related_model.objects.order_by("code"),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["declaration"] = _declaration_or_none(self.object)
        return context


def _declaration_or_none(conference):
    try:
        return conference.declaration
    except Declaration.DoesNotExist:
        return None


class ConferencePages:
    """The model and the page to go back to, for every view of a conference."""

    model = MinisterialConference
    page_url_name = "conferences:conference_detail"


class ConferenceCreate(ConferencePages, PortalCreateView):
    form_class = ConferenceForm
    cancel_url_name = "conferences:conference_list"


class ConferenceUpdate(ConferencePages, PortalUpdateView):
    form_class = ConferenceForm


class ConferenceDelete(ConferencePages, PortalDeleteView):
    list_url_name = "conferences:conference_list"


class ConferenceHistory(ConferencePages, PortalHistoryView):
    pass


# --- Declarations and articles ------------------------------------------------------------------


def _declaration_page(obj) -> str:
    return reverse("conferences:conference_detail", args=[obj.conference_id])


class DeclarationList(PortalListView):
    model = Declaration
    title = _("Declarations")
    intro = _("The Declaration each Ministerial Conference adopted, and its articles.")
    search_fields = ["title", "summary", "conference__city"]
    default_sort = "conference"
    csv_filename = "declarations"
    columns = [
        Column("title", _("Title"), "title", sort="title", link=True),
        Column("conference", _("Conference"), "conference", sort="conference__number"),
        Column("date", _("Adopted on"), "conference.date", sort="conference__date"),
        Column("articles", _("Articles recorded"), "article_count", sort="article_count"),
    ]

    def base_queryset(self):
        return Declaration.objects.select_related("conference__host").annotate(
            article_count=Count("articles")
        )

    def detail_url(self, obj):
        return _declaration_page(obj)


class DeclarationPages:
    """The model and the page to go back to, for every view of a declaration."""

    model = Declaration
    page_url_name = "conferences:conference_detail"
    page_of = "conference_id"


class DeclarationCreate(DeclarationPages, PortalCreateView):
    form_class = DeclarationForm
    parent_model = MinisterialConference
    parent_field = "conference"


class DeclarationUpdate(DeclarationPages, PortalUpdateView):
    form_class = DeclarationForm


class DeclarationDelete(DeclarationPages, PortalDeleteView):
    pass


class DeclarationHistory(DeclarationPages, PortalHistoryView):
    pass


class ArticleFilter(django_filters.FilterSet):
    # The widget's class, not an instance: it words its choices when made, in the page's language.
    is_rtg_rule = django_filters.BooleanFilter(label=_("The RTG rule"), widget=BooleanWidget)

    class Meta:
        model = Article
        fields = ["is_rtg_rule"]


def _article_page(obj) -> str:
    return reverse("conferences:conference_detail", args=[obj.declaration.conference_id])


class ArticleList(PortalListView):
    model = Article
    title = _("Articles of declarations")
    intro = _(
        "Articles recorded from the declarations; the one marked as the RTG rule "
        "(Article 25 of the Beijing Declaration) drives compliance."
    )
    filterset_class = ArticleFilter
    search_fields = ["text", "declaration__title"]
    default_sort = "declaration"
    csv_filename = "articles"
    columns = [
        Column(
            "declaration",
            _("Declaration"),
            "declaration.title",
            sort="declaration__conference__number",
            link=True,
        ),
        Column("number", _("Article"), "number", sort="number"),
        Column("is_rtg_rule", _("The RTG rule"), "is_rtg_rule", sort="is_rtg_rule"),
        Column("effective_from", _("In force from"), "effective_from", sort="effective_from"),
        Column("text", _("Text"), lambda a: a.text if len(a.text) < 160 else a.text[:157] + "…"),
    ]

    def base_queryset(self):
        return Article.objects.select_related("declaration")

    def detail_url(self, obj):
        return _article_page(obj)


class ArticlePages:
    """The model, the page to go back to and the rows read, for every view of an article."""

    model = Article
    page_url_name = "conferences:conference_detail"
    page_of = "declaration.conference_id"

    def scoped(self):
        return Article.objects.select_related("declaration")


class ArticleCreate(ArticlePages, PortalCreateView):
    form_class = ArticleForm
    parent_model = Declaration
    parent_field = "declaration"


class ArticleUpdate(ArticlePages, PortalUpdateView):
    form_class = ArticleForm


class ArticleDelete(ArticlePages, PortalDeleteView):
    pass


class ArticleHistory(ArticlePages, PortalHistoryView):
    pass


# --- Meetings -----------------------------------------------------------------------------------


def led_cbms(user):
    """The CBMs the focal point's country leads today (the rule of conferences.permissions)."""
    return CBM.objects.filter(pk__in=cbm_ids_led_by(user.country_id)).order_by("code")


def recordable_meetings(user):
    """The meetings a user may edit (MeetingQuerySet.recordable_by); every other is a 404."""
    return Meeting.objects.recordable_by(user).select_related("cbm", "host")


class MeetingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=MeetingKind.choices, empty_label=_("any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=MeetingStatus.choices, empty_label=_("any")
    )
    cbm = django_filters.ModelChoiceFilter(
        label=_("CBM"),
        queryset=CBM.objects.order_by("code"),
        empty_label=_("any"),
        widget=QuickSelect,  # every CBM, hundreds of them
    )
    date_after = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["kind", "status", "cbm", "date_after", "date_before"]


class MeetingList(PortalListView):
    import_resource = MeetingResource
    import_kind = "meetings"
    model = Meeting
    title = _("Meetings")
    intro = _(
        "Senior Officials Meetings, Ambassadorial Meetings and the Regional Technical Group "
        "meetings (RTGs) each CBM's lead countries convene."
    )
    filterset_class = MeetingFilter
    search_fields = ["city", "notes", "cbm__code", "cbm__name", "host__name"]
    default_sort = "-date"
    detail_url_name = "conferences:meeting_detail"
    create_url_name = "conferences:meeting_create"
    csv_filename = "meetings"
    columns = [
        Column("date", _("Date"), "date", sort="date", link=True),
        Column("kind", _("Kind"), "kind", sort="kind"),
        Column("cbm", _("CBM"), "cbm.code", sort="cbm__code"),
        Column("status", _("Status"), "status", sort="status"),
        Column("city", _("City"), "city", sort="city"),
        Column("host", _("Host"), "host.name", sort="host__name"),
    ]

    def base_queryset(self):
        return Meeting.objects.visible_to(self.request.user).select_related("cbm", "host")

    def can_create(self):
        return secretariat_or_focal_point(self.request.user)


class MeetingDetail(PortalDetailView):
    model = Meeting
    template_name = "conferences/meeting_detail.html"

    def visible(self):
        return Meeting.objects.visible_to(self.request.user).select_related("cbm", "host")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting = self.object
        context["can_edit"] = can_record_meeting(
            self.request.user, kind=meeting.kind, cbm=meeting.cbm
        )
        return context


class MeetingFormMixin:
    """The secretariat gets the full form; a focal point the RTG form, its CBMs only. The view
    asks can_record_meeting again before saving, whatever the form allowed."""

    policy = staticmethod(secretariat_or_focal_point)
    page_url_name = "conferences:meeting_detail"

    def get_form_class(self):
        return MeetingForm if is_secretariat(self.request.user) else RtgForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if not is_secretariat(self.request.user):
            kwargs["cbms"] = led_cbms(self.request.user)
        return kwargs

    def form_valid(self, form):
        meeting = form.instance
        if not can_record_meeting(self.request.user, kind=meeting.kind, cbm=meeting.cbm):
            form.add_error(None, gettext("You may only record RTGs of a CBM your country leads."))
            return self.form_invalid(form)
        return super().form_valid(form)


class MeetingCreate(MeetingFormMixin, PortalCreateView):
    model = Meeting
    cancel_url_name = "conferences:meeting_list"

    def get_initial(self):
        initial = super().get_initial()
        for name in ("cbm", "kind", "status"):
            if self.request.GET.get(name, "").isalnum():
                initial[name] = self.request.GET[name]
        return initial

    def get(self, request, *args, **kwargs):
        self.say_when_the_cbm_asked_for_is_not_led()
        return super().get(request, *args, **kwargs)

    def say_when_the_cbm_asked_for_is_not_led(self) -> None:
        """A focal point sent here for a CBM its country does not lead (an old link, a notice of
        another role) is told so, rather than finding the form set to another CBM."""
        asked = self.request.GET.get("cbm", "")
        if is_secretariat(self.request.user) or not asked.isdigit():
            return
        led = led_cbms(self.request.user)
        if led.filter(pk=asked).exists():
            return
        cbm = CBM.objects.filter(pk=asked).first()
        codes = ", ".join(led.values_list("code", flat=True))
        if not codes:
            message = gettext("Your country leads no CBM today: it has no RTG to schedule.")
        elif cbm is None:
            message = gettext("That CBM does not exist: your country leads %(codes)s.")
        else:
            message = gettext(
                "Your country does not lead %(cbm)s: you may schedule the RTGs of %(codes)s."
            )
        messages.warning(self.request, message % {"cbm": getattr(cbm, "code", ""), "codes": codes})

    def heading(self):
        if is_secretariat(self.request.user):
            return gettext("New meeting")
        return gettext("Schedule or record an RTG")


class MeetingUpdate(MeetingFormMixin, PortalUpdateView):
    model = Meeting

    def scoped(self):
        return recordable_meetings(self.request.user)


class MeetingDelete(PortalDeleteView):
    model = Meeting
    policy = staticmethod(secretariat_or_focal_point)
    page_url_name = "conferences:meeting_detail"
    list_url_name = "conferences:meeting_list"

    def scoped(self):
        return recordable_meetings(self.request.user)


class MeetingHistory(PortalHistoryView):
    model = Meeting
    policy = staticmethod(secretariat_or_focal_point)
    page_url_name = "conferences:meeting_detail"

    def scoped(self):
        return recordable_meetings(self.request.user)
