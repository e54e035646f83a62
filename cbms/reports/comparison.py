"""Two submissions of a report side by side: what a reviewer reads to see what the country changed.

Plain functions over frozen submissions: the narrative line against line (lines that differ
marked), then each activity's status, percent and note, in the plan's order, in the reader's
language. Nothing here reads a request.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest

from ..models import Activity, ActivityStatus, ReportSubmission


@dataclass(frozen=True)
class LinePair:
    before: str | None  # None: the line is not in that version
    after: str | None
    changed: bool


@dataclass(frozen=True)
class Side:
    """One activity in one version; `None` fields where the version did not report on it."""

    status: str | None
    percent: int | None
    note: str | None

    @classmethod
    def of(cls, item: dict | None) -> Side:
        if item is None:
            return cls(None, None, None)
        status = item.get("status")
        label = ActivityStatus(status).label if status in ActivityStatus.values else status
        return cls(str(label) if label is not None else None, item.get("percent"), item.get("note"))


@dataclass(frozen=True)
class ActivityPair:
    activity: str
    before: Side
    after: Side

    @property
    def status_changed(self) -> bool:
        return self.before.status != self.after.status

    @property
    def percent_changed(self) -> bool:
        return self.before.percent != self.after.percent

    @property
    def note_changed(self) -> bool:
        return (self.before.note or "") != (self.after.note or "")

    @property
    def changed(self) -> bool:
        return self.status_changed or self.percent_changed or self.note_changed


@dataclass(frozen=True)
class Comparison:
    before: ReportSubmission
    after: ReportSubmission
    narrative: list[LinePair]
    activities: list[ActivityPair]

    @property
    def narrative_changed(self) -> bool:
        return any(line.changed for line in self.narrative)

    @property
    def changed_activities(self) -> int:
        return sum(pair.changed for pair in self.activities)


def narrative_pairs(before: str, after: str) -> list[LinePair]:
    """The two texts line against line: equal runs side by side, a replaced run paired line by
    line, a deleted or inserted line facing nothing."""
    old, new = before.splitlines(), after.splitlines()
    pairs: list[LinePair] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [LinePair(a, b, False) for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
        else:
            pairs += [LinePair(a, b, True) for a, b in zip_longest(old[i1:i2], new[j1:j2])]
    return pairs


def submissions_compare(before: ReportSubmission, after: ReportSubmission) -> Comparison:
    """`before` and `after` side by side (one query, for the activities' titles and order)."""
    old = {item["activity"]: item for item in before.activities}
    new = {item["activity"]: item for item in after.activities}
    activities = (
        Activity.objects.filter(pk__in={*old, *new})
        .select_related("priority_area")
        .order_by("priority_area__number", "number")
    )
    pairs = [
        ActivityPair(str(a), Side.of(old.get(a.pk)), Side.of(new.get(a.pk))) for a in activities
    ]
    return Comparison(before, after, narrative_pairs(before.narrative, after.narrative), pairs)


def chosen_pair(
    submissions: list[ReportSubmission], *, before: str | None, after: str | None
) -> tuple[ReportSubmission, ReportSubmission] | None:
    """The two submissions a reader asked for by number (`?before=1&after=3`), else the last
    two; None when fewer than two are visible. A number not among them falls back to the
    default, so a mangled link still shows a comparison."""
    if len(submissions) < 2:
        return None
    by_number = {str(s.number): s for s in submissions}
    old = by_number.get(before or "", submissions[-2])
    new = by_number.get(after or "", submissions[-1])
    if old.number == new.number:
        return submissions[-2], submissions[-1]
    return (old, new) if old.number < new.number else (new, old)
