"""The compliance dashboard, the timeline picture per CBM and a focal point's "my country"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from conferences.models import (
    EARLIEST_DAY,
    PLANNING_HORIZON,
    Meeting,
    MeetingKind,
    MinisterialConference,
)
from hoa_portal.views import (
    PolicyMixin,
)
from members.permissions import (
    can_see_compliance,
    is_focal_point,
)

from ..models import (
    CBM,
    CBMRole,
    ObligationStatus,
    RoleKind,
)
from ..records.permissions import (
    led_cbm_ids,
)
from ..records.views.records import party_names
from . import rule
from .forms import (
    DashboardFilterForm,
)
from .selectors import (
    CBMHistory,
    Timeline,
    cbm_compliance,
    cbm_histories_read,
    timeline_read,
)

# --- Compliance: what the dashboard and "my country" show ----------------------------------------

STATUS_SYMBOLS = {
    "met": "✓",
    "late": "!",
    "scheduled": "◷",
    "open": "○",
    "at_risk": "⚠",
    "missed": "✗",
    "infeasible": "∅",
    "no_lead": "–",
    "not_in_force": "·",
}
STATUS_MEANINGS = {
    "met": gettext_lazy("an RTG was held within the window"),
    "late": gettext_lazy("no RTG in the window; one was held later in the same cycle"),
    "scheduled": gettext_lazy("the window is open and an RTG is planned within it"),
    "open": gettext_lazy("the window is open; nothing is held or planned yet"),
    "at_risk": gettext_lazy("the deadline is within 30 days and nothing is held or planned"),
    "missed": gettext_lazy("the window closed with no RTG held in it"),
    "infeasible": gettext_lazy("the cycle is too short for a review window"),
    "no_lead": gettext_lazy("no country led the CBM during the cycle"),
    "not_in_force": gettext_lazy("the cycle began before the RTG rule took effect"),
}
OPEN_STATUSES = {"open", "at_risk", "scheduled"}


def day(value: dt.date | None) -> str:
    return date_format(value, "j M Y") if value else "—"


@dataclass(frozen=True)
class StatusInfo:
    code: str
    label: str
    symbol: str
    meaning: str


def status_info(code: str) -> StatusInfo:
    return StatusInfo(
        code=code,
        label=str(ObligationStatus(code).label),
        symbol=STATUS_SYMBOLS[code],
        meaning=str(STATUS_MEANINGS[code]),
    )


def legend() -> list[StatusInfo]:
    return [status_info(code) for code in STATUS_SYMBOLS]


@dataclass
class ObligationView:
    cbm: CBM
    cycle: rule.Cycle
    conference_label: str
    kind: str
    kind_label: str
    status: StatusInfo
    window_start: dt.date
    deadline: dt.date
    estimated: bool
    met_by: rule.Meeting | None
    explanation: str
    days_left: int | None = None

    @property
    def anchor(self) -> str:
        return f"cbm-{self.cbm.pk}-mc-{self.cycle.conference}"


@dataclass
class CycleCell:
    cycle: rule.Cycle
    prioritisation: ObligationView | None = None
    review: ObligationView | None = None


@dataclass
class CBMCompliance:
    cbm: CBM
    leads: str
    cells: list[CycleCell]
    obligations: list[ObligationView]
    annual: dict[int, rule.AnnualCount]
    timeline: dict = field(default_factory=dict)


def _window_words(item, cycle: rule.Cycle) -> str:
    if item.kind == rule.Kind.PRIORITISATION:
        return _("between %(start)s and %(end)s") % {
            "start": day(item.window_start),
            "end": day(item.deadline),
        }
    return _("after %(start)s and by %(end)s") % {
        "start": day(item.window_start),
        "end": day(item.deadline),
    }


def explain(item, cycle: rule.Cycle, meeting, rule_from: dt.date | None, on: dt.date) -> str:
    """One obligation's status in words, with its dates."""
    window = _window_words(item, cycle)
    status = item.status
    words = {
        "met": lambda: (
            _("met: RTG held on %(held)s, %(window)s.")
            % {"held": day(meeting.date), "window": window}
        ),
        "late": lambda: (
            _("late: no RTG held %(window)s; the RTG of %(held)s came after the window closed.")
            % {"held": day(meeting.date), "window": window}
        ),
        "scheduled": lambda: _("scheduled: an RTG is planned %(window)s.") % {"window": window},
        "open": lambda: (
            _("open: no RTG held or planned yet; the window runs %(window)s.") % {"window": window}
        ),
        "at_risk": lambda: (
            _(
                "at risk: the deadline, %(deadline)s, is %(days)s days away and no RTG is held or "
                "planned %(window)s."
            )
            % {"deadline": day(item.deadline), "days": (item.deadline - on).days, "window": window}
        ),
        "missed": lambda: _("missed: no RTG held %(window)s.") % {"window": window},
        "infeasible": lambda: (
            _(
                "infeasible: the cycle is too short; the review deadline, %(deadline)s, falls "
                "before the prioritisation window closes."
            )
            % {"deadline": day(item.deadline)}
        ),
        "no_lead": lambda: (
            _(
                "no lead: no country led the CBM between %(start)s and %(end)s, so no country owed "
                "this RTG."
            )
            % {"start": day(cycle.start), "end": day(cycle.end)}
        ),
        "not_in_force": lambda: (
            _(
                "not in force: the cycle began on %(start)s, before the RTG rule took effect on "
                "%(rule)s."
            )
            % {"start": day(cycle.start), "rule": day(rule_from)}
            if rule_from
            else _("not in force: no RTG rule is recorded.")
        ),
    }
    text = words[status]()
    if item.estimated:
        text += " " + _(
            "The next conference has no date yet: it is estimated at %(end)s, so the deadline is "
            "estimated."
        ) % {"end": day(cycle.end)}
    return text


