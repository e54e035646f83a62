from .cbm import CBM, CBMName, CBMRole, RoleKind
from .imports import ImportKind, ImportSource, ImportStatus, SpreadsheetImport
from .obligations import ComplianceOutbox, Obligation, ObligationKind, ObligationStatus
from .plans import Activity, ImplementationPlanVersion, PlanStatus, PriorityArea
from .reminders import (
    Invitation,
    InvitationDelivery,
    InvitationMethod,
    Reminder,
    ReminderPolicy,
)
from .reports import (
    ActivityStatus,
    ImmutableRowError,
    ProgressReport,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportState,
    ReportSubmission,
    ReviewDecision,
)

__all__ = [
    "ImportKind",
    "ImportSource",
    "ImportStatus",
    "SpreadsheetImport",
    "Invitation",
    "InvitationDelivery",
    "InvitationMethod",
    "Reminder",
    "ReminderPolicy",
    "CBM",
    "CBMName",
    "CBMRole",
    "RoleKind",
    "ComplianceOutbox",
    "Obligation",
    "ObligationKind",
    "ObligationStatus",
    "Activity",
    "ImplementationPlanVersion",
    "PlanStatus",
    "PriorityArea",
    "ActivityStatus",
    "ImmutableRowError",
    "ProgressReport",
    "ReportActivityUpdate",
    "ReportAttachment",
    "ReportReview",
    "ReportState",
    "ReportSubmission",
    "ReviewDecision",
]
