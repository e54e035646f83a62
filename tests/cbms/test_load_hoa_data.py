"""The real-data loader (cbms.records.loading): the facts of SPEC §2, loaded idempotently."""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from cbms.models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
    PlanStatus,
    PriorityArea,
    RoleKind,
)
from cbms.records import hoa_data
from cbms.records.loading import CHANGE_REASON, LOADED_MODELS, load_hoa_data
from conferences.models import Article, Declaration, Meeting, MinisterialConference
from members.models import Country, Participation
from organizations.models import Membership, Organization

PARTICIPATING = {
    "AFG", "AZE", "CHN", "IND", "IRN", "KAZ", "KGZ", "PAK",
    "RUS", "SAU", "TJK", "TUR", "TKM", "ARE", "UZB",
}  # fmt: skip
SUPPORTING = {
    "AUS", "CAN", "DNK", "EGY", "FIN", "FRA", "DEU", "IRQ",
    "ITA", "JPN", "NOR", "POL", "ESP", "SWE", "GBR", "USA",
}  # fmt: skip
SUPPORTING_ORGANIZATIONS = {
    "AKDN", "CAREC", "CICA", "CSTO", "ECO", "EU", "NATO", "OIC", "OSCE", "SAARC", "SCO",
}  # fmt: skip
DOMAIN_APPS = ("members", "organizations", "conferences", "cbms")

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    return load_hoa_data()


def _codes(queryset) -> set[str]:
    return set(queryset.values_list("country__code", flat=True))


def _domain_models(*, history: bool):
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") == history:
                yield model


def _row_counts(*, history: bool) -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in _domain_models(history=history)}


# --- Countries -----------------------------------------------------------------------------


def test_fifteen_participating_and_sixteen_supporting_countries(loaded):
    assert _codes(Participation.objects.filter(kind="participating")) == PARTICIPATING
    assert _codes(Participation.objects.filter(kind="supporting")) == SUPPORTING
    assert Participation.objects.count() == 31
    assert Country.objects.count() == 31
    assert loaded.created["members.Country"] == 31
    assert loaded.created["members.Participation"] == 31


def test_english_short_names(loaded):
    names = dict(Country.objects.values_list("code", "name"))
    assert names["IRN"] == "Iran"
    assert names["RUS"] == "Russia"
    assert names["TUR"] == "Turkey"
    assert names["ARE"] == "United Arab Emirates"
    assert names["GBR"] == "United Kingdom"
    assert names["USA"] == "United States"


def test_only_the_founders_are_dated_from_the_launch(loaded):
    dated = Participation.objects.filter(since__isnull=False)
    assert _codes(dated) == {"AFG", "TUR"}
    assert set(dated.values_list("since", flat=True)) == {dt.date(2011, 11, 2)}
    assert not Participation.objects.filter(until__isnull=False).exists()
    assert all(Participation.objects.values_list("source", flat=True))


def test_uzbekistan_carries_the_2016_study_discrepancy(loaded):
    uzbekistan = Participation.objects.get(country__code="UZB")
    assert uzbekistan.kind == "participating"
    assert uzbekistan.since is None
    assert "atr-2016-security-cooperation-study.txt" in uzbekistan.note
    assert "fourteen" in uzbekistan.note
    assert not Participation.objects.exclude(country__code="UZB").exclude(note="").exists()


# --- Organizations -------------------------------------------------------------------------


def test_eleven_supporting_organizations(loaded):
    supporting = Organization.objects.filter(supports_process=True)
    assert set(supporting.values_list("acronym", flat=True)) == SUPPORTING_ORGANIZATIONS
    assert Organization.objects.get(acronym="SCO").name == "Shanghai Cooperation Organization"
    assert all(supporting.values_list("source", flat=True))


@pytest.mark.parametrize(
    ("acronym", "members"),
    [
        ("AFG-PAK-CHN", {"AFG", "PAK", "CHN"}),
        ("AFG-IRN-PAK", {"AFG", "IRN", "PAK"}),
        ("AFG-IRN-TJK", {"AFG", "IRN", "TJK"}),
        ("QCG", {"AFG", "PAK", "CHN", "USA"}),
    ],
)
def test_formats_and_their_members(loaded, acronym, members):
    organization = Organization.objects.get(acronym=acronym)
    assert organization.kind == "format"
    assert not organization.supports_process
    assert _codes(organization.memberships.filter(status="member")) == members
    assert organization.memberships.count() == len(members)


