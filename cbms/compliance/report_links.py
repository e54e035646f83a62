"""The progress reports the dashboard names in its cells and its export: for each CBM × cycle,
the reports the reader may open, as ProgressReport.objects.visible_to decides (the secretariat
every state, a focal point their own country's too, everyone else the accepted ones).

Read here rather than from cbms.reports, which stands above compliance (tests/test_architecture).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import ProgressReport, ReportState


@dataclass(frozen=True)
class ReportLink:
    """One report, as little of it as a cell says: whose it is and where it stands."""

    report_id: int
    country_code: str
    country_name: str
    state: str  # a ReportState value

    @property
    def state_label(self) -> str:
        return str(ReportState(self.state).label)


# Keyed by CBM id and the number of the conference that opens the cycle.
ReportLinks = dict[tuple[int, int], list[ReportLink]]


def report_links_read(*, user, cbm_ids: Iterable[int]) -> ReportLinks:
    """The reports on the given CBMs the user may read, by CBM and cycle, each cycle's by
    country code: one query, however many CBMs, cycles and reports."""
    rows = (
        ProgressReport.objects.visible_to(user)
        .filter(cbm_id__in=list(cbm_ids))
        .order_by("cbm_id", "conference__number", "country__code", "id")
        .values_list(
            "id", "cbm_id", "conference__number", "country__code", "country__name", "state"
        )
    )
    links: ReportLinks = defaultdict(list)
    for report_id, cbm_id, number, code, name, state in rows:
        links[(cbm_id, number)].append(ReportLink(report_id, code, name, state))
    return dict(links)
