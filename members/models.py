from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Country(models.Model):
    code = models.CharField(
        _("ISO 3166-1 alpha-3 code"),
        max_length=3,
        unique=True,
        help_text=_("Three upper-case letters, e.g. AFG."),
    )
    name = models.CharField(_("name"), max_length=100, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{3}$"),
                name="country_code_alpha3",
                violation_error_message=_("The code must be three upper-case letters."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ParticipationKind(models.TextChoices):
    PARTICIPATING = "participating", _("participating country")
    SUPPORTING = "supporting", _("supporting country")


class ParticipationQuerySet(models.QuerySet):
    def current_on(self, day):
        return self.filter(Q(since__isnull=True) | Q(since__lte=day)).filter(
            Q(until__isnull=True) | Q(until__gte=day)
        )


class Participation(models.Model):
    """A period during which a country took part in the process, in one capacity, per a source.

    Periods rather than a flag, because the sources disagree on when (e.g. the 2016 study lists
    fourteen participating countries, without Uzbekistan).
    """

    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.CASCADE, related_name="participations"
    )
    kind = models.CharField(_("participation"), max_length=16, choices=ParticipationKind.choices)
    since = models.DateField(_("since"), null=True, blank=True, help_text=_("Empty if unknown."))
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty if ongoing."))
    source = models.CharField(_("source"), max_length=300)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()
    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["country__name", "since"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                name="participation_until_after_since",
                violation_error_message=_("A participation cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ParticipationKind.values), name="participation_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["country", "kind", "since"], name="participation_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} ({self.get_kind_display()})"


class Role(models.TextChoices):
    SECRETARIAT = "secretariat", _("secretariat staff")
    FOCAL_POINT = "focal_point", _("lead-country focal point")
    ANALYST = "analyst", _("analyst")


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # A superuser is secretariat staff: the role drives every permission in the portal.
        extra_fields.setdefault("role", Role.SECRETARIAT)
        return super().create_superuser(username, email, password, **extra_fields)


class EmailDelivery(models.TextChoices):
    EACH = "each", _("an email for each notice")
    DIGEST = "digest", _("one email a day with the day's notices")
    NONE = "none", _("no email (notices in the portal only)")


# The languages an email may be written in: the portal's own (settings.LANGUAGES).
EMAIL_LANGUAGES = [("en", "English"), ("fa", "دری"), ("ps", "پښتو")]


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ANALYST)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="focal_points",
        help_text=_("The country a focal point represents; empty for other roles."),
    )
    email_delivery = models.CharField(
        _("email"),
        max_length=6,
        choices=EmailDelivery.choices,
        default=EmailDelivery.EACH,
        help_text=_("Notices always appear in the portal; this says what reaches your inbox."),
    )
    email_language = models.CharField(
        _("language of emails"), max_length=2, choices=EMAIL_LANGUAGES, default="en"
    )
    missed_digest = models.BooleanField(
        _("daily digest of missed obligations"),
        default=False,
        help_text=_("For the secretariat: one email a day listing the RTGs missed that day."),
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=(Q(role=Role.FOCAL_POINT) & Q(country__isnull=False))
                | (~Q(role=Role.FOCAL_POINT) & Q(country__isnull=True)),
                name="user_country_iff_focal_point",
                violation_error_message=_("A focal point needs a country; other roles have none."),
            ),
            models.CheckConstraint(
                condition=Q(email_delivery__in=EmailDelivery.values),
                name="user_email_delivery_valid",
            ),
            models.CheckConstraint(
                condition=Q(email_language__in=[code for code, _ in EMAIL_LANGUAGES]),
                name="user_email_language_valid",
            ),
            # The role is the one source of the admin's rights: even an `update()` cannot leave
            # a demoted secretariat with them, nor give them to anyone else.
            models.CheckConstraint(
                condition=Q(role=Role.SECRETARIAT, is_staff=True, is_superuser=True)
                | (~Q(role=Role.SECRETARIAT) & Q(is_staff=False, is_superuser=False)),
                name="user_admin_rights_follow_role",
                violation_error_message=_("Only the secretariat uses the admin."),
            ),
        ]

    def clean(self):
        super().clean()
        self._admin_rights_follow_role()

    def save(self, *args, **kwargs):
        # Also here, not only in clean(): the admin's password form, `changepassword` and the
        # shell save without cleaning.
        if self._admin_rights_follow_role() and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def _admin_rights_follow_role(self) -> bool:
        """Whether the admin's rights (is_staff, is_superuser) had to change to follow the role:
        the secretariat has both (SPEC §7: a superuser is secretariat staff, and the portal
        knows no finer admin permission), every other role neither. True if they changed."""
        admin = self.role == Role.SECRETARIAT
        if self.is_staff == self.is_superuser == admin:
            return False
        self.is_staff = self.is_superuser = admin
        return True

    @property
    def is_secretariat(self) -> bool:
        return self.is_active and self.role == Role.SECRETARIAT

    @property
    def is_focal_point(self) -> bool:
        return self.is_active and self.role == Role.FOCAL_POINT


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("email")
    PORTAL = "portal", _("in-portal notice")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(channel=NotificationChannel.PORTAL, read_at__isnull=True)

    def email_pending(self):
        return self.filter(channel=NotificationChannel.EMAIL, sent_at__isnull=True)


class Notification(models.Model):
    """One notice to one person on one channel.

    Delivery is at least once (Celery may run a task twice), so the event key, recipient and
    channel are unique: a second run inserts nothing and sends nothing.
    """

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=NotificationChannel.choices)
    event_key = models.CharField(
        _("event"), max_length=100, help_text=_("What happened, e.g. obligation:12:missed.")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient", "channel"], name="notification_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=NotificationChannel.values),
                name="notification_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient} ({self.channel})"


class CalendarFeed(models.Model):
    """A person's private calendar feed: the URL carries a secret token, stored here only as its
    SHA-256 (shown once when issued). Revoking deletes the row; issuing anew replaces it."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} (issued {self.created_at:%Y-%m-%d})"


class TokenGrant(models.Model):
    """How an API token (knox's AuthToken, a third-party model) was issued: with the second
    factor or without. A token of someone who needs the second factor (members.permissions) works
    only if it was issued with it; one without a grant row (issued another way) counts as
    without. Deleted with its token."""

    token = models.OneToOneField(
        "knox.AuthToken",
        verbose_name=_("API token"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="grant",
    )
    second_factor = models.BooleanField(_("issued with a second factor"), default=False)

    class Meta:
        verbose_name = _("API token grant")
        verbose_name_plural = _("API token grants")

    def __str__(self) -> str:
        return f"API token of {self.token.user} issued {self.token.created:%Y-%m-%d %H:%M}"
