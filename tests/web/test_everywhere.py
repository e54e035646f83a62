"""Small defects users meet on every page (issue #17, "Everywhere"): times in Kabul, user text
with its own direction, CBMs by code, the countries on one page, the conference year, the way
from the conferences to the declarations, the wording of an empty draft plan."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from conferences.forms import ConferenceForm, MeetingForm
from members.models import Participation, ParticipationKind
from tests.cbms.factories import CBMFactory, PlanVersionFactory
from tests.members.factories import (
    CountryFactory,
    ParticipationFactory,
    SecretariatFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(SecretariatFactory(username="staff"))
    return client


def test_the_users_list_shows_the_last_sign_in_in_kabul_time(staff_client):
    # 10:00 UTC is 14:30 in Kabul (UTC+4:30, no daylight saving).
    UserFactory(username="late", last_login=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    page = staff_client.get(reverse("members:user_list")).content.decode()
    assert "1 Mar 2026 14:30" in page
    assert "1 Mar 2026 10:00" not in page


def test_list_cells_take_the_direction_of_their_text(staff_client):
    CountryFactory(code="FRA", name="France")
    page = staff_client.get(reverse("members:country_list")).content.decode()
    assert re.search(r'<a [^>]*dir="auto"[^>]*>France</a>', page)
    assert '<span dir="auto">FRA</span>' in page


def test_a_new_draft_plan_says_it_has_nothing_yet(staff_client):
    draft = PlanVersionFactory(status="draft", adopted_on=None)
    page = staff_client.get(reverse("cbms:plan_detail", args=[draft.pk])).content.decode()
    assert "No priority area or activity yet." in page
    assert "the sources list none" not in page


def test_the_countries_list_shows_every_country_on_one_page_participating_first(client):
    # Named so that by name alone the kinds would mix: A and C support, B and D take part.
    for number in range(31):
        kind = ParticipationKind.PARTICIPATING if number % 2 else ParticipationKind.SUPPORTING
        country = CountryFactory(name=f"Country {number:02d}")
        ParticipationFactory(country=country, kind=kind, since=None, until=None)
    response = client.get(reverse("members:country_list"))
    names = [row.obj.name for row in response.context["rows"]]
    assert len(names) == 31
    participating = [f"Country {n:02d}" for n in range(31) if n % 2]
    supporting = [f"Country {n:02d}" for n in range(31) if not n % 2]
    assert names == participating + supporting


def test_the_countries_list_still_filters(client):
    taking_part = CountryFactory(name="Taking part")
    ParticipationFactory(country=taking_part, kind=ParticipationKind.PARTICIPATING, until=None)
    supporting = CountryFactory(name="Supporting")
    ParticipationFactory(country=supporting, kind=ParticipationKind.SUPPORTING, until=None)
    response = client.get(reverse("members:country_list"), {"participation": "supporting"})
    assert [row.obj for row in response.context["rows"]] == [supporting]


def test_the_meeting_form_lists_cbms_by_code():
    CBMFactory(code="ZZZ", approved_on=dt.date(2012, 6, 14))
    CBMFactory(code="AAA", approved_on=dt.date(2016, 12, 4))
    codes = [cbm.code for cbm in MeetingForm().fields["cbm"].queryset]
    assert codes == ["AAA", "ZZZ"]


def _conference_data(**changes):
    host = CountryFactory(code="AFG", name="Afghanistan")
    data = {"number": 9, "date": "2021-03-30", "year": "", "city": "Dushanbe"}
    data |= {"host": host.pk, "status": "held"}
    return data | changes


def test_the_conference_year_follows_from_its_date():
    form = ConferenceForm(data=_conference_data())
    assert form.is_valid(), form.errors
    assert form.save().year == 2021


def test_a_date_overrides_a_mistyped_year():
    form = ConferenceForm(data=_conference_data(year="2019"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["year"] == 2021


def test_a_conference_without_a_date_needs_its_year():
    form = ConferenceForm(data=_conference_data(date="", status="planned"))
    assert not form.is_valid()
    assert "year" in form.errors
    form = ConferenceForm(data=_conference_data(date="", year="2030", status="planned"))
    assert form.is_valid(), form.errors


def test_the_conferences_list_links_to_the_declarations(client):
    page = client.get(reverse("conferences:conference_list")).content.decode()
    assert f'href="{reverse("conferences:declaration_list")}"' in page


def test_a_country_page_lists_its_cbms_by_code(client):
    from tests.cbms.factories import LeadRoleFactory

    country = CountryFactory(code="FRA", name="France")
    LeadRoleFactory(country=country, cbm=CBMFactory(code="ZZZ", approved_on=dt.date(2012, 6, 14)))
    LeadRoleFactory(country=country, cbm=CBMFactory(code="AAA", approved_on=dt.date(2016, 12, 4)))
    page = client.get(reverse("members:country_detail", args=[country.pk])).content.decode()
    assert page.index("AAA") < page.index("ZZZ")


def test_public_pages_cite_sources_by_title_publisher_and_date(world, client_for):
    participation = Participation.objects.filter(country=world.afghanistan).first()
    participation.source = "atr-2016-security-cooperation-study.txt: the participating states"
    participation.save()
    client = client_for("anonymous")
    expected = (
        "Study on Security Cooperation in the Heart of Asia Region, ATR Consulting, 18 July 2016"
    )
    page = client.get(reverse("members:country_detail", args=[world.afghanistan.pk])).text
    assert f"{expected}: the participating states" in page
    assert "atr-2016-security-cooperation-study.txt" not in page
    listed = client.get(reverse("members:participation_list")).text
    assert expected in listed and "atr-2016" not in listed
    exported = b"".join(
        client.get(reverse("members:participation_list"), {"format": "csv"}).streaming_content
    ).decode("utf-8-sig")
    assert "atr-2016-security-cooperation-study.txt" in exported  # as stored: it imports back


def test_the_scheduling_form_says_when_the_cbm_asked_for_is_not_led(world, client_for):
    client = client_for("focal_fr")
    page = client.get(reverse("conferences:meeting_create"), {"cbm": world.de_cbm.pk}).text
    expected = f"Your country does not lead {world.de_cbm.code}: you may schedule the RTGs of"
    assert expected in page and world.fr_cbm.code in page.split(expected, 1)[1][:40]
    own = client.get(reverse("conferences:meeting_create"), {"cbm": world.fr_cbm.pk}).text
    assert "does not lead" not in own


def test_the_api_docs_link_back_and_describe_the_compliance_operation(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "](/)" in schema["info"]["description"]  # the portal, from the docs page
    operation = schema["paths"]["/api/v1/cbms/{code}/compliance/"]["get"]
    assert operation["summary"] == "A CBM's RTG obligations on a day"
    assert "Article 25" in operation["description"]
