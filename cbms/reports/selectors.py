"""Reads of a report's submissions and reviews, as far as the reader may see them (SPEC §5).

The secretariat and the reporting country's focal points read every submission of a report and
every review, comments included. Everyone else (the public, analysts, other countries' focal
points) reads the accepted submission alone: not the earlier ones that were returned, not the
secretariat's comments, not even how many there were. The API, its CSV export and the pages all
read through these functions.
"""

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from conferences.models import MinisterialConference
from members.models import Country
from members.permissions import is_focal_point, is_secretariat

from ..compliance import rule
from ..compliance.selectors import timeline_read
from ..models import (
    CBM,
    Activity,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    ProgressReport,
    ReportReview,
    ReportState,
    ReportSubmission,
    ReviewDecision,
)
from ..models.plans import version_in_force_on
from .permissions import report_cycle


def _review_trail(user, *, report: str) -> Q | None:
    """The reports (reached from the queried model by `report`) whose whole trail the user
    reads: None for all of them, an empty match for none."""
    if is_secretariat(user):
        return None
    if is_focal_point(user):
        return Q(**{f"{report}country_id": user.country_id})
    return Q(pk__in=[])


def reads_review_trail(user, report: ProgressReport) -> bool:
    """Whether the user reads every submission of the report and its reviews, who made them."""
    trail = _review_trail(user, report="")
    return trail is None or ProgressReport.objects.filter(trail, pk=report.pk).exists()


def submissions_visible_to(user) -> Q:
    """Which submissions the user reads, as a condition on ReportSubmission."""
    trail = _review_trail(user, report="report__")
    if trail is None:
        return Q()
    accepted = ReportReview.objects.filter(
        submission=OuterRef("pk"), decision=ReviewDecision.ACCEPTED
    )
    return Q(Exists(accepted)) | trail


def reviews_visible_to(user) -> Q:
    """Which reviews (decision and comment) the user reads, as a condition on ReportReview."""
    trail = _review_trail(user, report="submission__report__")
    return Q() if trail is None else trail


def report_submissions(*, report: ProgressReport, user) -> QuerySet[ReportSubmission]:
    """The submissions of the report the user reads, oldest first, each with the reviews they
    read (`reviews.all()`)."""
    reviews = ReportReview.objects.filter(reviews_visible_to(user)).order_by("at", "id")
    return (
        ReportSubmission.objects.filter(submissions_visible_to(user), report=report)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("reviews", queryset=reviews))
        .order_by("number")
    )


