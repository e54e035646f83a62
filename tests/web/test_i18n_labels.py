"""Dari everywhere, not only where a template marks a string: the labels that come from the models
(verbose names, choices), the forms and filters built on them, and every email the portal sends.

tests/web/test_i18n.py proves that each *marked* string has a translation; these tests find the
strings nobody marked, by rendering each label and email in English and in Dari and naming what
reads the same in both. A failure lists each untranslated text with where it comes from: mark it
(gettext_lazy in a model or form, gettext where an email is composed), then translate it in
locale/fa (the makemessages line is in tests/web/test_i18n.py).
"""

import datetime as dt
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import import_module

import django_filters
import icalendar
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from simple_history.models import HistoricalChanges

from cbms.compliance import services as compliance_services
from cbms.compliance.invitations import invitations_send
from cbms.compliance.reminders import missed_digest_send, reminders_send
from cbms.compliance.services import obligations_recompute
from cbms.models import (
    CBM,
    CBMRole,
    ImplementationPlanVersion,
    Obligation,
    ObligationKind,
    PlanStatus,
    ProgressReport,
    ReportReview,
    ReportSubmission,
    ReviewDecision,
    RoleKind,
)
from cbms.reports.services import report_accept, report_return, report_start, report_submit
from conferences.models import MeetingStatus, MinisterialConference
from members.invitations import invitation_email, password_reset_email
from members.models import Country, EmailDelivery, Role, User
from members.services import notifications_digest_email, notifications_email
from organizations.models import Membership, MembershipStatus, Organization
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

# The portal's own apps: their models, forms and filters are what a page shows.
PORTAL_APPS = ("cbms", "conferences", "members", "organizations")
# Labels that read the same in English and Dari on purpose: codes, and each language's own name
# (the language menu and the choice of the language of emails write it so).
SAME_IN_BOTH = {
    "ID",  # Django's automatic primary key
    "SHA-256",
    "English",
    "دری",
    "پښتو",
    "---------",  # Django's empty choice
}


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _in(language: str, read: Callable[[], object]):
    with translation.override(language):
        return read()


def _same_in_both(where: str, text) -> list[str]:
    """`[where: text]` if `text` (a lazy string, read in each language) does not change."""
    english = _in("en", lambda: str(text))
    dari = _in("fa", lambda: str(text))
    if english.strip() and english == dari and english not in SAME_IN_BOTH:
        return [f"{where}: {english!r}"]
    return []


# --- Models: verbose names and choices -----------------------------------------------------------


def _portal_models(app_label: str) -> list[type]:
    """The app's models, without simple-history's copies (their labels are the originals')."""
    return [
        model
        for model in apps.get_app_config(app_label).get_models()
        if not issubclass(model, HistoricalChanges)
    ]


def _model_labels(model) -> Iterator[tuple[str, object]]:
    meta = model._meta
    yield f"{meta.label} verbose_name", meta.verbose_name
    yield f"{meta.label} verbose_name_plural", meta.verbose_name_plural
    for field_ in meta.concrete_fields:
        where = f"{meta.label}.{field_.name}"
        yield f"{where} verbose_name", field_.verbose_name
        if field_.help_text:
            yield f"{where} help_text", field_.help_text
        for value, label in field_.flatchoices:
            yield f"{where} choice {value!r}", label


def _plural_without_its_own_name(model) -> list[str]:
    """Django makes a missing verbose_name_plural by adding an English "s", in any language."""
    if "verbose_name_plural" in model._meta.original_attrs:
        return []
    return [f"{model._meta.label} verbose_name_plural: none, Django writes verbose_name + 's'"]


def _records() -> dict[str, object]:
    """One of each record the pages name in words (a delete page's list, a history's links, a
    choice in a form), unsaved: their names need no database."""
    france, cbm = Country(code="FRA", name="France"), CBM(code="CT", name="Counter Terrorism")
    conference = MinisterialConference(number=5, year=2015)
    report = ProgressReport(pk=3, cbm=cbm, country=france, conference=conference)
    submission = ReportSubmission(report=report, number=2)
    return {
        "CBM role": CBMRole(cbm=cbm, country=france, role=RoleKind.LEAD),
        "membership": Membership(
            country=france,
            organization=Organization(acronym="SCO"),
            status=MembershipStatus.OBSERVER,
        ),
        "plan version": ImplementationPlanVersion(cbm=cbm, version=2, status=PlanStatus.IN_FORCE),
        "obligation": Obligation(cbm=cbm, conference=conference, kind=ObligationKind.REVIEW),
        "report": report,
        "submission": submission,
        "review": ReportReview(
            submission=submission,
            reviewer=User(username="staff"),
            decision=ReviewDecision.ACCEPTED,
        ),
    }