def test_the_colombo_plan_is_a_mechanism_the_study_describes(loaded):
    colombo = Organization.objects.get(acronym="Colombo Plan")
    assert not colombo.supports_process
    assert "atr-2016-security-cooperation-study.txt" in colombo.source


@pytest.mark.parametrize(
    ("country", "organization", "year"),
    [
        ("AFG", "SCO", "2012"),
        ("AFG", "CSTO", "2013"),
        ("IRN", "SCO", "2005"),
        ("RUS", "OIC", "2005"),
    ],
)
def test_observer_statuses_keep_their_year_in_the_source(loaded, country, organization, year):
    membership = Membership.objects.get(
        country__code=country, organization__acronym=organization, status="observer"
    )
    assert membership.since is None  # the study gives a year, not a date
    assert "atr-2016-security-cooperation-study.txt" in membership.source
    assert year in membership.source


def test_no_observer_status_beyond_the_study(loaded):
    observers = Membership.objects.filter(status="observer")
    assert set(observers.values_list("country__code", "organization__acronym")) == {
        ("AFG", "SCO"),
        ("AFG", "CSTO"),
        ("IRN", "SCO"),
        ("RUS", "OIC"),
    }


# --- Conferences, declarations, the RTG rule ------------------------------------------------


@pytest.mark.parametrize(
    ("number", "date", "city", "host"),
    [
        (1, dt.date(2011, 11, 2), "Istanbul", "TUR"),
        (2, dt.date(2012, 6, 14), "Kabul", "AFG"),
        (3, dt.date(2013, 4, 26), "Almaty", "KAZ"),
        (4, dt.date(2014, 10, 31), "Beijing", "CHN"),
        (5, dt.date(2015, 12, 9), "Islamabad", "PAK"),
        (6, dt.date(2016, 12, 4), "Amritsar", "IND"),
        (7, dt.date(2017, 12, 1), "Baku", "AZE"),
        (8, dt.date(2019, 12, 9), "Istanbul", "TUR"),
    ],
)
def test_held_conferences(loaded, number, date, city, host):
    conference = MinisterialConference.objects.get(number=number)
    assert (conference.date, conference.year, conference.city, conference.host.code) == (
        date,
        date.year,
        city,
        host,
    )
    assert conference.status == "held"


def test_the_ninth_conference_is_planned_in_tajikistan_without_a_date(loaded):
    assert MinisterialConference.objects.count() == 9
    assert MinisterialConference.objects.filter(status="held").count() == 8
    ninth = MinisterialConference.objects.get(number=9)
    assert (ninth.status, ninth.date, ninth.year, ninth.host.code) == ("planned", None, 2020, "TJK")
    assert ninth.city == ""  # no source names the city
    assert not Declaration.objects.filter(conference=ninth).exists()


def test_a_declaration_for_each_held_conference(loaded):
    titles = dict(Declaration.objects.values_list("conference__number", "title"))
    assert titles == {
        1: "1st Ministerial Declaration",
        2: "2nd Ministerial Declaration",
        3: "3rd Ministerial Declaration",
        4: "Beijing Declaration",
        5: "5th Ministerial Declaration",
        6: "6th Ministerial Declaration",
        7: "7th Ministerial Declaration",
        8: "Istanbul Declaration: Peace, Partnership, Prosperity",
    }
    assert "six" in Declaration.objects.get(conference__number=2).summary
    assert "Agriculture" in Declaration.objects.get(conference__number=7).summary


def test_article_25_of_the_beijing_declaration_is_the_one_rtg_rule(loaded):
    rule = Article.objects.get(is_rtg_rule=True)
    assert Article.objects.count() == 1
    assert rule.declaration.conference.number == 4
    assert rule.declaration.title == "Beijing Declaration"
    assert rule.number == 25
    assert rule.effective_from == dt.date(2014, 10, 31)
    assert rule.text.startswith("The lead countries of the CBMs should convene at least two RTGs")
    assert rule.text.endswith("The second RTG Meeting of the year serves to review progress.")


# --- CBMs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "leads", "conference"),
    [
        ("CT", {"AFG", "TUR", "ARE"}, 2),
        ("CN", {"AZE", "RUS"}, 2),
        ("DM&EP", {"KAZ", "PAK"}, 2),
        ("CE", {"IRN"}, 2),
        ("RI", {"AZE", "TKM"}, 2),
        ("TCIO", {"IND"}, 2),
        ("AD", {"PAK", "UZB"}, 7),
        ("WE", set(), 8),
    ],
)
def test_cbm_leads_and_approval(loaded, code, leads, conference):
    cbm = CBM.objects.get(code=code)
    assert cbm.approved_at.number == conference
    assert cbm.approved_on == cbm.approved_at.date
    roles = cbm.roles.filter(role=RoleKind.LEAD)
    assert _codes(roles) == leads
    assert set(roles.values_list("since", flat=True)) <= {cbm.approved_on}
    assert not roles.filter(until__isnull=False).exists()


