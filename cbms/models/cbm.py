from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CBMQuerySet(models.QuerySet):
    def with_parties(self):
        return self.prefetch_related("roles__country", "roles__organization")


class CBM(models.Model):
    """A Confidence Building Measure."""

    code = models.CharField(_("code"), max_length=16, unique=True, help_text=_("e.g. CT, DM&EP"))
    name = models.CharField(_("name"), max_length=200, unique=True)
    approved_on = models.DateField(_("approved on"))
    approved_at = models.ForeignKey(
        "conferences.MinisterialConference",
        verbose_name=_("approved at"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_cbms",
    )
    desk = models.CharField(
        _("secretariat desk"),
        max_length=200,
        blank=True,
        help_text=_(
            "The desk of the Directorate General for Regional Cooperation that follows it."
        ),
    )
    desk_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretariat focal point"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="desk_cbms",
        limit_choices_to={"role": "secretariat"},
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()
    objects = CBMQuerySet.as_manager()

    class Meta:
        ordering = ["approved_on", "code"]
        verbose_name = _("CBM")
        verbose_name_plural = _("CBMs")
        constraints = [
            models.CheckConstraint(
                condition=~Q(code=""),
                name="cbm_code_not_empty",
                violation_error_message=_("A CBM needs a code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class CBMName(models.Model):
    """A name a CBM carried, so a rename (DM → DM&EP at Istanbul 2019) keeps the old one."""

    cbm = models.ForeignKey(
        CBM, verbose_name=_("CBM"), on_delete=models.CASCADE, related_name="names"
    )
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    decided_at = models.ForeignKey(
        "conferences.MinisterialConference",
        verbose_name=_("decided at"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The conference that adopted this name, if known."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["cbm", "since"]
        verbose_name = _("CBM name")
        verbose_name_plural = _("CBM names")
        constraints = [
            models.UniqueConstraint(fields=["cbm", "since"], name="cbmname_unique_start"),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("since")),
                name="cbmname_until_after_since",
                violation_error_message=_("A name must be carried for at least a day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class RoleKind(models.TextChoices):
    LEAD = "lead", _("lead")
    SUPPORTING = "supporting", _("supporting")


class CBMRoleQuerySet(models.QuerySet):
    def leads(self):
        return self.filter(role=RoleKind.LEAD)

    def overlapping(self, start, end):
        """Roles in force at some day of [start, end); an open end means 'from start on'."""
        qs = self.filter(Q(until__isnull=True) | Q(until__gte=start))
        return qs if end is None else qs.filter(since__lt=end)

    def current_on(self, day):
        return self.filter(since__lte=day).filter(Q(until__isnull=True) | Q(until__gte=day))


class CBMRole(models.Model):
    """A country or organization leading or supporting a CBM over a period (until inclusive)."""

    cbm = models.ForeignKey(
        CBM, verbose_name=_("CBM"), on_delete=models.CASCADE, related_name="roles"
    )
    country = models.ForeignKey(
        "members.Country",
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cbm_roles",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cbm_roles",
    )
    role = models.CharField(_("role"), max_length=10, choices=RoleKind.choices)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty if ongoing."))

    history = HistoricalRecords()
    objects = CBMRoleQuerySet.as_manager()

    class Meta:
        ordering = ["cbm", "role", "since"]
        verbose_name = _("CBM role")
        verbose_name_plural = _("CBM roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=RoleKind.values), name="cbmrole_role_valid"
            ),
            models.CheckConstraint(
                condition=(Q(country__isnull=False) & Q(organization__isnull=True))
                | (Q(country__isnull=True) & Q(organization__isnull=False)),
                name="cbmrole_country_xor_organization",
                violation_error_message=_("A role is held by a country or an organization."),
            ),
            models.CheckConstraint(
                condition=~Q(role=RoleKind.LEAD) | Q(country__isnull=False),
                name="cbmrole_lead_is_country",
                violation_error_message=_("Only a country can lead a CBM."),
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="cbmrole_until_after_since",
                violation_error_message=_("A role cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["cbm", "country", "role", "since"],
                condition=Q(country__isnull=False),
                name="cbmrole_unique_country_start",
            ),
            models.UniqueConstraint(
                fields=["cbm", "organization", "role", "since"],
                condition=Q(organization__isnull=False),
                name="cbmrole_unique_organization_start",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(party)s – %(role)s of %(cbm)s") % {
            "party": self.party,
            "role": self.get_role_display(),
            "cbm": self.cbm.code,
        }

    @property
    def party(self):
        return self.country or self.organization
