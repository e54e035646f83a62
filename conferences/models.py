import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from members.permissions import is_focal_point, is_secretariat

# The Istanbul Process began on 2 November 2011: nothing it records is dated before that year.
EARLIEST_DAY = dt.date(2011, 1, 1)
# How far ahead a meeting or a conference may be planned.
PLANNING_HORIZON = relativedelta(years=10)
# The database's own bound. A check constraint cannot read today, so it holds a fixed, generous
# ceiling (the last day of the year conference_year_plausible allows), and the validation below
# the moving horizon: a row past the horizon can only come from a write that skipped validation.
LATEST_STORED_DAY = dt.date(2100, 12, 31)


def date_implausibility(day: dt.date, *, today: dt.date) -> str | None:
    """Why a meeting or conference cannot be dated `day`, or None if it can."""
    if day < EARLIEST_DAY:
        return gettext("Dates start in %(year)s, the year the Istanbul Process began.") % {
            "year": EARLIEST_DAY.year
        }
    latest = today + PLANNING_HORIZON
    if day > latest:
        return gettext(
            "A date more than ten years ahead is not plausible: %(latest)s at the latest."
        ) % {"latest": _day(latest)}
    return None


def plausible_dates(name: str) -> models.CheckConstraint:
    """The database's half of the rule above, on the `date` column of a model."""
    return models.CheckConstraint(
        condition=Q(date__isnull=True) | Q(date__gte=EARLIEST_DAY, date__lte=LATEST_STORED_DAY),
        name=name,
        violation_error_message=_("The date lies outside the years the process can be in."),
    )


class ConferenceStatus(models.TextChoices):
    HELD = "held", _("held")
    PLANNED = "planned", _("planned")


class MinisterialConferenceQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status=ConferenceStatus.HELD)


class MinisterialConference(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    date = models.DateField(_("date"), null=True, blank=True, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    city = models.CharField(
        _("city"), max_length=100, blank=True, help_text=_("Empty while not yet announced.")
    )
    host = models.ForeignKey(
        "members.Country",
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        related_name="hosted_conferences",
    )
    status = models.CharField(_("status"), max_length=8, choices=ConferenceStatus.choices)

    history = HistoricalRecords()
    objects = MinisterialConferenceQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("ministerial conference")
        verbose_name_plural = _("ministerial conferences")
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="conference_number_positive"),
            models.CheckConstraint(
                condition=Q(status__in=ConferenceStatus.values), name="conference_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ConferenceStatus.HELD) | Q(date__isnull=False),
                name="conference_held_has_date",
                violation_error_message=_("A held conference needs its date."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2011) & Q(year__lte=2100), name="conference_year_plausible"
            ),
            plausible_dates("conference_date_plausible"),
        ]

    def __str__(self) -> str:
        return gettext("%(ordinal)s Ministerial Conference (%(place)s %(year)s)") % {
            "ordinal": self.ordinal,
            "place": self.city or self.host,
            "year": self.year,
        }

    @property
    def ordinal(self) -> str:
        """5th in English, 5مین in Dari: each suffix is its own message, by the English rule."""
        if 10 <= self.number % 100 <= 20:
            pattern = pgettext("ordinal number", "%(number)sth")
        else:
            pattern = {
                1: pgettext("ordinal number", "%(number)sst"),
                2: pgettext("ordinal number", "%(number)snd"),
                3: pgettext("ordinal number", "%(number)srd"),
            }.get(self.number % 10) or pgettext("ordinal number", "%(number)sth")
        return pattern % {"number": self.number}

    def clean(self):
        errors = {}
        if self.date and self.date.year != self.year:
            errors["year"] = _("The year must be the year of the date.")
        if self.status == ConferenceStatus.HELD and not self.date:
            errors["date"] = _("A held conference needs its date.")
        implausible = self.date and date_implausibility(self.date, today=timezone.localdate())
        if implausible:
            # Said alone: where such a date falls among the other conferences tells nothing.
            errors["date"] = implausible
        elif self.date:
            if self.status == ConferenceStatus.HELD and self.date > timezone.localdate():
                errors["date"] = _("A held conference cannot be dated after today.")
            siblings = MinisterialConference.objects.exclude(pk=self.pk).exclude(date=None)
            earlier_dated_later = siblings.filter(number__lt=self.number, date__gte=self.date)
            later_dated_earlier = siblings.filter(number__gt=self.number, date__lte=self.date)
            if earlier_dated_later.exists() or later_dated_earlier.exists():
                errors["date"] = _("Conferences must be dated in the order of their numbers.")
        if errors:
            raise ValidationError(errors)


