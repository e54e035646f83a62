"""The compliance dashboard, the timeline picture per CBM and a focal point's "my country"."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext, override
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from conferences.models import (
    EARLIEST_DAY,
    PLANNING_HORIZON,
    Meeting,
    MeetingKind,
    MinisterialConference,
)
from hoa_portal.api.renderers import (
    EXPORT_FORMATS,
    ExportColumn,
    Table,
    export_response,
)
from hoa_portal.views import (
    PolicyMixin,
    PortalPaginator,
)
from members.models import Country
from members.permissions import (
    can_see_compliance,
    is_focal_point,
)

from ..models import (
    CBM,
    CBMRole,
    ObligationStatus,
    ReportState,
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
from .report_links import ReportLinks, report_links_read
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
    """9 Dec 2015, as date_format(value, "j M Y") writes it: a page of the dashboard writes
    thousands of dates, and date_format looks the month and the format up again for each."""
    if not value:
        return "—"
    return f"{value.day} {_month_abbreviations(get_language())[value.month]} {value.year:04d}"


@functools.cache
def _month_abbreviations(language: str | None) -> tuple[str, ...]:
    with override(language):
        return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))


class PageDays:
    """day() for one page: its language's month names looked up once, each date written once
    (asking the active language costs more than writing the date)."""

    def __init__(self):
        self._months = _month_abbreviations(get_language())
        self._written: dict[dt.date, str] = {}

    def __call__(self, value: dt.date | None) -> str:
        if not value:
            return "—"
        text = self._written.get(value)
        if text is None:
            text = f"{value.day} {self._months[value.month]} {value.year:04d}"
            self._written[value] = text
        return text


class PagePhrases:
    """gettext for one page, each message translated once: explanations say the same dozen
    phrases for thousands of obligations."""

    def __init__(self):
        self._translated: dict[str, str] = {}

    def __call__(self, message: str) -> str:
        text = self._translated.get(message)
        if text is None:
            text = self._translated[message] = _(message)
        return text


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


class StatusBadges:
    """cbms/_status.html for each status and prefix, rendered once per page: the dashboard shows
    a badge per obligation twice (its cell, its explanation), thousands to a page."""

    def __init__(self):
        self._rendered: dict[tuple[str, str], SafeString] = {}

    def __call__(self, status: StatusInfo, prefix: str) -> SafeString:
        key = (status.code, prefix)
        if key not in self._rendered:
            context = {"status": status, "prefix": prefix}
            self._rendered[key] = mark_safe(render_to_string("cbms/_status.html", context).strip())
        return self._rendered[key]


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
    badge: str = ""  # the status with the kind of obligation, as the explanations show it
    cell_badge: str = ""  # the status with P or R, as the dashboard's cells show it
    cycle_span: str = ""  # "9 Dec 2015 → 4 Dec 2016"

    @property
    def anchor(self) -> str:
        return f"cbm-{self.cbm.pk}-mc-{self.cycle.conference}"


@dataclass
class CycleCell:
    cycle: rule.Cycle
    prioritisation: ObligationView | None = None
    review: ObligationView | None = None


@dataclass(frozen=True)
class CycleExplained:
    """A CBM's obligations of one cycle, as the dashboard explains them below its matrix."""

    anchor: str
    heading: str  # "MC5 Islamabad 2015: 9 Dec 2015 → 4 Dec 2016"
    estimated: bool
    obligations: list[ObligationView]


@dataclass
class CBMCompliance:
    cbm: CBM
    leads: str
    cells: list[CycleCell]
    obligations: list[ObligationView]
    annual: dict[int, rule.AnnualCount]
    timeline: dict = field(default_factory=dict)

    @functools.cached_property
    def explained(self) -> list[CycleExplained]:
        """The obligations cycle by cycle (the template's regroup did this, at a cost that
        counted with a thousand cycles to a page)."""
        groups = []
        for label, group in itertools.groupby(self.obligations, key=lambda o: o.conference_label):
            obligations = list(group)
            first = obligations[0]
            groups.append(
                CycleExplained(
                    anchor=first.anchor,
                    heading=f"{label}: {first.cycle_span}",
                    estimated=first.cycle.estimated,
                    obligations=obligations,
                )
            )
        return groups


