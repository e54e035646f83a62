"""The records a spreadsheet can bring in, each with the resource that reads and writes its rows
(declared by the app the records belong to, with who may import them) and the portal list that
exports them for editing."""

from dataclasses import dataclass

from cbms.records.resources import ActivityResource, CBMRoleResource
from conferences.resources import MeetingResource
from hoa_portal.spreadsheets import PortalResource
from members.resources import ParticipationResource
from organizations.resources import OrganizationResource

from ..models import ImportKind


@dataclass(frozen=True)
class Importable:
    kind: ImportKind
    resource: type[PortalResource]
    list_url_name: str


IMPORTABLE: dict[str, Importable] = {
    item.kind.value: item
    for item in (
        Importable(ImportKind.MEETINGS, MeetingResource, "conferences:meeting_list"),
        Importable(ImportKind.CBM_ROLES, CBMRoleResource, "cbms:role_list"),
        Importable(ImportKind.ACTIVITIES, ActivityResource, "cbms:activity_list"),
        Importable(ImportKind.PARTICIPATION, ParticipationResource, "members:participation_list"),
        Importable(
            ImportKind.ORGANIZATIONS, OrganizationResource, "organizations:organization_list"
        ),
    )
}