def test_eight_cbms_and_no_supporting_parties(loaded):
    assert set(CBM.objects.values_list("code", flat=True)) == {
        "CT", "CN", "DM&EP", "CE", "RI", "TCIO", "AD", "WE",
    }  # fmt: skip
    assert not CBMRole.objects.filter(role=RoleKind.SUPPORTING).exists()


def test_agriculture_approved_at_baku(loaded):
    agriculture = CBM.objects.get(code="AD")
    assert agriculture.approved_on == dt.date(2017, 12, 1)
    assert agriculture.approved_at.city == "Baku"


def test_women_empowerment_has_no_lead(loaded):
    women = CBM.objects.get(code="WE")
    assert women.approved_on == dt.date(2019, 12, 9)
    assert not women.roles.exists()


def test_the_disaster_management_rename_is_kept(loaded):
    cbm = CBM.objects.get(code="DM&EP")
    assert cbm.name == "Disaster Management and Environmental Protection"
    names = [
        (n.code, n.name, n.since, n.until, n.decided_at.number)
        for n in CBMName.objects.filter(cbm=cbm).order_by("since")
    ]
    assert names == [
        ("DM", "Disaster Management", dt.date(2012, 6, 14), dt.date(2019, 12, 8), 2),
        (
            "DM&EP",
            "Disaster Management and Environmental Protection",
            dt.date(2019, 12, 9),
            None,
            8,
        ),
    ]


def test_one_plan_in_force_per_cbm_except_women_empowerment(loaded):
    in_force = ImplementationPlanVersion.objects.filter(status=PlanStatus.IN_FORCE)
    assert sorted(in_force.values_list("cbm__code", "version")) == sorted(
        (code, 2) for code in ("CT", "CN", "DM&EP", "CE", "RI", "TCIO", "AD")
    )
    assert not ImplementationPlanVersion.objects.filter(adopted_on__isnull=False).exists()
    superseded = ImplementationPlanVersion.objects.filter(status=PlanStatus.SUPERSEDED)
    assert set(superseded.values_list("cbm__code", "version")) == {
        (code, 1) for code in ("CT", "CN", "DM&EP", "CE", "RI", "TCIO", "AD")
    }
    drafts = ImplementationPlanVersion.objects.filter(status=PlanStatus.DRAFT)
    assert set(drafts.values_list("cbm__code", "version")) == {("DM&EP", 3), ("WE", 1)}


def test_nothing_the_sources_do_not_list(loaded):
    assert not Meeting.objects.exists()
    assert not PriorityArea.objects.exists()
    assert not Activity.objects.exists()


def test_every_loaded_record_is_valid(loaded):
    """Field lengths (PostgreSQL enforces them), choices and each model's own clean()."""
    for model in LOADED_MODELS:
        for obj in model.objects.all():
            # The ninth conference's city is not in the sources (see cbms.records.hoa_data).
            exclude = ["city"] if isinstance(obj, MinisterialConference) and obj.number == 9 else []
            obj.full_clean(exclude=exclude, validate_unique=False)


def test_every_fact_cites_a_source_file():
    files = {hoa_data.ABOUT, hoa_data.ARTICLE, hoa_data.STUDY}
    facts = (
        *hoa_data.COUNTRIES,
        *hoa_data.ORGANIZATIONS,
        *hoa_data.MEMBERSHIPS,
        *hoa_data.CONFERENCES,
        *hoa_data.DECLARATIONS,
        *hoa_data.ARTICLES,
        *hoa_data.CBMS,
        *hoa_data.CBM_NAMES,
    )
    for fact in facts:
        assert any(name in fact.source for name in files), fact
    for plan in hoa_data.PLANS:
        assert hoa_data.ARTICLE in plan.notes, plan


# --- Idempotence and restoring the facts ---------------------------------------------------


def test_a_second_run_changes_nothing_and_writes_no_history(loaded):
    assert loaded.changed
    rows, history = _row_counts(history=False), _row_counts(history=True)
    assert sum(history.values()) >= loaded.total_created

    again = load_hoa_data()

    assert (again.total_created, again.total_updated) == (0, 0)
    assert not again.changed
    assert _row_counts(history=False) == rows
    assert _row_counts(history=True) == history