def test_record_names_read_in_dari_but_for_their_data():
    # Codes the Dari names keep: a CBM's, a country's, an organization's, an RTG.
    data = ["CT", "FRA", "France", "SCO", "staff", "RTG"]
    english_words = {}
    for kind, record in _records().items():
        dari = _scrubbed(_in("fa", lambda record=record: str(record)), data)
        english_words[kind] = LATIN_WORD.findall(dari)
    assert english_words == {kind: [] for kind in english_words}


@pytest.mark.parametrize("app_label", PORTAL_APPS)
def test_every_model_label_and_choice_reads_in_dari(app_label):
    models = _portal_models(app_label)
    assert models, f"{app_label} has no models to check"
    untranslated = []
    for model in models:
        untranslated += _plural_without_its_own_name(model)
        for where, text in _model_labels(model):
            untranslated += _same_in_both(where, text)
    assert untranslated == []


# --- Forms and filters --------------------------------------------------------------------------

FORM_MODULES = (
    "members.forms",
    "organizations.forms",
    "conferences.forms",
    "cbms.records.forms",
    "cbms.compliance.forms",
)
FILTER_MODULES = (
    "members.filters",
    "organizations.filters",
    "conferences.filters",
    "cbms.records.filters",
    "cbms.compliance.filters",
    "cbms.reports.filters",
)


def _views(patterns) -> Iterator[type]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
            if view is not None:
                yield view


def _portal_own(cls) -> bool:
    return cls.__module__.split(".")[0] in (*PORTAL_APPS, "hoa_portal")


def _defined_in(module) -> list[type]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and issubclass(obj, forms.BaseForm | django_filters.FilterSet)
    ]


def _form_classes() -> set[type]:
    """The forms and filters of the URLconf's views (their form_class and filterset_class, and
    every form or filter their modules define), and those of the forms and filters modules."""
    found = set()
    modules = {import_module(name) for name in (*FORM_MODULES, *FILTER_MODULES)}
    for view in _views(get_resolver().url_patterns):
        for attribute in ("form_class", "filterset_class"):
            cls = getattr(view, attribute, None)
            if inspect.isclass(cls):
                found.add(cls)
        modules.add(sys.modules[view.__module__])
    for module in modules:
        found.update(_defined_in(module))
    return {cls for cls in found if _portal_own(cls) and not _abstract(cls)}


def _abstract(cls) -> bool:
    if issubclass(cls, forms.BaseModelForm):
        return cls._meta.model is None
    if issubclass(cls, django_filters.FilterSet):
        return not cls.base_filters
    return False


def _unsaved_published_plan() -> ImplementationPlanVersion:
    # A pk makes the form treat it as stored: a published version's fields say they are frozen.
    return ImplementationPlanVersion(pk=1, version=1, status=PlanStatus.IN_FORCE)


# The arguments a form cannot do without, and second instances that show other labels.
FORM_VARIANTS: dict[str, list[Callable[[], dict]]] = {
    "conferences.forms.RtgForm": [lambda: {"cbms": CBM.objects.none()}],
    "members.forms.PasswordSetForm": [lambda: {"user": User(username="someone")}],
    "members.forms.PasswordChangeForm": [lambda: {"user": User(username="someone")}],
    "members.forms.PreferencesForm": [lambda: {"instance": User(role=Role.SECRETARIAT)}],
    "cbms.records.forms.PlanVersionForm": [
        lambda: {},
        lambda: {"instance": _unsaved_published_plan()},
    ],
}