def _conference_labels() -> dict[int, str]:
    labels = {}
    for number, city, year in MinisterialConference.objects.values_list("number", "city", "year"):
        labels[number] = f"MC{number} {city} {year}".replace("  ", " ")
    return labels


def compliance_for(
    cbms: list[CBM], *, on: dt.date, timeline: Timeline | None = None
) -> tuple[list[CBMCompliance], Timeline, dict[int, str]]:
    """Every given CBM's obligations and annual counts on `on`, in a number of queries that
    does not grow with the CBMs, the cycles or the meetings: the timeline is read once and the
    histories in one call."""
    timeline = timeline or timeline_read()
    labels = _conference_labels()
    histories: dict[int, CBMHistory] = {
        h.cbm_id: h for h in cbm_histories_read([c.pk for c in cbms])
    }
    results = []
    for cbm in cbms:
        history = histories[cbm.pk]
        result = cbm_compliance(history=history, timeline=timeline, on=on)
        meetings = {m.id: m for m in history.meetings}
        cycles = {c.conference: c for c in timeline.cycles}
        cells = {c.conference: CycleCell(c) for c in timeline.cycles}
        obligations = []
        for item in result.obligations:
            cycle = cycles[item.conference]
            meeting = meetings.get(item.met_by)
            view = ObligationView(
                cbm=cbm,
                cycle=cycle,
                conference_label=labels.get(item.conference, f"MC{item.conference}"),
                kind=item.kind,
                kind_label=(
                    _("prioritisation RTG")
                    if item.kind == rule.Kind.PRIORITISATION
                    else _("review RTG")
                ),
                status=status_info(item.status),
                window_start=item.window_start,
                deadline=item.deadline,
                estimated=item.estimated,
                met_by=meeting,
                explanation=explain(item, cycle, meeting, timeline.rule_effective_from, on),
                days_left=(item.deadline - on).days,
            )
            obligations.append(view)
            setattr(cells[item.conference], str(item.kind), view)
        results.append(
            CBMCompliance(
                cbm=cbm,
                leads=party_names(
                    dict.fromkeys(r.country for r in cbm.roles.all() if r.role == RoleKind.LEAD)
                ),
                cells=[cells[c.conference] for c in timeline.cycles],
                obligations=obligations,
                annual={count.year: count for count in result.annual},
                timeline=timeline_picture(cbm, obligations, history, on),
            )
        )
    return results, timeline, labels


