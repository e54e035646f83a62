"""Who may bring records in by spreadsheet. Pure predicates of a user (and an import)."""

from members.permissions import can_edit_records

from ..models import SpreadsheetImport
from .kinds import IMPORTABLE


def can_import(user, kind: str) -> bool:
    """As each kind's resource says (PortalResource.importable_by): the secretariat every kind;
    a focal point meetings, of which each row must be an RTG its country may record."""
    importable = IMPORTABLE.get(kind)
    return importable is not None and importable.resource.importable_by(user)


def can_view_import(user, spreadsheet_import: SpreadsheetImport) -> bool:
    """The secretariat sees every import; anyone else the imports they made."""
    return can_edit_records(user) or spreadsheet_import.created_by_id == getattr(user, "pk", None)


def visible_imports(user, imports):
    """can_view_import for a queryset of imports."""
    return imports if can_edit_records(user) else imports.filter(created_by_id=user.pk)


def can_confirm_import(user, spreadsheet_import: SpreadsheetImport) -> bool:
    """Only the person who sent the file confirms it, and still only what they may import."""
    return spreadsheet_import.created_by_id == getattr(user, "pk", None) and can_import(
        user, spreadsheet_import.kind
    )