def _name(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _built(cls) -> list[forms.BaseForm]:
    """The form as its page shows it (a filter set's form), once per variant."""
    variants = FORM_VARIANTS.get(_name(cls), [lambda: {}])
    if issubclass(cls, django_filters.FilterSet):
        model = cls._meta.model
        return [cls(data=None, queryset=model._default_manager.none()).form]
    return [cls(**variant()) for variant in variants]


def _static_choices(field_) -> list[tuple[object, object]]:
    """Choices written in the code; a model's rows are data, not labels."""
    if isinstance(field_, forms.ModelChoiceField):
        return []
    choices = getattr(field_, "choices", None) or getattr(field_.widget, "choices", None) or []
    return [(value, label) for value, label in choices if not isinstance(label, list | tuple)]


def _form_texts(form: forms.BaseForm) -> dict[str, str]:
    """Every label, help text and fixed choice of the form, read in the active language."""
    texts = {}
    for name, bound in form._bound_items():
        texts[f"{name} label"] = str(bound.label)
        texts[f"{name} help_text"] = str(bound.help_text or "")
        for value, label in _static_choices(bound.field):
            texts[f"{name} choice {value!r}"] = str(label)
    return texts


def test_the_collection_finds_the_forms_and_filters_of_the_pages():
    names = {_name(cls) for cls in _form_classes()}
    expected = {
        "conferences.forms.MeetingForm",  # chosen by get_form_class, not form_class
        "conferences.views.MeetingFilter",  # a page's filters, in its views module
        "cbms.imports.views.UploadForm",
        "members.forms.PasswordResetRequestForm",
        "cbms.compliance.forms.DashboardFilterForm",
        "cbms.reports.filters.ReportFilter",  # an API list's filters
    }
    assert expected <= names
    assert "members.forms.PortalModelForm" not in names  # abstract: no model


@pytest.mark.django_db
def test_every_form_and_filter_label_reads_in_dari():
    # The API's schema, written in English first, reads every filter's label; a label
    # django-filter derives from the model is then kept in English on the class, and every
    # later page in any language would show it (so the API's choice filters name theirs).
    _in("en", lambda: SchemaGenerator().get_schema(request=None, public=True))
    untranslated = []
    for cls in sorted(_form_classes(), key=_name):
        # Built in English first, as a process does before it serves a Dari page.
        english = _in("en", lambda cls=cls: [_form_texts(form) for form in _built(cls)])
        dari = _in("fa", lambda cls=cls: [_form_texts(form) for form in _built(cls)])
        for english_texts, dari_texts in zip(english, dari, strict=True):
            for key, text in english_texts.items():
                if text.strip() and dari_texts.get(key) == text and text not in SAME_IN_BOTH:
                    untranslated.append(f"{_name(cls)} {key}: {text!r}")
    assert sorted(set(untranslated)) == []


# --- Emails ---------------------------------------------------------------------------------------

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
DARI_LETTERS = re.compile(r"[\u0600-\u06ff]")
# What ends a stretch of English: Dari letters (and the zero-width non-joiner between them), a
# line break, or a piece of data taken out.
BREAK = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff\u200c]+|\n|\x00")
ADDRESS = re.compile(r"\S+://\S+|\S+@\S+")
# A phrase this long is a sentence someone forgot to mark, not a code or a name.
ENGLISH_PHRASE_WORDS = 3


@dataclass
class Sent:
    """The same emails sent to a reader of English and to a reader of Dari."""

    english: list[mail.EmailMessage]
    dari: list[mail.EmailMessage]
    # The names, codes and places the emails quote: the same in any language.
    data: list[str] = field(default_factory=list)


def _scrubbed(text: str, data: Iterable[str]) -> str:
    text = ADDRESS.sub("\x00", text)
    for value in sorted(filter(None, data), key=len, reverse=True):
        text = text.replace(value, "\x00")
    return text


def _phrases(text: str) -> list[list[str]]:
    return [LATIN_WORD.findall(part) for part in BREAK.split(text)]


def english_left(english: str, dari: str, data: Iterable[str]) -> list[str]:
    """The English phrases (three words or more, data aside) that the Dari text repeats."""
    data = list(data)
    said = [f" {' '.join(words)} " for words in _phrases(_scrubbed(english, data))]
    left = []
    for words in _phrases(_scrubbed(dari, data)):
        phrase = " ".join(words)
        if len(words) >= ENGLISH_PHRASE_WORDS and any(f" {phrase} " in s for s in said):
            left.append(phrase)
    return left


def _calendar_text(message) -> str:
    """What a person reads of the attached .ics: the calendar's name, the event's summary,
    place and description."""
    texts = []
    for part in message.attachments:
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        texts.append(str(calendar.get("x-wr-calname", "")))
        for event in calendar.walk("VEVENT"):
            texts += [str(event.get(name, "")) for name in ("summary", "location", "description")]
    return "\n".join(texts)