def _window_words(item, cycle: rule.Cycle, *, day=day, _=_) -> str:
    if item.kind == rule.Kind.PRIORITISATION:
        return _("between %(start)s and %(end)s") % {
            "start": day(item.window_start),
            "end": day(item.deadline),
        }
    return _("after %(start)s and by %(end)s") % {
        "start": day(item.window_start),
        "end": day(item.deadline),
    }


def explain(
    item, cycle: rule.Cycle, meeting, rule_from: dt.date | None, on: dt.date, *, day=day, _=_
) -> str:
    """One obligation's status in words, with its dates. A page of many passes its own `day`
    and `_` (PageDays, PagePhrases), which say the same in less time."""
    window = _window_words(item, cycle, day=day, _=_)
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
    # Said once for the page, not once per obligation.
    statuses = {code: status_info(code) for code in STATUS_SYMBOLS}
    kind_labels = {
        rule.Kind.PRIORITISATION: _("prioritisation RTG"),
        rule.Kind.REVIEW: _("review RTG"),
    }
    letters = {rule.Kind.PRIORITISATION: "P", rule.Kind.REVIEW: "R"}
    badges = StatusBadges()
    words = TimelineWords.current()
    days, phrases = PageDays(), PagePhrases()
    spans = {c.conference: f"{days(c.start)} → {days(c.end)}" for c in timeline.cycles}
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
            status = statuses[item.status]
            kind_label = kind_labels[item.kind]
            view = ObligationView(
                cbm=cbm,
                cycle=cycle,
                conference_label=labels.get(item.conference, f"MC{item.conference}"),
                kind=item.kind,
                kind_label=kind_label,
                status=status,
                window_start=item.window_start,
                deadline=item.deadline,
                estimated=item.estimated,
                met_by=meeting,
                explanation=explain(
                    item, cycle, meeting, timeline.rule_effective_from, on, day=days, _=phrases
                ),
                days_left=(item.deadline - on).days,
                badge=badges(status, kind_label),
                cell_badge=badges(status, letters[item.kind]),
                cycle_span=spans[item.conference],
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
                timeline=timeline_picture(cbm, obligations, history, on, words=words, day=days),
            )
        )
    return results, timeline, labels


# --- The timeline picture -----------------------------------------------------------------------

SVG_WIDTH = 1000
SVG_LEFT = 120
SVG_RIGHT = 20
# Where the rows sit when no label has moved aside: the top of a lane's bars, the RTGs' dots.
LANES = {"prioritisation": 58, "review": 100, "rtg": 150}
LINE = 12  # a label moved aside sits a line lower, and so does everything below it
# Widths of labels, estimated per character in font sizes: DejaVu Sans, Debian's (and so the
# CI's) and among the widest sans-serif fonts, measures up to 0.64 regular and 0.75 bold on the
# timeline's words. Too wide an estimate moves a label aside that would have fitted; too narrow
# would let two collide.
CHAR_WIDTH = {False: 0.66, True: 0.76}  # by bold
LABEL_GAP = 4
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100)


def _label_width(text: str, size: int, *, bold: bool = False) -> float:
    return len(text) * size * CHAR_WIDTH[bold]


def _set_aside(labels: list[tuple[float, str]], *, size: int, bold: bool = False):
    """Places a row of labels, each centred on its mark, so that none overlaps another: a label
    takes the first line, from the top, on which it clears the labels already there, and is
    moved inside the picture at its edges. Returns each label's (x, line), in the order given,
    and the number of lines the row needs."""
    placed: list[tuple[float, int]] = [(0.0, 0)] * len(labels)
    ends: list[float] = []  # the right end of each line's last label
    spans = []
    for i, (x, text) in enumerate(labels):
        half = _label_width(text, size, bold=bold) / 2
        spans.append((_inside(x, half), half, i))
    for centre, half, i in sorted(spans, key=lambda span: span[0] - span[1]):
        line = next((n for n, end in enumerate(ends) if centre - half >= end + LABEL_GAP), None)
        if line is None:
            line = len(ends)
            ends.append(0.0)
        ends[line] = centre + half
        placed[i] = (round(centre, 1), line)
    return placed, len(ends)


