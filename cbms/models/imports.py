"""Spreadsheet imports and bulk edits: what was sent, by whom, what it would change, and what it
changed. The rows it wrote name it in their history (cbms.imports.services)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    MEETINGS = "meetings", _("meetings")
    CBM_ROLES = "cbm-roles", _("CBM roles")
    ACTIVITIES = "activities", _("plan activities")
    PARTICIPATION = "participation", _("countries' participation")
    ORGANIZATIONS = "organizations", _("organizations")


class ImportSource(models.TextChoices):
    FILE = "file", _("a file")
    BULK_EDIT = "bulk_edit", _("a bulk edit")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed, awaiting confirmation")
    REFUSED = "refused", _("refused: nothing imported")
    IMPORTED = "imported", _("imported")


class SpreadsheetImport(models.Model):
    kind = models.CharField(_("records"), max_length=16, choices=ImportKind.choices)
    source = models.CharField(_("from"), max_length=9, choices=ImportSource.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4)
    # The file as sent, so that the confirmation imports exactly what was previewed.
    content = models.BinaryField(_("content"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="spreadsheet_imports",
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("to create"), default=0)
    updated = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    # What the preview shows: the changes row by row (field: before → after) and the errors by
    # row and column, as cbms.imports.services.Preview writes them.
    preview = models.JSONField(_("preview"), default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=ImportSource.values), name="import_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(file_format__in=["xlsx", "csv"]), name="import_format_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.IMPORTED)
                | (Q(imported_at__isnull=False) & Q(errors=0)),
                name="import_imported_has_time_and_no_error",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Import %(number)s: %(name)s") % {"number": self.pk, "name": self.file_name}

    @property
    def history_reason(self) -> str:
        """What each record's history says of a change the import made (kept in English, as
        every change reason)."""
        return f"Import {self.pk} ({self.file_name})"[:100]