def _untranslated(sent: Sent) -> list[str]:
    assert sent.english, "nothing was sent"
    assert len(sent.english) == len(sent.dari), "the readers did not get the same emails"
    found = []
    for english, dari in zip(sent.english, sent.dari, strict=True):
        where = f"email {english.subject!r}"
        if not DARI_LETTERS.search(dari.subject + dari.body):
            found.append(f"{where}: no Dari at all")
        for part, read in (
            ("subject", lambda m: m.subject),
            ("body", lambda m: m.body),
            (".ics", _calendar_text),
        ):
            found += [
                f"{where} {part}: {phrase!r}"
                for phrase in english_left(read(english), read(dari), sent.data)
            ]
    return found


def _readers(factory, *, username: str, **fields) -> tuple[User, User]:
    """Two accounts alike but for the language of their emails: English, then Dari."""
    return tuple(
        factory(username=username.format(language=language), email_language=language, **fields)
        for language in ("en", "fa")
    )


def _split(readers: tuple[User, User], data: Iterable[str] = ()) -> Sent:
    english, dari = readers
    return Sent(
        english=[m for m in mail.outbox if m.to == [english.email]],
        dari=[m for m in mail.outbox if m.to == [dari.email]],
        data=[*data, *(u.username for u in readers), *(u.get_full_name() for u in readers)],
    )


def _joined(*sent: Sent) -> Sent:
    return Sent(
        english=[m for s in sent for m in s.english],
        dari=[m for s in sent for m in s.dari],
        data=[d for s in sent for d in s.data],
    )


def test_the_english_left_in_a_dari_text_is_found_and_data_is_not():
    english = "CT: the review RTG is due by 9 Aug 2020.\nOpen it in the portal: https://x.org/a/"
    dari = "CT: RTG بازبینی تا 9 Aug 2020 موعد دارد.\nOpen it in the portal: https://x.org/a/"
    assert english_left(english, dari, data=["Counter Terrorism"]) == ["Open it in the portal"]
    # A name of three words is data, whatever its language.
    assert (
        english_left("Dear Farid Ahmad Noori,", "Farid Ahmad Noori عزیز،", ["Farid Ahmad Noori"])
        == []
    )


# Each flow sends its emails to an English and a Dari reader and returns them.


def _account_invitation(monkeypatch) -> Sent:
    """An analyst's, and a secretariat member's, who is also told to set up the second factor."""
    monkeypatch.setattr(settings, "MFA_REQUIRED", True)
    analysts = _readers(UserFactory, username="invited-{language}", first_name="Farid")
    staff = _readers(SecretariatFactory, username="staff-{language}")
    for user in (*analysts, *staff):
        user.set_unusable_password()
        user.save()
        assert invitation_email(user.pk)
    return _joined(_split(analysts), _split(staff))


def _password_reset() -> Sent:
    readers = _readers(UserFactory, username="forgetful-{language}")
    for user in readers:
        assert password_reset_email(user.email) == 1
    return _split(readers)


@dataclass
class ComplianceWorld:
    """The Istanbul 2019 cycle of the spec (tests/compliance/conftest.py): the review RTG of CT
    due by 9 Aug 2020 (estimated), the prioritisation RTG held on 15 Jan 2020."""

    focal_points: tuple[User, User]  # an email per notice
    digest_readers: tuple[User, User]  # focal points too, one email a day
    missed_digest_readers: tuple[User, User]  # the secretariat's digest of missed obligations
    data: list[str]


CONFERENCE_DAY = dt.date(2019, 12, 9)
DEADLINE = dt.date(2020, 8, 9)


def _compliance_world(monkeypatch) -> ComplianceWorld:
    monkeypatch.setattr(compliance_services, "_enqueue_drain", lambda: None)
    country = CountryFactory(name="Kazakhstan")
    conference = ConferenceFactory(number=8, date=CONFERENCE_DAY, host=country, city="Istanbul")
    ConferenceFactory(number=9, date=None, year=2020, status="planned", host=country, city="")
    RtgRuleFactory(declaration__conference=conference)
    desk = SecretariatFactory(username="desk")
    cbm = CBMFactory(code="CT", name="Counter Terrorism", desk_officer=desk)
    LeadRoleFactory(cbm=cbm, country=country, since=dt.date(2012, 6, 14))
    RtgFactory(cbm=cbm, date=dt.date(2020, 1, 15), status=MeetingStatus.HELD)
    return ComplianceWorld(
        focal_points=_readers(FocalPointFactory, username="fp-{language}", country=country),
        digest_readers=_readers(
            FocalPointFactory,
            username="fp-digest-{language}",
            country=country,
            email_delivery=EmailDelivery.DIGEST,
        ),
        missed_digest_readers=_readers(
            SecretariatFactory, username="staff-{language}", missed_digest=True
        ),
        data=[cbm.code, cbm.name, country.name, "Istanbul"],
    )


