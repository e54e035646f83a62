"""What enforcement sends ahead of a deadline, kept in the database rather than in the broker.

Reminders and invitations are rows: created and retired by the evaluation that stores the
obligations (or by the edit of a meeting), and sent by a beat task that claims them with
`SELECT … FOR UPDATE SKIP LOCKED`. No ETA or countdown task ever waits in Redis (RELIABILITY §3:
the visibility timeout would deliver it again and again).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

DEFAULT_REMINDER_DAYS = (60, 30, 14, 7)
DEFAULT_ESCALATE_WITHIN_DAYS = 14
MAX_REMINDER_DAYS = 365


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


class ReminderPolicy(models.Model):
    """The secretariat's reminder schedule: one row (pk 1), edited in the portal."""

    days_before = models.JSONField(
        _("reminders, days before the deadline"),
        default=default_reminder_days,
        help_text=_("From the earliest to the latest, e.g. 60, 30, 14, 7."),
    )
    escalate_within_days = models.PositiveSmallIntegerField(
        _("escalate to the CBM's desk from"),
        default=DEFAULT_ESCALATE_WITHIN_DAYS,
        help_text=_("Days before the deadline from which a reminder also goes to the desk."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder schedule")
        verbose_name_plural = _("reminder schedule")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="reminder_policy_single_row"),
            models.CheckConstraint(
                condition=Q(escalate_within_days__lte=MAX_REMINDER_DAYS),
                name="reminder_policy_escalation_within_a_year",
            ),
        ]

    def __str__(self) -> str:
        days = ", ".join(str(day) for day in self.days_before)
        return f"Reminders {days} days before; desk from {self.escalate_within_days}"

    def clean(self):
        days = self.days_before
        if not isinstance(days, list) or not all(
            isinstance(day, int) and not isinstance(day, bool) for day in days
        ):
            raise ValidationError({"days_before": _("Give whole numbers of days.")})
        if any(day < 1 or day > MAX_REMINDER_DAYS for day in days):
            raise ValidationError(
                {"days_before": _("Each reminder is from 1 to 365 days before the deadline.")}
            )
        if any(earlier <= later for earlier, later in zip(days, days[1:], strict=False)):
            raise ValidationError(
                {
                    "days_before": _(
                        "List the days from the earliest reminder to the latest, each once "
                        "(e.g. 60, 30, 14, 7)."
                    )
                }
            )


class Reminder(models.Model):
    """One step of the schedule for one open obligation: due `days_before` its deadline.

    The evaluation that stores obligations creates the steps of every obligation that is open
    with nothing scheduled, and deletes the unsent steps of one that is no longer (a meeting was
    scheduled or held, the window closed). Sending claims due rows; a day whose sending was
    missed catches up once: of an obligation's overdue steps only the latest is sent, the others
    are marked superseded.
    """

    obligation = models.ForeignKey(
        "cbms.Obligation",
        verbose_name=_("obligation"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    due_on = models.DateField(_("due on"))
    escalate = models.BooleanField(_("also to the desk"), default=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    superseded = models.BooleanField(
        _("superseded"), default=False, help_text=_("Overdue when a later step was sent instead.")
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "days_before"], name="reminder_once_per_step"
            ),
            models.CheckConstraint(
                condition=Q(days_before__lte=MAX_REMINDER_DAYS), name="reminder_within_a_year"
            ),
            models.CheckConstraint(
                condition=Q(superseded=False) | Q(sent_at__isnull=False),
                name="reminder_superseded_only_when_done",
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "due_on"], name="reminder_pending_due")]

    def __str__(self) -> str:
        return f"{self.days_before} days before the deadline of obligation {self.obligation_id}"


class InvitationMethod(models.TextChoices):
    REQUEST = "REQUEST", _("invitation or update")
    CANCEL = "CANCEL", _("cancellation")


class Invitation(models.Model):
    """One version of the calendar invitation to an RTG: the first when it is scheduled, then one
    for each move and for its cancellation, with the same UID and a higher SEQUENCE.

    `meeting_pk` is not a foreign key: a deleted meeting still sends its cancellation. `event`
    holds what the invitation says (CBM, date, city, host), so the email is the same however
    late it is sent.
    """

    meeting_pk = models.BigIntegerField(_("meeting id"), db_index=True)
    sequence = models.PositiveIntegerField(_("sequence"))
    method = models.CharField(_("method"), max_length=7, choices=InvitationMethod.choices)
    event = models.JSONField(_("event"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["meeting_pk", "sequence"]
        verbose_name = _("RTG invitation")
        verbose_name_plural = _("RTG invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting_pk", "sequence"], name="invitation_once_per_sequence"
            ),
            models.CheckConstraint(
                condition=Q(method__in=InvitationMethod.values), name="invitation_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} #{self.sequence} for meeting {self.meeting_pk}"


class InvitationDelivery(models.Model):
    """One invitation to one person, sent at least once and recorded once."""

    invitation = models.ForeignKey(
        Invitation,
        verbose_name=_("RTG invitation"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.ForeignKey(
        "members.User",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation delivery")
        verbose_name_plural = _("invitation deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "recipient"], name="invitation_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["sent_at"], name="invitation_delivery_pending")]

    def __str__(self) -> str:
        return f"{self.invitation} → {self.recipient}"
