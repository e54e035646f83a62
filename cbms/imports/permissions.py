"""Who may bring records in by spreadsheet. Pure predicates of a user (and an import)."""

from members.permissions import can_edit_records, is_focal_point

from ..models import ImportKind, SpreadsheetImport


def can_import(user, kind: str) -> bool:
    """The secretariat imports every kind of record; a focal point its country's RTGs only
    (each row is then asked of conferences.permissions.can_record_meeting)."""
    if can_edit_records(user):
        return kind in ImportKind.values
    return is_focal_point(user) and kind == ImportKind.MEETINGS


def can_view_import(user, spreadsheet_import: SpreadsheetImport) -> bool:
    """The secretariat sees every import; anyone else the imports they made."""
    return can_edit_records(user) or spreadsheet_import.created_by_id == getattr(user, "pk", None)


def can_confirm_import(user, spreadsheet_import: SpreadsheetImport) -> bool:
    """Only the person who sent the file confirms it, and still only what they may import."""
    return spreadsheet_import.created_by_id == getattr(user, "pk", None) and can_import(
        user, spreadsheet_import.kind
    )