def _inside(centre: float, half: float) -> float:
    """A label's centre, moved so that the whole label is inside the picture."""
    return min(max(centre, half + 2), SVG_WIDTH - half - 2)


def _year_step(per_year: float) -> int:
    """Every year is ticked; its label only every `step` years, the fewest that leave room."""
    needed = _label_width("2000", 11) + LABEL_GAP
    return next((step for step in YEAR_STEPS if step * per_year >= needed), YEAR_STEPS[-1])


def _rows(lines: dict[str, int]) -> dict[str, int]:
    """The y of each row, top to bottom, pushed down by the lines the labels above it took."""

    def below(row: str) -> int:
        return LINE * max(lines[row] - 1, 0)

    prioritisation = LANES["prioritisation"] + below("mc")
    review = prioritisation + LANES["review"] - LANES["prioritisation"] + below("prioritisation")
    rtg = review + LANES["rtg"] - LANES["review"] + below("review")
    today = rtg + 38 + below("rtg")
    return {
        "prioritisation": prioritisation,
        "review": review,
        "rtg": rtg,
        "today": today,
        "height": today + 6,  # room for the descenders of the today label (Dari's are deep)
    }


@dataclass(frozen=True)
class TimelineWords:
    """What the pictures say in the language of the page, translated once per page."""

    held: str
    planned: str
    cancelled: str
    rtg_title: str  # "RTG %(state)s on %(date)s%(met)s"
    met: str  # "met %s"
    today: str

    @classmethod
    def current(cls) -> TimelineWords:
        return cls(
            held=_("held"),
            planned=_("planned"),
            cancelled=_("cancelled"),
            rtg_title=_("RTG %(state)s on %(date)s%(met)s"),
            met=_("met %s"),
            today=_("today"),
        )


