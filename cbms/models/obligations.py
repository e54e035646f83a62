from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ObligationKind(models.TextChoices):
    PRIORITISATION = "prioritisation", _("prioritisation RTG")
    REVIEW = "review", _("review RTG")


class ObligationStatus(models.TextChoices):
    MET = "met", _("met")
    LATE = "late", _("late")
    SCHEDULED = "scheduled", _("scheduled")
    OPEN = "open", _("open")
    AT_RISK = "at_risk", _("at risk")
    MISSED = "missed", _("missed")
    INFEASIBLE = "infeasible", _("infeasible")
    NO_LEAD = "no_lead", _("no lead")
    NOT_IN_FORCE = "not_in_force", _("not in force")


class Obligation(models.Model):
    """One of the two RTGs Article 25 requires of a CBM in a conference cycle, as last evaluated.

    Computed by cbms.compliance.rule and stored by cbms.compliance.services; never edited by
    hand, so it carries no history of its own (its inputs do).
    """

    cbm = models.ForeignKey(
        "cbms.CBM", verbose_name=_("CBM"), on_delete=models.CASCADE, related_name="obligations"
    )
    conference = models.ForeignKey(
        "conferences.MinisterialConference",
        verbose_name=_("conference"),
        on_delete=models.CASCADE,
        related_name="obligations",
        help_text=_("The conference that opens the cycle."),
    )
    kind = models.CharField(_("kind"), max_length=14, choices=ObligationKind.choices)
    window_start = models.DateField(_("window start"))
    deadline = models.DateField(_("deadline"))
    estimated = models.BooleanField(_("estimated"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=ObligationStatus.choices)
    met_by = models.ForeignKey(
        "conferences.Meeting",
        verbose_name=_("met by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="obligations_met",
    )
    evaluated_on = models.DateField(_("evaluated on"))

    class Meta:
        ordering = ["cbm", "conference__number", "kind"]
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        constraints = [
            models.UniqueConstraint(
                fields=["cbm", "conference", "kind"], name="obligation_unique_per_cycle"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ObligationKind.values), name="obligation_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ObligationStatus.values), name="obligation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["met", "late"]) | Q(met_by__isnull=True),
                name="obligation_met_by_only_when_met_or_late",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(cbm)s %(kind)s after MC %(number)s") % {
            "cbm": self.cbm.code,
            "kind": self.get_kind_display(),
            "number": self.conference.number,
        }


class ComplianceOutbox(models.Model):
    """A CBM whose obligations must be re-evaluated.

    Written in the same transaction as the edit that made them stale; the queued task is only a
    nudge. If the broker is down, the daily sweep finds these rows and catches up.
    """

    # Not a foreign key: a CBM being deleted may still ask (through its cascading roles), and the
    # drain simply skips ids that no longer exist.
    cbm_pk = models.BigIntegerField(_("CBM id"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compliance outbox entry")
        verbose_name_plural = _("compliance outbox")

    def __str__(self) -> str:
        return f"Re-evaluate CBM {self.cbm_pk} (since {self.created_at:%Y-%m-%d %H:%M})"