# --- The timeline picture -----------------------------------------------------------------------

SVG_WIDTH = 1000
SVG_LEFT = 120
SVG_RIGHT = 20
LANES = {"prioritisation": 58, "review": 100, "rtg": 150}


def timeline_picture(cbm, obligations: list[ObligationView], history: CBMHistory, on) -> dict:
    """Coordinates for the server-rendered SVG: cycles' windows, RTGs, what each RTG met."""
    if not obligations:
        return {}
    meetings = sorted(history.meetings, key=lambda m: (m.date, m.id))
    # The picture spans the cycles and the meetings dated as the portal accepts them. One stored
    # otherwise, by a write that skipped validation, is drawn at the edge (its title gives its
    # date) rather than stretching the picture over centuries, or past the last date there is.
    latest = timezone.localdate() + PLANNING_HORIZON
    plausible = [m.date for m in meetings if EARLIEST_DAY <= m.date <= latest]
    start = min(o.cycle.start for o in obligations) - dt.timedelta(days=45)
    end = max([o.cycle.end for o in obligations] + plausible)
    end += dt.timedelta(days=45)
    span = max((end - start).days, 1)

    def x(value: dt.date) -> float:
        value = min(max(value, start), end)
        return round(SVG_LEFT + (value - start).days * (SVG_WIDTH - SVG_LEFT - SVG_RIGHT) / span, 1)

    met_labels: dict[int, list[str]] = {}
    windows = []
    for o in obligations:
        letter = "P" if o.kind == rule.Kind.PRIORITISATION else "R"
        x1, x2 = x(o.window_start), x(o.deadline)
        windows.append(
            {
                "x": x1,
                "width": max(x2 - x1, 3),
                "y": LANES[o.kind],
                "mid": round((x1 + x2) / 2, 1),
                "status": o.status,
                "title": f"{o.kind_label}, {o.conference_label}: {o.explanation}",
            }
        )
        if o.met_by is not None:
            met_labels.setdefault(o.met_by.id, []).append(f"{letter}{o.cycle.conference}")
    conferences = []
    for o in obligations:
        if o.kind == rule.Kind.PRIORITISATION:
            conferences.append({"x": x(o.cycle.start), "label": f"MC{o.cycle.conference}"})
    last = max(obligations, key=lambda o: o.cycle.start).cycle
    conferences.append(
        {
            "x": x(last.end),
            "label": f"MC{last.conference + 1}" + ("?" if last.estimated else ""),
        }
    )
    rtgs = []
    for m in meetings:
        held = m.status == rule.MeetingStatus.HELD and m.date <= on
        planned = not held and m.status != rule.MeetingStatus.CANCELLED
        met = met_labels.get(m.id, [])
        kind = "held" if held else "planned" if planned else "cancelled"
        label = " ".join(met)
        rtgs.append(
            {
                "x": x(m.date),
                "kind": kind,
                "label": label,
                "title": _("RTG %(state)s on %(date)s%(met)s")
                % {
                    "state": {
                        "held": _("held"),
                        "planned": _("planned"),
                        "cancelled": _("cancelled"),
                    }[kind],
                    "date": day(m.date),
                    "met": (" — " + _("met %s") % ", ".join(met)) if met else "",
                },
            }
        )
    years = [
        {"x": x(dt.date(year, 1, 1)), "label": year} for year in range(start.year + 1, end.year + 1)
    ]
    marker = x(on) if start <= on <= end else None
    # A replayed day is named by its date: the marker shows the day the statuses are as on.
    marker_label = _("today") if on == timezone.localdate() else day(on)
    return {
        "width": SVG_WIDTH,
        "height": 190,
        "left": SVG_LEFT,
        "right": SVG_WIDTH - SVG_RIGHT,
        "lanes": LANES,
        "windows": windows,
        "conferences": conferences,
        "rtgs": rtgs,
        "years": years,
        "marker": marker,
        "marker_label": marker_label,
        "title": _("Timeline of %(code)s: windows of each cycle, RTGs, and what each RTG met")
        % {"code": cbm.code},
        "summary": _("%(held)s RTGs held, %(planned)s planned; %(met)s obligations met or late.")
        % {
            "held": sum(1 for r in rtgs if r["kind"] == "held"),
            "planned": sum(1 for r in rtgs if r["kind"] == "planned"),
            "met": sum(1 for o in obligations if o.status.code in ("met", "late")),
        },
    }


