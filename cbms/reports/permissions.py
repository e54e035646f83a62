"""Who may write a progress report: pure predicates of a user and the records, no request."""

from conferences.models import MinisterialConference
from members.permissions import is_focal_point

from ..compliance.selectors import timeline_read
from ..models import CBM, CBMRole, ProgressReport


def report_cycle(*, conference: MinisterialConference):
    """The cycle MC_n opens, or None if it opens none (planned, undated)."""
    for cycle in timeline_read().cycles:
        if cycle.conference == conference.number:
            return cycle
    return None


def country_leads_in_cycle(*, cbm: CBM, conference: MinisterialConference, country_id) -> bool:
    cycle = report_cycle(conference=conference)
    if cycle is None or country_id is None:
        return False
    return (
        CBMRole.objects.leads()
        .filter(cbm=cbm, country_id=country_id)
        .overlapping(cycle.start, cycle.end)
        .exists()
    )


def can_write_report(user, report: ProgressReport) -> bool:
    """A focal point of the report's country while that country leads the CBM in the cycle."""
    return (
        is_focal_point(user)
        and user.country_id == report.country_id
        and country_leads_in_cycle(
            cbm=report.cbm, conference=report.conference, country_id=report.country_id
        )
    )
