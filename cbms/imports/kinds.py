"""The records a spreadsheet can bring in, each with the resource that reads and writes its rows
(declared by the app the records belong to) and the columns a bulk edit may set."""

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
    list_url_name: str  # the portal's list of these records, which exports them for editing
    bulk_columns: tuple[str, ...]  # what a bulk edit may set on the rows chosen

    @property
    def label(self) -> str:
        return self.kind.label


IMPORTABLE: dict[str, Importable] = {
    item.kind.value: item
    for item in (
        Importable(
            ImportKind.MEETINGS, MeetingResource, "meeting_list", ("status", "date", "city", "host")
        ),
        Importable(ImportKind.CBM_ROLES, CBMRoleResource, "role_list", ("until", "since", "role")),
        Importable(ImportKind.ACTIVITIES, ActivityResource, "activity_list", ("title",)),
        Importable(
            ImportKind.PARTICIPATION,
            ParticipationResource,
            "participation_list",
            ("until", "source"),
        ),
        Importable(
            ImportKind.ORGANIZATIONS,
            OrganizationResource,
            "organization_list",
            ("kind", "supports_process", "source"),
        ),
    )
}
