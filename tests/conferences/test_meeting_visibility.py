"""Which meetings each person sees (issue #15, decision 11; SPEC §5), the same through every way
in: the API's list and detail, the meeting pages, the CBM's page and the calendar feeds.

Everyone sees the meetings held, of every CBM. A focal point sees besides the planned (and
cancelled) RTGs of the CBMs its country leads today: not those of a CBM it only supports, not
those of other CBMs. The secretariat sees everything. One queryset decides
(MeetingQuerySet.visible_to, on top of recordable_by); a focal point may read a held RTG of a
CBM it does not lead, but it does not find it to change it (404, RELIABILITY goal 4).
"""

import datetime as dt
from dataclasses import dataclass

import icalendar
import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cbms.compliance.calendar import calendar_feed_issue, meeting_uid
from cbms.models import CBM, CBMRole, RoleKind
from conferences.models import Meeting, MeetingKind, MeetingStatus
from members.models import User
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import MeetingFactory, RtgFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

ROLES = ("anonymous", "analyst", "fp_fra", "fp_deu", "fp_ita", "secretariat")
PUBLIC = {"ct_held", "dm_held", "som_held"}
EXPECTED = {
    "anonymous": PUBLIC,
    "analyst": PUBLIC,
    "fp_fra": PUBLIC | {"ct_planned", "ct_cancelled"},  # France leads CT
    "fp_deu": PUBLIC,  # Germany only supports CT
    "fp_ita": PUBLIC | {"dm_planned"},  # Italy leads DM
    "secretariat": PUBLIC | {"ct_planned", "ct_cancelled", "dm_planned", "som_planned"},
}


@dataclass
class Meetings:
    ct: CBM
    dm: CBM
    france_leads_ct: CBMRole
    users: dict[str, User | None]
    meetings: dict[str, Meeting]

    def names(self, pks) -> set[str]:
        by_pk = {meeting.pk: name for name, meeting in self.meetings.items()}
        return {by_pk[pk] for pk in pks}


@pytest.fixture
def mw(db) -> Meetings:
    france = CountryFactory(code="FRA", name="France")
    germany = CountryFactory(code="DEU", name="Germany")
    italy = CountryFactory(code="ITA", name="Italy")
    ct = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    dm = CBMFactory(code="DM", name="Disaster Management", approved_on=dt.date(2012, 6, 14))
    france_leads_ct = LeadRoleFactory(cbm=ct, country=france)
    LeadRoleFactory(cbm=ct, country=germany, role=RoleKind.SUPPORTING)
    LeadRoleFactory(cbm=dm, country=italy)
    soon = timezone.localdate() + relativedelta(months=3)
    meetings = {
        "ct_held": RtgFactory(cbm=ct, date=dt.date(2015, 2, 1), city="Lyon"),
        "ct_planned": RtgFactory(cbm=ct, date=soon, status=MeetingStatus.PLANNED, city="Bonn"),
        "ct_cancelled": RtgFactory(
            cbm=ct, date=dt.date(2015, 6, 1), status=MeetingStatus.CANCELLED, city="Nice"
        ),
        "dm_held": RtgFactory(cbm=dm, date=dt.date(2015, 2, 20), city="Rome"),
        "dm_planned": RtgFactory(cbm=dm, date=soon, status=MeetingStatus.PLANNED, city="Milan"),
        "som_held": MeetingFactory(kind=MeetingKind.SOM, date=dt.date(2015, 3, 1)),
        "som_planned": MeetingFactory(
            kind=MeetingKind.SOM, date=soon, status=MeetingStatus.PLANNED
        ),
    }
    users = {
        "anonymous": None,
        "analyst": UserFactory(username="analyst"),
        "fp_fra": FocalPointFactory(username="fp-fra", country=france),
        "fp_deu": FocalPointFactory(username="fp-deu", country=germany),
        "fp_ita": FocalPointFactory(username="fp-ita", country=italy),
        "secretariat": SecretariatFactory(username="staff"),
    }
    return Meetings(ct, dm, france_leads_ct, users, meetings)


def _api(mw, who) -> APIClient:
    client = APIClient()
    if mw.users[who] is not None:
        client.force_authenticate(mw.users[who])
    return client


def _page(mw, client, who):
    if mw.users[who] is not None:
        client.force_login(mw.users[who])
    return client


@pytest.mark.parametrize("who", ROLES)
def test_the_api_lists_and_finds_what_the_rule_says(mw, who):
    client = _api(mw, who)
    body = client.get("/api/v1/meetings/", {"page_size": 100}).json()
    assert mw.names(row["id"] for row in body["results"]) == EXPECTED[who]
    assert body["count"] == len(EXPECTED[who])
    for name, meeting in mw.meetings.items():
        status = client.get(f"/api/v1/meetings/{meeting.pk}/").status_code
        assert status == (200 if name in EXPECTED[who] else 404), name