# --- The dashboard ------------------------------------------------------------------------------


def _cbms_with_leads():
    return CBM.objects.order_by("code").prefetch_related(
        Prefetch(
            "roles",
            queryset=CBMRole.objects.filter(role=RoleKind.LEAD).select_related("country"),
        )
    )


class ComplianceDashboard(PolicyMixin, TemplateView):
    """Every CBM × every conference cycle, coloured by obligation status and said in words."""

    policy = staticmethod(can_see_compliance)
    template_name = "cbms/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = DashboardFilterForm(self.request.GET or None)
        chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
        on = chosen.get("on") or timezone.localdate()
        cbms = list(_cbms_with_leads())
        if chosen.get("cbm"):
            cbms = [c for c in cbms if c.pk == chosen["cbm"].pk]
        if chosen.get("country"):
            country_id = chosen["country"].pk
            cbms = [c for c in cbms if any(r.country_id == country_id for r in c.roles.all())]
        rows, timeline, labels = compliance_for(cbms, on=on)
        # Cycles no CBM is bound to (before the first approval) would be empty columns.
        bound = [
            i
            for i, cycle in enumerate(timeline.cycles)
            if any(row.cells[i].prioritisation for row in rows)
        ]
        for row in rows:
            row.cells = [row.cells[i] for i in bound]
        years = sorted({year for row in rows for year in row.annual})
        context.update(
            form=form,
            on=on,
            rows=rows,
            cycles=[
                {"cycle": c, "label": labels.get(c.conference, f"MC{c.conference}")}
                for c in (timeline.cycles[i] for i in bound)
            ],
            years=years,
            annual_rows=[
                (row, [row.annual.get(year) for year in years]) for row in rows if row.annual
            ],
            legend=legend(),
            rule_from=timeline.rule_effective_from,
            filtered=bool(chosen.get("cbm") or chosen.get("country")),
        )
        return context


# --- My country ---------------------------------------------------------------------------------


class MyCountry(PolicyMixin, TemplateView):
    """A focal point's country: the CBMs it leads, their open obligations, their RTGs."""

    policy = staticmethod(is_focal_point)
    template_name = "cbms/my_country.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, timezone.localdate()
        led = led_cbm_ids(user)
        cbms = list(_cbms_with_leads().filter(pk__in=led))
        rows, _timeline, _labels = compliance_for(cbms, on=today)
        open_items = sorted(
            (o for row in rows for o in row.obligations if o.status.code in OPEN_STATUSES),
            key=lambda o: o.deadline,
        )
        recent = sorted(
            (
                o
                for row in rows
                for o in row.obligations
                if o.status.code in ("missed", "late") and o.deadline.year >= today.year - 2
            ),
            key=lambda o: o.deadline,
            reverse=True,
        )
        meetings = (
            Meeting.objects.filter(kind=MeetingKind.RTG, cbm__in=led)
            .select_related("cbm", "host")
            .order_by("-date")
        )
        context.update(
            country=user.country,
            today=today,
            rows=rows,
            open_items=open_items,
            recent=recent,
            meetings=meetings,
            legend=legend(),
        )
        return context