def _compliance_notices(monkeypatch) -> ComplianceWorld:
    """A cycle's notices in order: it opens, two reminders (the second also to the desk), the
    review turns at risk, then missed, and the missed digest; then the emails go out."""
    world = _compliance_world(monkeypatch)
    obligations_recompute(on=CONFERENCE_DAY)
    reminders_send(on=DEADLINE - dt.timedelta(days=30))
    obligations_recompute(on=DEADLINE - dt.timedelta(days=20))
    reminders_send(on=DEADLINE - dt.timedelta(days=7))
    obligations_recompute(on=DEADLINE + dt.timedelta(days=1))
    missed_digest_send(on=DEADLINE + dt.timedelta(days=1))
    notifications_email()
    notifications_digest_email(on=DEADLINE + dt.timedelta(days=1))
    return world


def _compliance_emails(monkeypatch) -> Sent:
    world = _compliance_notices(monkeypatch)
    return _split(world.focal_points, world.data)


def _daily_digests(monkeypatch) -> Sent:
    world = _compliance_notices(monkeypatch)
    return _split(world.digest_readers, world.data)


def _missed_digests(monkeypatch) -> Sent:
    world = _compliance_notices(monkeypatch)
    return _split(world.missed_digest_readers, world.data)


def _report_notices(monkeypatch) -> Sent:
    """Submitted (to the secretariat), returned, submitted again and accepted (to the
    country's focal points)."""
    france = CountryFactory(code="FRA", name="France")
    cbm = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 6, 14))
    ConferenceFactory(number=1, date=dt.date(2011, 11, 2), year=2011, host=france)
    mc2 = ConferenceFactory(number=2, date=dt.date(2013, 4, 26), year=2013, host=france)
    ActivityFactory(priority_area=PriorityAreaFactory(plan=PlanVersionFactory(cbm=cbm)))
    staff = _readers(SecretariatFactory, username="reviewer-{language}")
    focal_points = _readers(FocalPointFactory, username="fp-fra-{language}", country=france)
    comment = "Add the figures for 2013."

    report = report_start(cbm=cbm, conference=mc2, actor=focal_points[0], narrative="N")
    report = report_submit(report=report, actor=focal_points[0])
    report = report_return(report=report, actor=staff[0], comment=comment)
    report = report_submit(report=report, actor=focal_points[0])
    report_accept(report=report, actor=staff[0])
    notifications_email()

    data = [cbm.code, cbm.name, france.code, france.name, comment]
    return _joined(_split(staff, data), _split(focal_points, data))


def _rtg_invitations(monkeypatch) -> Sent:
    """An RTG scheduled, moved, then cancelled: three emails, each with its .ics."""
    monkeypatch.setattr(compliance_services, "_enqueue_drain", lambda: None)
    france, germany = CountryFactory(name="France"), CountryFactory(name="Germany")
    cbm = CBMFactory(code="CT", name="Counter Terrorism")
    LeadRoleFactory(cbm=cbm, country=france)
    readers = _readers(FocalPointFactory, username="fp-{language}", country=france)
    rtg = RtgFactory(
        cbm=cbm,
        status=MeetingStatus.PLANNED,
        date=dt.date(2030, 5, 20),
        city="Hamburg",
        host=germany,
    )
    invitations_send()
    rtg.date = dt.date(2030, 6, 3)
    rtg.save()
    invitations_send()
    rtg.status = MeetingStatus.CANCELLED
    rtg.save()
    invitations_send()
    return _split(readers, [cbm.code, cbm.name, "Hamburg", germany.name, france.name])


EMAILS = {
    "account invitation": _account_invitation,
    "password reset": lambda monkeypatch: _password_reset(),
    "compliance notices": _compliance_emails,
    "daily digest": _daily_digests,
    "missed digest": _missed_digests,
    "report notices": _report_notices,
    "RTG invitations": _rtg_invitations,
}


@pytest.mark.django_db
@pytest.mark.parametrize("flow", EMAILS)
def test_every_email_to_a_dari_reader_is_written_in_dari(flow, monkeypatch):
    mail.outbox.clear()
    sent = EMAILS[flow](monkeypatch)
    assert _untranslated(sent) == []