@pytest.mark.parametrize("who", ROLES)
def test_the_pages_list_and_show_the_same(mw, client, who):
    _page(mw, client, who)
    html = client.get(reverse("conferences:meeting_list")).content.decode()
    for name, meeting in mw.meetings.items():
        url = reverse("conferences:meeting_detail", args=[meeting.pk])
        assert (f'href="{url}"' in html) == (name in EXPECTED[who]), name
        assert client.get(url).status_code == (200 if name in EXPECTED[who] else 404), name


@pytest.mark.parametrize("who", ROLES)
def test_the_cbm_page_shows_the_same(mw, client, who):
    _page(mw, client, who)
    response = client.get(reverse("cbms:cbm_detail", args=[mw.ct.pk]))
    assert mw.names(m.pk for m in response.context["meetings"]) == {
        name for name in EXPECTED[who] if name.startswith("ct_")
    }


@pytest.mark.parametrize(
    ("who", "rtgs"),
    [
        ("fp_fra", {"ct_held", "ct_planned", "ct_cancelled"}),
        ("fp_deu", set()),
        ("fp_ita", {"dm_held", "dm_planned"}),
    ],
)
def test_my_country_lists_the_rtgs_its_country_leads(mw, client, who, rtgs):
    """The focal point's own page: the RTGs of the CBMs its country leads, as it sees them."""
    response = _page(mw, client, who).get(reverse("my_country"))
    listed = mw.names(m.pk for m in response.context["meetings"])
    assert listed == rtgs
    assert listed <= EXPECTED[who]


def _listed(mw, response) -> set[str]:
    """The meetings a calendar feed lists, by their UIDs."""
    assert response.status_code == 200
    uids = {
        str(event["uid"]) for event in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    }
    return {name for name, meeting in mw.meetings.items() if meeting_uid(meeting.pk) in uids}


@pytest.mark.parametrize("who", [role for role in ROLES if role != "anonymous"])
def test_a_private_calendar_feed_lists_no_more_than_its_owner_sees(mw, client, who):
    token = calendar_feed_issue(user=mw.users[who])
    listed = _listed(mw, client.get(reverse("calendar:feed", args=[token])))
    if who.startswith("fp_"):
        # A focal point's feed is about the CBMs its country leads or supports.
        mine = {"fp_fra": "ct_", "fp_deu": "ct_", "fp_ita": "dm_"}[who]
        assert listed == {name for name in EXPECTED[who] if name.startswith(mine)}
    else:
        assert listed == EXPECTED[who]


def test_the_public_feeds_list_the_meetings_held(mw, client):
    assert _listed(mw, client.get(reverse("calendar:meetings"))) == PUBLIC
    for cbm, prefix in ((mw.ct, "ct_"), (mw.dm, "dm_")):
        listed = _listed(mw, client.get(reverse("calendar:cbm", args=[cbm.code])))
        assert listed == {name for name in PUBLIC if name.startswith(prefix)}


def test_a_supporting_focal_point_reads_a_held_rtg_but_cannot_find_it_to_write(mw):
    client = _api(mw, "fp_deu")
    held = mw.meetings["ct_held"]
    url = f"/api/v1/meetings/{held.pk}/"
    assert client.get(url).status_code == 200
    assert client.patch(url, {"city": "Berlin"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    held.refresh_from_db()
    assert held.city == "Lyon"


@pytest.mark.parametrize(
    ("until", "france_leads"),
    [(relativedelta(days=0), True), (relativedelta(days=-1), False)],
    ids=["lead-ends-today", "lead-ended-yesterday"],
)
def test_a_lead_that_ended_takes_the_planned_rtgs_away(mw, client, until, france_leads):
    """Germany takes CT over from France: the day France's lead ends it still leads (until is
    inclusive); the day after, its planned RTGs are Germany's to see, edit and delete."""
    today = timezone.localdate()
    mw.france_leads_ct.until = today + until
    mw.france_leads_ct.save()
    germany_from = today + until + relativedelta(days=1)
    LeadRoleFactory(cbm=mw.ct, country=mw.users["fp_deu"].country, since=germany_from)
    planned = mw.meetings["ct_planned"]
    api = _api(mw, "fp_fra")
    _page(mw, client, "fp_fra")
    found = 200 if france_leads else 404
    assert api.get(f"/api/v1/meetings/{planned.pk}/").status_code == found
    assert client.get(reverse("conferences:meeting_detail", args=[planned.pk])).status_code == (
        found
    )
    for view in ("meeting_update", "meeting_delete", "meeting_history"):
        assert client.get(reverse(f"conferences:{view}", args=[planned.pk])).status_code == (
            found
        ), view
    if not france_leads:
        delete_page = reverse("conferences:meeting_delete", args=[planned.pk])
        assert client.post(delete_page).status_code == 404
        assert api.delete(f"/api/v1/meetings/{planned.pk}/").status_code == 404
        assert Meeting.objects.filter(pk=planned.pk).exists()
    # Germany leads from the day after: the RTG is its own once France's lead is over.
    germany = _api(mw, "fp_deu").get(f"/api/v1/meetings/{planned.pk}/").status_code
    assert germany == (404 if france_leads else 200)