class Declaration(models.Model):
    conference = models.OneToOneField(
        MinisterialConference,
        verbose_name=_("conference"),
        on_delete=models.CASCADE,
        related_name="declaration",
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["conference__number"]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    """An article of a declaration; the one marked as the RTG rule drives compliance."""

    declaration = models.ForeignKey(
        Declaration,
        verbose_name=_("declaration"),
        on_delete=models.CASCADE,
        related_name="articles",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))
    is_rtg_rule = models.BooleanField(
        _("is the RTG rule"),
        default=False,
        help_text=_("The article that obliges lead countries to convene RTGs (at most one)."),
    )
    effective_from = models.DateField(
        _("in force from"),
        null=True,
        blank=True,
        help_text=_("Cycles starting before this date carry no obligations."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["declaration__conference__number", "number"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="article_unique_number"),
            models.UniqueConstraint(
                fields=["is_rtg_rule"],
                condition=Q(is_rtg_rule=True),
                name="article_one_rtg_rule",
                violation_error_message=_("Another article is already marked as the RTG rule."),
            ),
            models.CheckConstraint(
                condition=~Q(is_rtg_rule=True) | Q(effective_from__isnull=False),
                name="article_rtg_rule_has_effective_date",
                violation_error_message=_("The RTG rule needs the date it is in force from."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("Article %(number)s of the %(declaration)s") % {
            "number": self.number,
            "declaration": self.declaration,
        }


def _day(value) -> str:
    """09 Dec 2015, with the month in the language of the page."""
    return date_format(value, "d M Y")


class MeetingKind(models.TextChoices):
    RTG = "rtg", _("Regional Technical Group meeting")
    SOM = "som", _("Senior Officials Meeting")
    AM = "am", _("Ambassadorial Meeting")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CANCELLED = "cancelled", _("cancelled")


class MeetingQuerySet(models.QuerySet):
    def rtgs(self):
        return self.filter(kind=MeetingKind.RTG)

    def visible_to(self, user):
        """What a user sees (SPEC §5): everyone the meetings held, of every CBM and kind, and
        besides those the meetings the user may record (`recordable_by`): the secretariat every
        meeting, a focal point the planned and cancelled RTGs of the CBMs its country leads
        today. The API, the pages and the calendar feeds all ask here."""
        by_status = _visible_by_status(user)
        if by_status is not None:
            return self.filter(by_status)
        return self.filter(Q(status=MeetingStatus.HELD) | _recordable(user))

    def recordable_by(self, user):
        """The meetings a user may schedule, edit and delete, as conferences.permissions'
        can_record_meeting decides for one: every meeting for the secretariat, the RTGs of the
        CBMs its country leads today for a focal point, none for anyone else."""
        if is_secretariat(user):
            return self.all()
        return self.filter(_recordable(user))


def cbm_ids_led_by(country_id):
    """The ids of the CBMs the country leads today, as a subquery. The roles are read from the
    CBM's own relation: conferences imports nothing from cbms."""
    today = timezone.localdate()
    roles = Meeting._meta.get_field("cbm").related_model._meta.get_field("roles").related_model
    return (
        roles._default_manager.filter(role="lead", country_id=country_id, since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .values("cbm_id")
    )


def _recordable(user) -> Q:
    """recordable_by's condition for anyone but the secretariat (who records everything)."""
    if is_focal_point(user):
        return Q(kind=MeetingKind.RTG, cbm__in=cbm_ids_led_by(user.country_id))
    return Q(pk__in=[])


def _visible_by_status(user) -> Q | None:
    """Which meetings a user sees when their status alone decides, as a condition that holds
    for a meeting and for its row in MeetingTally alike; None for a focal point."""
    if is_focal_point(user):
        return None
    return Q() if is_secretariat(user) else Q(status=MeetingStatus.HELD)


class MeetingManager(models.Manager.from_queryset(MeetingQuerySet)):
    def count_visible_to(self, user) -> int | None:
        """What `visible_to(user).count()` answers, read from the tally; None where the status
        alone does not decide (a focal point's view depends on the CBMs its country leads).

        On the manager only: it counts every meeting the user sees, whatever the queryset."""
        by_status = _visible_by_status(user)
        if by_status is None:
            return None
        tallied = MeetingTally.objects.filter(by_status).aggregate(meetings=Sum("meetings"))
        return tallied["meetings"] or 0


class Meeting(models.Model):
    kind = models.CharField(_("kind"), max_length=3, choices=MeetingKind.choices)
    cbm = models.ForeignKey(
        "cbms.CBM",
        verbose_name=_("CBM"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        help_text=_("Required for an RTG, empty for other meetings."),
    )
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=9, choices=MeetingStatus.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)
    host = models.ForeignKey(
        "members.Country",
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()
    objects = MeetingManager()

    class Meta:
        ordering = ["-date", "id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["cbm", "date"]),
            # The default listing order: the first page needs no sort over every meeting.
            models.Index(fields=["-date", "id"], name="meeting_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=MeetingKind.RTG) & Q(cbm__isnull=False))
                | (~Q(kind=MeetingKind.RTG) & Q(cbm__isnull=True)),
                name="meeting_cbm_iff_rtg",
                violation_error_message=_(
                    "An RTG belongs to a CBM; other meetings belong to none."
                ),
            ),
            plausible_dates("meeting_date_plausible"),
        ]

    def __str__(self) -> str:
        values = {"kind": self.get_kind_display(), "cbm": self.cbm, "day": _day(self.date)}
        if self.cbm_id:
            return gettext("%(kind)s on %(cbm)s, %(day)s") % values
        return gettext("%(kind)s, %(day)s") % values

    def clean(self):
        errors = {}
        if self.kind == MeetingKind.RTG and not self.cbm_id:
            errors["cbm"] = _("An RTG belongs to a CBM: choose one.")
        if self.kind and self.kind != MeetingKind.RTG and self.cbm_id:
            errors["cbm"] = _("Only an RTG belongs to a CBM: leave it empty.")
        implausible = self.date and date_implausibility(self.date, today=timezone.localdate())
        if implausible:
            errors["date"] = implausible
        elif self.status == MeetingStatus.HELD and self.date and self.date > timezone.localdate():
            errors["date"] = _("A held meeting cannot be dated after today.")
        if errors:
            raise ValidationError(errors)


class MeetingTally(models.Model):
    """How many meetings have each status, kept by the database itself: triggers on the meeting
    table (migration 0004) update it in the same transaction as every insert, delete and change
    of status, raw SQL included. A page of all the meetings someone may see reads its count here
    rather than counting ten thousand rows for each page. The portal never writes it."""

    status = models.CharField(
        _("status"), primary_key=True, max_length=9, choices=MeetingStatus.choices
    )
    meetings = models.PositiveIntegerField(_("meetings"))

    class Meta:
        verbose_name = _("meeting tally")
        verbose_name_plural = _("meeting tallies")

    def __str__(self) -> str:
        return f"{self.status}: {self.meetings}"