def timeline_picture(
    cbm,
    obligations: list[ObligationView],
    history: CBMHistory,
    on,
    *,
    words: TimelineWords,
    day=day,
) -> dict:
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
    width = SVG_WIDTH - SVG_LEFT - SVG_RIGHT

    def x(value: dt.date) -> float:
        value = start if value < start else end if value > end else value
        return round(SVG_LEFT + (value - start).days * width / span, 1)

    met_labels: dict[int, list[str]] = {}
    windows = []
    for o in obligations:
        letter = "P" if o.kind == rule.Kind.PRIORITISATION else "R"
        x1, x2 = x(o.window_start), x(o.deadline)
        windows.append(
            {
                "x": x1,
                "width": max(x2 - x1, 3),
                "kind": o.kind,
                "mid": round((x1 + x2) / 2, 1),
                "status": o.status,
                "label": f"{o.status.symbol} {o.status.label}",
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
    states = {"held": words.held, "planned": words.planned, "cancelled": words.cancelled}
    held_status, cancelled_status = rule.MeetingStatus.HELD, rule.MeetingStatus.CANCELLED
    rtgs = []
    for m in meetings:
        held = m.status == held_status and m.date <= on
        planned = not held and m.status != cancelled_status
        met = met_labels.get(m.id, ())
        kind = "held" if held else "planned" if planned else "cancelled"
        label = " ".join(met)
        rtgs.append(
            {
                "x": x(m.date),
                "kind": kind,
                "label": label,
                "title": words.rtg_title
                % {
                    "state": states[kind],
                    "date": day(m.date),
                    "met": (" — " + words.met % ", ".join(met)) if met else "",
                },
            }
        )
    step = _year_step(width * 365.25 / span)
    years = [
        {"x": x(dt.date(year, 1, 1)), "label": year, "shown": year % step == 0}
        for year in range(start.year + 1, end.year + 1)
    ]
    marker = x(on) if start <= on <= end else None
    # A replayed day is named by its date: the marker shows the day the statuses are as on.
    marker_label = words.today if on == timezone.localdate() else day(on)
    rows = _lay_out_labels(conferences, windows, rtgs)
    marker_half = _label_width(marker_label, 11, bold=True) / 2
    return {
        "width": SVG_WIDTH,
        "height": rows["height"],
        "left": SVG_LEFT,
        "right": SVG_WIDTH - SVG_RIGHT,
        "rows": rows,
        "windows": windows,
        "conferences": conferences,
        "rtgs": rtgs,
        "years": years,
        "marks": timeline_marks(years, conferences, windows, rtgs, rows=rows),
        "marker": marker,
        "marker_text_x": None if marker is None else round(_inside(marker, marker_half), 1),
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


def _lay_out_labels(conferences, windows, rtgs) -> dict[str, int]:
    """Moves aside the labels that would overlap (two RTGs a week apart, the windows of short
    cycles on a long picture), row by row, sets each label's "text_x" and "text_y", and returns
    where the rows sit (_rows), making room for the lines the labels took."""
    prioritisation = [w for w in windows if w["kind"] == rule.Kind.PRIORITISATION]
    review = [w for w in windows if w["kind"] == rule.Kind.REVIEW]
    # Each row of labels: its items, the point a label centres on, its font (portal.css).
    labelled = {
        "mc": (conferences, "x", 11, True),
        "prioritisation": (prioritisation, "mid", 10, False),
        "review": (review, "mid", 10, False),
        "rtg": ([r for r in rtgs if r["label"]], "x", 10, True),
    }
    placed, lines = {}, {}
    for row, (items, anchor, size, bold) in labelled.items():
        labels = [(item[anchor], item["label"]) for item in items]
        placed[row], lines[row] = _set_aside(labels, size=size, bold=bold)
    rows = _rows(lines)
    first_lines = {
        "mc": 46,
        "prioritisation": rows["prioritisation"] + 34,
        "review": rows["review"] + 34,
        "rtg": rows["rtg"] + 22,
    }
    for row, (items, *_font) in labelled.items():
        for item, (text_x, line) in zip(items, placed[row], strict=True):
            item["text_x"], item["text_y"] = text_x, first_lines[row] + line * LINE
    return rows


def timeline_marks(years, conferences, windows, rtgs, *, rows: dict[str, int]) -> SafeString:
    """The picture's repeated marks (years, conferences, windows, RTGs) as SVG, for
    cbms/_timeline.html to place: written here rather than by template loops, which took most
    of a dashboard page's time at hundreds of RTGs per CBM. Coordinates are plain numbers
    (never "12,5"); text is escaped as the template would."""
    rtg_lane = rows["rtg"]
    parts = [
        f'<g><line class="axis" x1="{y["x"]}" y1="26" x2="{y["x"]}" y2="34"/>'
        + (
            f'<text class="year" x="{y["x"]}" y="20" text-anchor="middle">{y["label"]}</text>'
            if y["shown"]
            else ""
        )
        + "</g>"
        for y in years
    ]
    parts += [
        f'<g class="mc"><line x1="{c["x"]}" y1="36" x2="{c["x"]}" y2="{rtg_lane + 20}"/>'
        f'<text x="{c["text_x"]}" y="{c["text_y"]}" text-anchor="middle">'
        f"{escape(c['label'])}</text></g>"
        for c in conferences
    ]
    parts += [
        f"<g><title>{escape(w['title'])}</title>"
        f'<rect class="window-{w["status"].code}" x="{w["x"]}" y="{rows[w["kind"]]}" '
        f'width="{w["width"]}" height="20" rx="3"/>'
        f'<text class="window-label" x="{w["text_x"]}" y="{w["text_y"]}" text-anchor="middle">'
        f"{escape(w['label'])}</text></g>"
        for w in windows
    ]
    for r in rtgs:
        if r["kind"] == "cancelled":
            mark = (
                f'<path class="rtg-cancelled" d="M{r["x"]:.1f} {rtg_lane} '
                f'm-5 -5 l10 10 m0 -10 l-10 10"/>'
            )
        else:
            mark = f'<circle class="rtg-{r["kind"]}" cx="{r["x"]}" cy="{rtg_lane}" r="6"/>'
        if r["label"]:
            mark += (
                f'<text class="rtg-label" x="{r["text_x"]}" y="{r["text_y"]}" '
                f'text-anchor="middle">{escape(r["label"])}</text>'
            )
        parts.append(f"<g><title>{escape(r['title'])}</title>{mark}</g>")
    return mark_safe("".join(parts))  # every text above is escaped; the rest are our numbers


# --- The dashboard ------------------------------------------------------------------------------


def _cbms_with_leads():
    return CBM.objects.order_by("code").prefetch_related(
        Prefetch(
            "roles",
            queryset=CBMRole.objects.filter(role=RoleKind.LEAD).select_related("country"),
        )
    )


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard's filters chose: the page and its exports show the same CBMs."""

    form: DashboardFilterForm
    on: dt.date
    cbms: QuerySet[CBM]
    filtered: bool


def dashboard_filters(query) -> DashboardFilters:
    """The CBMs the query's filters match, on the day it asks (today if none, or an invalid
    one: the form shows the error and filters nothing)."""
    form = DashboardFilterForm(query or None)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    cbms = _cbms_with_leads()
    if chosen.get("cbm"):
        cbms = cbms.filter(pk=chosen["cbm"].pk)
    if chosen.get("country"):
        led = CBMRole.objects.filter(role=RoleKind.LEAD, country=chosen["country"])
        cbms = cbms.filter(pk__in=led.values("cbm_id"))
    return DashboardFilters(
        form=form,
        on=chosen.get("on") or timezone.localdate(),
        cbms=cbms,
        filtered=bool(chosen.get("cbm") or chosen.get("country")),
    )


class ComplianceDashboard(PolicyMixin, TemplateView):
    """The CBMs × the conference cycles, coloured by obligation status and said in words, a
    page of `cbms_per_page` CBMs at a time: at 500 CBMs and 40 cycles one page of everything was
    20,000 cells and 500 timelines, 55 MB in 14 s. Ten, since a CBM of 40 cycles with 240 RTGs
    is 100 KB of the page and 6 ms of its time: a page of 25 took 180 ms of a core.

    `?format=csv` or `?format=xlsx` exports every CBM the filters match, not a page of them: a
    row per CBM and cycle (compliance_export)."""

    policy = staticmethod(can_see_compliance)
    template_name = "cbms/dashboard.html"
    cbms_per_page = 10

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in EXPORT_FORMATS:
            filters = dashboard_filters(request.GET)
            return compliance_export(export_format, filters.cbms, on=filters.on, user=request.user)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = dashboard_filters(self.request.GET)
        on = filters.on
        # A page past the end (or not a number) shows the nearest page, as the lists do.
        page = PortalPaginator(filters.cbms, self.cbms_per_page).get_page(
            self.request.GET.get("page")
        )
        rows, timeline, labels = compliance_for(list(page.object_list), on=on)
        # Cycles none of the page's CBMs is bound to (before the first approval) would be empty
        # columns.
        bound = [
            i
            for i, cycle in enumerate(timeline.cycles)
            if any(row.cells[i].prioritisation for row in rows)
        ]
        for row in rows:
            row.cells = [row.cells[i] for i in bound]
        years = sorted({year for row in rows for year in row.annual})
        below, not_bound = _("explanation below"), _("not yet bound")
        estimated = _("estimated")
        # The page's reports the user may read, in one query for all its cells.
        reports = CellReports(
            report_links_read(user=self.request.user, cbm_ids=[row.cbm.pk for row in rows])
        )
        context.update(
            form=filters.form,
            on=on,
            rows=rows,
            matrix_rows=[
                (
                    row,
                    matrix_cells(row.cells, below=below, not_bound=not_bound, reports=reports),
                )
                for row in rows
            ],
            page_obj=page,
            cycles=[
                {"cycle": c, "label": labels.get(c.conference, f"MC{c.conference}")}
                for c in (timeline.cycles[i] for i in bound)
            ],
            years=years,
            annual_rows=[
                (row, annual_cells([row.annual.get(year) for year in years]))
                for row in rows
                if row.annual
            ],
            explained_rows=[
                (row, explanation_items(row.explained, estimated=estimated)) for row in rows
            ],
            legend=legend(),
            rule_from=timeline.rule_effective_from,
            filtered=filters.filtered,
        )
        return context


# A page of the dashboard has a thousand cells in each of its two tables and two thousand
# explanations: written here, as the timeline's marks are, rather than by template loops, which
# took most of the page's time.

# The number reverse() is given for a report's id, then replaced: one reverse() per page, not
# one per report link.
_REPORT_ID_MARK = 2_147_483_647


class CellReports:
    """The links from a page's cells to the reports of their cycles that the user may read, a
    country each ("AFG: accepted"), each named in full for a screen reader ("Report of
    Afghanistan, accepted"). Words are translated and the report URL reversed once a page."""

    def __init__(self, links: ReportLinks):
        self._links = links
        self._url = reverse("cbms:report_detail", args=[_REPORT_ID_MARK])
        self._name = _("Report of %(country)s, %(state)s")
        self._states = {state: str(label) for state, label in ReportState.choices}

    def __call__(self, cbm_id: int, conference: int) -> str:
        links = self._links.get((cbm_id, conference))
        if not links:
            return ""
        parts = []
        for link in links:
            state = self._states[link.state]
            url = self._url.replace(str(_REPORT_ID_MARK), str(link.report_id))
            name = self._name % {"country": link.country_name, "state": state}
            parts.append(
                f'<a class="d-block" href="{escape(url)}">'
                f'<span aria-hidden="true">{escape(link.country_code)}: {escape(state)}</span>'
                f'<span class="visually-hidden">{escape(name)}</span></a>'
            )
        return f'<div class="report-state small">{"".join(parts)}</div>'


def matrix_cells(
    cells: list[CycleCell], *, below: str, not_bound: str, reports: CellReports | None = None
) -> SafeString:
    """A CBM's cells of the matrix, a cycle each: its two statuses, linking to the words, and
    links to the cycle's reports the user may read."""
    below = escape(below)
    unbound = (
        f'<td class="not-bound">—<span class="visually-hidden"> {escape(not_bound)}</span></td>'
    )
    parts = []
    for cell in cells:
        first, review = cell.prioritisation, cell.review
        if first is None:
            parts.append(unbound)
            continue
        linked = reports(first.cbm.pk, cell.cycle.conference) if reports else ""
        parts.append(
            f'<td><a class="cell-link" href="#{escape(first.anchor)}">{first.cell_badge} '
            f"{review.cell_badge if review else ''} "
            f'<span class="visually-hidden">{below}</span></a>{linked}</td>'
        )
    return mark_safe("".join(parts))  # the badges are rendered templates; the rest is escaped


def annual_cells(counts: list[rule.AnnualCount | None]) -> SafeString:
    """A CBM's cells of the two-RTGs-a-year table, a year each: held of required."""
    held_of = _("%(held)s of %(required)s")
    parts = []
    for count in counts:
        if count is None:
            parts.append("<td>—</td>")
            continue
        enough = count.held >= count.required
        css = "annual-ok" if enough else "annual-short" if count.held else "annual-none"
        text = escape(held_of % {"held": count.held, "required": count.required})
        tick = ' <span aria-hidden="true">✓</span>' if enough else ""
        parts.append(f'<td class="{css}">{text}{tick}</td>')
    return mark_safe("".join(parts))  # every text above is escaped


def explanation_items(cycles: list[CycleExplained], *, estimated: str) -> SafeString:
    """A CBM's obligations in words below the tables, cycle by cycle, each cycle the target of
    its cells' links."""
    estimated = f" ({escape(estimated)})"
    parts = []
    for cycle in cycles:
        lines = "".join(f"<li>{o.badge} {escape(o.explanation)}</li>" for o in cycle.obligations)
        parts.append(
            f'<li id="{escape(cycle.anchor)}" class="mb-2">'
            f'<h3 class="h6 mb-1">{escape(cycle.heading)}{estimated if cycle.estimated else ""}'
            f"</h3><ul>{lines}</ul></li>"
        )
    return mark_safe("".join(parts))  # the badges are rendered templates; the rest is escaped


# --- The dashboard's export ---------------------------------------------------------------------

# CBMs whose histories (lead periods, RTGs) and reports are read at a time: a long history's 500
# CBMs of 240 RTGs each would otherwise hold 120,000 meetings in memory at once.
EXPORT_CBMS_PER_BATCH = 100
# A row per CBM and cycle; a stable code and a label in the page's language for each status.
EXPORT_COLUMNS = [
    ExportColumn(name)
    for name in (
        "cbm",
        "cbm_name",
        "conference",
        "cycle",
        "cycle_start",
        "cycle_end",
        "leads",
        *(
            f"{kind}_{column}"
            for kind in (rule.Kind.PRIORITISATION, rule.Kind.REVIEW)
            for column in ("status", "status_label", "window_start", "deadline", "met_by")
        ),
        "deadline_estimated",
        "reports",
        "evaluated_on",
    )
]


@dataclass(frozen=True)
class ExportSetting:
    """What every row of an export needs, read once, in the language of the request."""

    on: dt.date
    timeline: Timeline
    cycles: dict[int, rule.Cycle]
    labels: dict[int, str]  # conference number → "MC5 Islamabad 2015"
    countries: dict[int, str]  # country id → code
    statuses: dict[str, str]  # status code → label


def compliance_export(
    export_format: str, cbms: QuerySet[CBM], *, on: dt.date, user
) -> HttpResponseBase:
    """The dashboard's matrix for every CBM given, as CSV or XLSX through the portal's writers
    (which neutralise text a spreadsheet would run as a formula)."""
    table = Table("compliance", EXPORT_COLUMNS, compliance_export_rows(cbms, on=on, user=user))
    return export_response(export_format, [table], filename=f"compliance-{on.isoformat()}")


def compliance_export_rows(cbms: QuerySet[CBM], *, on: dt.date, user) -> Iterator[dict]:
    """A row per CBM and cycle it owes RTGs in, by the rule the page applies (cbm_compliance),
    with the cycle's reports the user may read. What every row needs is read now, while the
    request's language is active; the CBMs' histories and reports a batch at a time, as a
    streamed CSV is written. The queries grow with the batches, never with the CBMs in one."""
    timeline = timeline_read()
    setting = ExportSetting(
        on=on,
        timeline=timeline,
        cycles={cycle.conference: cycle for cycle in timeline.cycles},
        labels=_conference_labels(),
        countries=dict(Country.objects.values_list("pk", "code")),
        statuses={code: str(ObligationStatus(code).label) for code in STATUS_SYMBOLS},
    )
    listed = list(cbms.prefetch_related(None).values_list("pk", "code", "name"))
    return _export_batches(listed, setting, user)


def _export_batches(
    listed: list[tuple[int, str, str]], setting: ExportSetting, user
) -> Iterator[dict]:
    for start in range(0, len(listed), EXPORT_CBMS_PER_BATCH):
        batch = listed[start : start + EXPORT_CBMS_PER_BATCH]
        ids = [pk for pk, _code, _name in batch]
        histories = {history.cbm_id: history for history in cbm_histories_read(ids)}
        reports = report_links_read(user=user, cbm_ids=ids)
        for pk, code, name in batch:
            yield from _cbm_export_rows(code, name, histories[pk], reports, setting)


def _cbm_export_rows(
    code: str, name: str, history: CBMHistory, reports: ReportLinks, setting: ExportSetting
) -> Iterator[dict]:
    result = cbm_compliance(history=history, timeline=setting.timeline, on=setting.on)
    held_on = {meeting.id: meeting.date for meeting in history.meetings}
    by_cycle: dict[int, list[rule.ObligationResult]] = {}
    for item in result.obligations:
        by_cycle.setdefault(item.conference, []).append(item)
    for number, items in by_cycle.items():
        cycle = setting.cycles[number]
        row = {
            "cbm": code,
            "cbm_name": name,
            "conference": number,
            "cycle": setting.labels.get(number, f"MC{number}"),
            "cycle_start": cycle.start,
            "cycle_end": cycle.end,
            # The countries that led at some time in the cycle, as the rule counts a lead.
            "leads": sorted(
                {
                    setting.countries[country_id]
                    for country_id, period in history.lead_countries
                    if period.overlaps(cycle.start, cycle.end)
                }
            ),
            "deadline_estimated": any(item.estimated for item in items),
            "reports": [
                f"{link.country_code}:{link.state}"
                for link in reports.get((history.cbm_id, number), ())
            ],
            "evaluated_on": setting.on,
        }
        for item in items:
            row |= {
                f"{item.kind}_status": item.status,
                f"{item.kind}_status_label": setting.statuses[item.status],
                f"{item.kind}_window_start": item.window_start,
                f"{item.kind}_deadline": item.deadline,
                f"{item.kind}_met_by": held_on.get(item.met_by),
            }
        yield row


# --- My country ---------------------------------------------------------------------------------


def open_item_rows(items: list[ObligationView]) -> SafeString:
    """The rows of "my country"'s open obligations, nearest deadline first: written here, as the
    dashboard's cells are, since a country leading many CBMs of a long history has hundreds,
    and each CBM's links are made once."""
    days, badges = PageDays(), StatusBadges()
    schedule = reverse("conferences:meeting_create")
    estimated = escape(_("estimated"))
    words = {"schedule": escape(_("Schedule an RTG")), "for": escape(_("for"))}
    cbm_urls: dict[int, str] = {}
    parts = []
    for o in items:
        cbm = o.cbm
        if cbm.pk not in cbm_urls:
            cbm_urls[cbm.pk] = escape(reverse("cbms:cbm_detail", args=[cbm.pk]))
        code = escape(cbm.code)
        left = ngettext("%(counter)s day left", "%(counter)s days left", o.days_left) % {
            "counter": o.days_left
        }
        parts.append(
            f"<tr><td>{days(o.deadline)}{f' ({estimated})' if o.estimated else ''}"
            f'<br><span class="small">{escape(left)}</span></td>'
            f'<td><a href="{cbm_urls[cbm.pk]}">{code}</a></td>'
            f"<td>{escape(o.kind_label)}, {escape(o.conference_label)}</td>"
            f"<td>{badges(o.status, '')}</td>"
            f'<td class="small">{escape(o.explanation)}</td>'
            f'<td><a class="btn btn-sm btn-primary" href="{escape(schedule)}?kind=rtg&amp;'
            f'cbm={cbm.pk}">{words["schedule"]}<span class="visually-hidden"> {words["for"]} '
            f"{code}</span></a></td></tr>"
        )
    return mark_safe("".join(parts))  # the badges are rendered templates; the rest is escaped


class MyCountry(PolicyMixin, TemplateView):
    """A focal point's country: the CBMs it leads, their open obligations, their RTGs (a page of
    `meetings_per_page` at a time: a country leading 25 CBMs of a long history has thousands)."""

    policy = staticmethod(is_focal_point)
    template_name = "cbms/my_country.html"
    meetings_per_page = 25

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
            .order_by("-date", "id")
        )
        page = PortalPaginator(meetings, self.meetings_per_page).get_page(
            self.request.GET.get("page")
        )
        context.update(
            country=user.country,
            today=today,
            rows=rows,
            open_items=open_items,
            open_rows=open_item_rows(open_items),
            recent=recent,
            meetings=page.object_list,
            page_obj=page,
            legend=legend(),
        )
        return context