def submission_count(user) -> Coalesce:
    """How many submissions of each report the user reads, for `annotate(versions=…)`: one
    expression, so that the `versions` field, its filter and its ordering agree."""
    counted = (
        ReportSubmission.objects.filter(submissions_visible_to(user), report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- What a report speaks of --------------------------------------------------------------------


def report_plan(report: ProgressReport) -> ImplementationPlanVersion | None:
    """The plan version a report speaks of: the one in force on the last day of its cycle, or
    today while the cycle runs. An MC7-cycle report never lists a plan adopted after that cycle
    ended, nor a draft."""
    today = timezone.localdate()
    cycle = report_cycle(conference=report.conference)
    day = today if cycle is None or cycle.estimated else min(cycle.last_day, today)
    versions = ImplementationPlanVersion.objects.filter(cbm_id=report.cbm_id).exclude(
        status=PlanStatus.DRAFT
    )
    return version_in_force_on(versions, day)


def plan_activities(plan: ImplementationPlanVersion | None) -> QuerySet[Activity]:
    """The activities a report on `plan` lists, in the plan's order."""
    if plan is None:
        return Activity.objects.none()
    return (
        Activity.objects.filter(priority_area__plan=plan)
        .select_related("priority_area")
        .order_by("priority_area__number", "number")
    )


# --- Reports in reach: what a focal point may start, and the secretariat's overview ----------


@dataclass(frozen=True)
class StartChoice:
    """A CBM and the conference whose cycle a country may start a report on."""

    cbm: CBM
    conference: MinisterialConference


def _led_in_cycle(role: CBMRole, cycle: rule.Cycle) -> bool:
    """The same overlap as CBMRoleQuerySet.overlapping, on rows already read."""
    return (role.until is None or role.until >= cycle.start) and (
        cycle.end is None or role.since < cycle.end
    )


def report_start_choices(*, country_id: int | None, cbm_id: int | None = None) -> list[StartChoice]:
    """Every (CBM, cycle) on which the country may start a report and has none yet: the test
    report_start applies (country_leads_in_cycle), run over rows read in four queries."""
    if country_id is None:
        return []
    cycles = timeline_read().cycles
    roles = CBMRole.objects.leads().filter(country_id=country_id).select_related("cbm")
    if cbm_id is not None:
        roles = roles.filter(cbm_id=cbm_id)
    conferences = {
        c.number: c
        for c in MinisterialConference.objects.filter(number__in=[cy.conference for cy in cycles])
    }
    started = set(
        ProgressReport.objects.filter(country_id=country_id).values_list("cbm_id", "conference_id")
    )
    choices: dict[tuple[int, int], StartChoice] = {}
    for role in roles:
        for cycle in cycles:
            conference = conferences.get(cycle.conference)
            if conference is None or not _led_in_cycle(role, cycle):
                continue
            if (role.cbm_id, conference.pk) not in started:
                choices[(role.cbm_id, conference.pk)] = StartChoice(role.cbm, conference)
    return sorted(choices.values(), key=lambda c: (c.cbm.code, -c.conference.number))


class Actor(StrEnum):
    """Who is to act on a report next."""

    COUNTRY = "country"
    SECRETARIAT = "secretariat"
    NOBODY = "nobody"


# The state shown for a leading country that has not started its report.
NO_REPORT = "none"
_ACTOR_BY_STATE = {
    NO_REPORT: Actor.COUNTRY,
    ReportState.DRAFT: Actor.COUNTRY,
    ReportState.RETURNED: Actor.COUNTRY,
    ReportState.SUBMITTED: Actor.SECRETARIAT,
    ReportState.ACCEPTED: Actor.NOBODY,
}


@dataclass(frozen=True)
class OverviewEntry:
    """One leading country's report (or its absence) on one CBM in one cycle."""

    country: Country
    state: str  # a ReportState value, or NO_REPORT
    report: ProgressReport | None

    @property
    def to_act(self) -> Actor:
        return _ACTOR_BY_STATE[self.state]

    @property
    def state_label(self) -> str:
        return _("none") if self.state == NO_REPORT else ReportState(self.state).label


@dataclass(frozen=True)
class OverviewRow:
    cbm: CBM
    cells: list[list[OverviewEntry]]  # one per cycle of `ReportOverview.conferences`


@dataclass(frozen=True)
class ReportOverview:
    conferences: list[MinisterialConference]
    rows: list[OverviewRow]


def report_overview() -> ReportOverview:
    """CBM × cycle, newest cycle first: for each country that led the CBM in the cycle, its
    report's state. Reports of a country that did not lead (made before a role was corrected)
    are shown too, so that none goes unseen. A fixed number of queries, however many rows."""
    cycles = sorted(timeline_read().cycles, key=lambda c: -c.conference)
    by_number = {
        c.number: c
        for c in MinisterialConference.objects.filter(number__in=[cy.conference for cy in cycles])
    }
    cycles = [cy for cy in cycles if cy.conference in by_number]
    roles = list(CBMRole.objects.leads().select_related("country"))
    reports: dict[tuple[int, int], dict[int, ProgressReport]] = defaultdict(dict)
    for report in ProgressReport.objects.select_related("country"):
        reports[(report.cbm_id, report.conference_id)][report.country_id] = report
    rows = []
    for cbm in CBM.objects.order_by("code"):
        cells = []
        for cycle in cycles:
            conference = by_number[cycle.conference]
            countries = {
                role.country_id: role.country
                for role in roles
                if role.cbm_id == cbm.pk and _led_in_cycle(role, cycle)
            }
            reported = reports.get((cbm.pk, conference.pk), {})
            for country_id, report in reported.items():
                countries.setdefault(country_id, report.country)
            entries = []
            for country_id, country in sorted(countries.items(), key=lambda kv: kv[1].code):
                report = reported.get(country_id)
                entries.append(
                    OverviewEntry(country, report.state if report else NO_REPORT, report)
                )
            cells.append(entries)
        rows.append(OverviewRow(cbm, cells))
    return ReportOverview([by_number[cy.conference] for cy in cycles], rows)