def test_history_rows_name_the_loader(loaded):
    record = CBM.objects.get(code="CT").history.get()
    assert record.history_type == "+"
    assert record.history_change_reason == CHANGE_REASON


def test_a_hand_edited_fact_is_restored_and_reported(loaded):
    cbm = CBM.objects.get(code="CT")
    cbm.name = "Counter-Terrorism (edited)"
    cbm.save()
    article = Article.objects.get(is_rtg_rule=True)
    article.effective_from = dt.date(2015, 1, 1)
    article.save()
    Country.objects.filter(code="IRN").update(name="Islamic Republic of Iran")
    history = _row_counts(history=True)

    report = load_hoa_data()

    assert report.total_created == 0
    assert dict(report.updated) == {"cbms.CBM": 1, "conferences.Article": 1, "members.Country": 1}
    assert CBM.objects.get(code="CT").name == "Counter Terrorism"
    assert Article.objects.get(is_rtg_rule=True).effective_from == dt.date(2014, 10, 31)
    assert Country.objects.get(code="IRN").name == "Iran"
    after = _row_counts(history=True)
    assert after["cbms.HistoricalCBM"] == history["cbms.HistoricalCBM"] + 1
    assert after["members.HistoricalCountry"] == history["members.HistoricalCountry"] + 1
    latest = CBM.objects.get(code="CT").history.first()
    assert latest.history_change_reason == CHANGE_REASON
    assert [c.field for c in latest.diff_against(latest.prev_record).changes] == ["name"]


def test_a_deleted_fact_is_recreated(loaded):
    CBMRole.objects.filter(cbm__code="CN", country__code="RUS").delete()

    report = load_hoa_data()

    assert dict(report.created) == {"cbms.CBMRole": 1}
    assert _codes(CBM.objects.get(code="CN").roles.all()) == {"AZE", "RUS"}


def test_what_the_secretariat_records_since_survives_a_reload(loaded):
    """Values the sources leave empty, and the state as of the sources, are not overwritten."""
    ninth = MinisterialConference.objects.get(number=9)
    ninth.city, ninth.date, ninth.year, ninth.status = (
        "Dushanbe",
        dt.date(2021, 3, 30),
        2021,
        "held",
    )
    ninth.save()
    plan = ImplementationPlanVersion.objects.get(cbm__code="WE", version=1)
    plan.status, plan.adopted_on = PlanStatus.IN_FORCE, dt.date(2021, 3, 30)
    plan.save()
    handover = CBMRole.objects.get(cbm__code="CE", country__code="IRN")
    handover.until = dt.date(2020, 12, 31)
    handover.save()
    dated = Participation.objects.get(country__code="AZE")
    dated.since = dt.date(2011, 11, 2)
    dated.save()
    uzbekistan = Participation.objects.get(country__code="UZB")
    uzbekistan.note = "Rewritten by the secretariat."
    uzbekistan.save()
    rows, history = _row_counts(history=False), _row_counts(history=True)

    report = load_hoa_data()

    assert not report.changed
    assert _row_counts(history=False) == rows
    assert _row_counts(history=True) == history
    ninth.refresh_from_db()
    assert (ninth.city, ninth.status, ninth.year) == ("Dushanbe", "held", 2021)
    plan.refresh_from_db()
    assert (plan.status, plan.adopted_on) == (PlanStatus.IN_FORCE, dt.date(2021, 3, 30))
    handover.refresh_from_db()
    assert handover.until == dt.date(2020, 12, 31)
    assert Participation.objects.filter(country__code="AZE").count() == 1
    assert Participation.objects.get(country__code="UZB").note == "Rewritten by the secretariat."


def test_records_the_secretariat_adds_are_kept(loaded):
    extra = Organization.objects.create(
        acronym="UNAMA",
        name="United Nations Assistance Mission in Afghanistan",
        kind="international",
    )

    report = load_hoa_data()

    assert not report.changed
    assert Organization.objects.filter(pk=extra.pk).exists()


# --- The management command ----------------------------------------------------------------


def test_the_command_loads_and_prints_the_counts():
    out = StringIO()
    call_command("load_hoa_data", stdout=out)
    first = out.getvalue()
    assert "members.Country" in first
    assert "31 created" in first
    assert "cbms.CBM " in first
    assert "HoA-IP data loaded:" in first
    assert CBM.objects.count() == 8

    out = StringIO()
    call_command("load_hoa_data", stdout=out)
    second = out.getvalue()
    assert "0 created, 0 updated" in second
    assert "already up to date" in second
