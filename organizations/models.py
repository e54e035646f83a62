from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrganizationKind(models.TextChoices):
    REGIONAL = "regional", _("regional organization")
    INTERNATIONAL = "international", _("international organization")
    MECHANISM = "mechanism", _("regional mechanism or programme")
    FORMAT = "format", _("trilateral or quadrilateral format")
    FOUNDATION = "foundation", _("development network or foundation")


class Organization(models.Model):
    acronym = models.CharField(_("acronym"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    supports_process = models.BooleanField(
        _("supports the process"),
        default=False,
        help_text=_("A supporting organization of the Heart of Asia – Istanbul Process."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganizationKind.values), name="organization_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(acronym=""),
                name="organization_acronym_not_empty",
                violation_error_message=_("An organization needs an acronym."),
            ),
        ]

    def __str__(self) -> str:
        return self.acronym


class MembershipStatus(models.TextChoices):
    MEMBER = "member", _("member")
    OBSERVER = "observer", _("observer")
    APPLICANT = "applicant", _("applicant")


class Membership(models.Model):
    """A country's standing in an organization or mechanism, e.g. Afghanistan at the SCO."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    country = models.ForeignKey(
        "members.Country",
        verbose_name=_("country"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    status = models.CharField(_("status"), max_length=16, choices=MembershipStatus.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organization__acronym", "country__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "country", "status"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="membership_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                name="membership_until_after_since",
                violation_error_message=_("A membership cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(country)s – %(status)s of %(organization)s") % {
            "country": self.country,
            "status": self.get_status_display(),
            "organization": self.organization,
        }
