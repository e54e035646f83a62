"""What the pages say: delete confirmations, history, notices, lists (search, sort, CSV, htmx),
the compliance dashboard and "my country"."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from cbms.models import CBM, CBMRole, ImplementationPlanVersion
from conferences.models import ConferenceStatus, Meeting, MeetingStatus
from members.models import Country, Notification
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, UserFactory

# --- Delete -------------------------------------------------------------------------------------


def test_delete_confirmation_lists_what_else_goes(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:cbm_delete", args=[world.fr_cbm.pk])
    page = client.get(url).text
    # The CBM's RTG is protected: the page says so and offers no delete button.
    assert "cannot be deleted" in page and "Yes, delete" not in page
    assert "Regional Technical Group meeting on FRX" in page
    Meeting.objects.filter(cbm=world.fr_cbm).delete()

    page = client.get(url).text
    assert "Yes, delete" in page
    for affected in ("CBM role: France – lead of FRX", "Priority area: 1. Border security"):
        assert affected in page
    assert "Activity: 1.1 Joint training" in page
    response = client.post(url)
    assert response.status_code == 302
    assert not CBM.objects.filter(pk=world.fr_cbm.pk).exists()
    assert not CBMRole.objects.filter(pk=world.fr_role.pk).exists()


def test_a_protected_delete_is_refused_with_a_message_not_a_500(world, client_for):
    client = client_for("secretariat")
    response = client.post(reverse("members:country_delete", args=[world.afghanistan.pk]))
    assert response.status_code == 302
    assert Country.objects.filter(pk=world.afghanistan.pk).exists()
    page = client.get(response["Location"]).text
    assert "was not deleted" in page


def test_deleting_a_leaf_record(world, client_for):
    client = client_for("secretariat")
    url = reverse("cbms:activity_delete", args=[world.draft_activity.pk])
    assert "No other record is affected" in client.get(url).text
    assert client.post(url)["Location"] == reverse("cbms:plan_detail", args=[world.fr_draft.pk])
    assert not world.draft_area.activities.exists()


# --- History ------------------------------------------------------------------------------------


def test_history_shows_who_changed_what_and_when(world, client_for):
    client = client_for("secretariat")
    client.post(
        reverse("cbms:role_update", args=[world.fr_role.pk]),
        {"role": "lead", "country": world.germany.pk, "since": "2012-06-14", "until": "2020-1-1"},
    )
    page = client.get(reverse("cbms:role_history", args=[world.fr_role.pk])).text
    assert "Sam Staff" in page  # who
    assert "changed" in page and "created" in page
    assert "Until" in page and "1 Jan 2020" in page  # what: — → 1 Jan 2020
    assert "France" in page and "Germany" in page  # a foreign key shows its name, not an id


# --- Notifications ------------------------------------------------------------------------------


def test_notifications_are_listed_unread_until_marked(world, client_for):
    """Viewing the list leaves them unread: its buttons and links mark them (tests/members)."""
    client = client_for("focal_fr")
    home = client.get(reverse("home")).text
    assert '1<span class="visually-hidden"> unread' in home
    page = client.get(reverse("members:notifications")).text
    assert "FRX: the review RTG after MC 5 is missed" in page and ">new<" in page
    world.notice.refresh_from_db()
    assert world.notice.read_at is None
    client.post(reverse("members:notification_read", args=[world.notice.pk]))
    assert ">new<" not in client.get(reverse("members:notifications")).text
    assert "unread" not in client.get(reverse("home")).text


def test_notifications_are_ones_own(world, client_for):
    page = client_for("focal_de").get(reverse("members:notifications")).text
    assert "FRX" not in page
    world.notice.refresh_from_db()
    assert world.notice.read_at is None


def test_email_copies_are_not_listed(world, client_for):
    Notification.objects.create(
        recipient=world.users["focal_fr"],
        channel="email",
        event_key="x",
        subject="By email only",
        body="…",
    )
    assert "By email only" not in client_for("focal_fr").get(reverse("members:notifications")).text


# --- Lists --------------------------------------------------------------------------------------


def test_search_sort_and_filter(world, client_for):
    client = client_for("anonymous")
    url = reverse("members:country_list")
    assert [r.obj.code for r in client.get(url, {"q": "man"}).context["rows"]] == ["DEU"]
    codes = [r.obj.code for r in client.get(url, {"sort": "-code"}).context["rows"]]
    assert codes == ["FRA", "DEU", "AFG"]
    participating = client.get(url, {"participation": "participating"}).context["rows"]
    assert [r.obj.code for r in participating] == ["AFG"]
    # A sort key that is not a column is ignored, a page past the end shows the last page.
    assert client.get(url, {"sort": "password", "page": "999999999999"}).status_code == 200


def test_csv_export_streams_every_matching_row(world, client_for):
    for i in range(30):
        CountryFactory(code=f"Z{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"Zland {i}")
    response = client_for("anonymous").get(
        reverse("members:country_list"), {"q": "zland", "format": "csv"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 30  # every match, not one page of 25
    assert set(rows[0]) == {"name", "code", "participation"}


def test_htmx_filter_requests_get_only_the_results(world, client_for):
    client = client_for("anonymous")
    response = client.get(
        reverse("cbms:cbm_list"), {"q": "FRX"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert "<html" not in response.text and "FRX" in response.text and "DEX" not in response.text
    assert "<html" in client.get(reverse("cbms:cbm_list")).text


def test_layout_is_accessible_and_follows_the_language_direction(world, client_for):
    page = client_for("anonymous").get(reverse("home")).text
    assert '<html lang="en" dir="ltr">' in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert "bootstrap.min.css" in page and "htmx.min.js" in page and "//cdn" not in page
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with translation.override("ar"):
        rtl = render_to_string("base.html", request=request)
    assert 'dir="rtl"' in rtl and "bootstrap.rtl.min.css" in rtl


# --- The compliance dashboard -------------------------------------------------------------------


@pytest.fixture
def worked_example(db):
    """SPEC §3's worked example: a CBM led since 14 Jun 2012, RTGs held on 31 Dec 2014,
    9 Aug 2015, 10 Feb 2016 and 5 Aug 2016; conferences as held, the ninth without a date."""
    country = CountryFactory(code="AFG", name="Afghanistan")
    dates = [
        (2, dt.date(2012, 6, 14)),
        (3, dt.date(2013, 4, 26)),
        (4, dt.date(2014, 10, 31)),
        (5, dt.date(2015, 12, 9)),
        (6, dt.date(2016, 12, 4)),
        (7, dt.date(2017, 12, 1)),
        (8, dt.date(2019, 12, 9)),
    ]
    conferences = {n: ConferenceFactory(number=n, date=d, host=country) for n, d in dates}
    ConferenceFactory(number=9, date=None, year=2020, host=country, status=ConferenceStatus.PLANNED)
    RtgRuleFactory(declaration__conference=conferences[4])
    cbm = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=cbm, country=country)
    other = CBMFactory(code="CN", name="Counter Narcotics", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=other, country=CountryFactory(code="RUS", name="Russia"))
    for day in (dt.date(2014, 12, 31), dt.date(2015, 8, 9), dt.date(2016, 2, 10)):
        RtgFactory(cbm=cbm, date=day)
    late = RtgFactory(cbm=cbm, date=dt.date(2016, 8, 5))
    return cbm, other, country, late


def test_dashboard_shows_each_status_in_words_with_dates(worked_example, client):
    cbm, other, country, late = worked_example
    client.force_login(UserFactory())
    page = client.get(reverse("dashboard")).text
    assert "met: RTG held on 31 Dec 2014, between 31 Oct 2014 and 31 Dec 2014." in page
    assert "met: RTG held on 9 Aug 2015, after 31 Oct 2014 and by 9 Aug 2015." in page
    assert "met: RTG held on 10 Feb 2016, after 9 Dec 2015 and by 4 Aug 2016." in page
    assert (
        "late: no RTG held between 9 Dec 2015 and 9 Feb 2016; the RTG of 5 Aug 2016 came after "
        "the window closed." in page
    )
    assert "missed: no RTG held between 4 Dec 2016 and 4 Feb 2017." in page
    assert "not in force: the cycle began on 26 Apr 2013" in page
    assert "so the deadline is estimated" in page  # the 2019 cycle's review
    # The matrix: a cell per CBM and cycle, text as well as colour; a legend.
    assert page.count('class="status status-missed"') > 4
    assert "What each status means" in page
    # The timeline is server-rendered SVG with a title and text labels; P5 was met late by the
    # 5 Aug 2016 RTG, R5 by the 10 Feb 2016 one.
    assert "<svg" in page and "<title" in page and ">P5 R5<" not in page
    assert ">P5<" in page and ">R5<" in page
    # The annual indicator.
    assert "2 of 2" in page


def test_dashboard_filters_by_cbm_and_country(worked_example, client):
    cbm, other, country, _ = worked_example
    client.force_login(UserFactory())
    by_cbm = client.get(reverse("dashboard"), {"cbm": other.pk}).context["rows"]
    assert [row.cbm for row in by_cbm] == [other]
    by_country = client.get(reverse("dashboard"), {"country": country.pk}).context["rows"]
    assert [row.cbm for row in by_country] == [cbm]
    bad = client.get(reverse("dashboard"), {"on": "yesterday"})
    assert bad.status_code == 200 and "on" in bad.context["form"].errors


def test_dashboard_replays_a_past_day(worked_example, client):
    cbm, *_ = worked_example
    Meeting.objects.filter(cbm=cbm).exclude(date=dt.date(2014, 12, 31)).delete()
    client.force_login(UserFactory())
    page = client.get(reverse("dashboard"), {"cbm": cbm.pk, "on": "2015-07-20"}).text
    assert "at risk: the deadline, 9 Aug 2015, is 20 days away" in page
    RtgFactory(cbm=cbm, date=dt.date(2015, 7, 1), status=MeetingStatus.PLANNED)
    page = client.get(reverse("dashboard"), {"cbm": cbm.pk, "on": "2015-07-20"}).text
    assert "scheduled: an RTG is planned after 31 Oct 2014 and by 9 Aug 2015." in page


def test_a_replayed_dashboard_names_its_day_not_today(worked_example, client, monkeypatch):
    """The timeline's marker stands at D and says D; only today's dashboard says "today"."""
    cbm, *_ = worked_example
    client.force_login(UserFactory())

    def marker(params) -> str:
        page = client.get(reverse("dashboard"), {"cbm": cbm.pk, **params}).text
        return page.split('<g class="today">', 1)[1].split("</g>", 1)[0]

    replayed = marker({"on": "2015-07-20"})
    assert ">20 Jul 2015</text>" in replayed
    assert "today" not in replayed
    # Today falls after the worked example's last cycle; make it a day the timeline shows.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: dt.date(2015, 7, 20))
    assert ">today</text>" in marker({})
    assert ">today</text>" in marker({"on": "2015-07-20"})


def test_recording_an_rtg_changes_the_dashboard(worked_example, client):
    cbm, _, country, _ = worked_example
    client.force_login(FocalPointFactory(country=country))
    url = reverse("dashboard") + f"?cbm={cbm.pk}"
    assert "missed: no RTG held between 4 Dec 2016 and 4 Feb 2017." in client.get(url).text
    response = client.post(
        reverse("conferences:meeting_create"),
        {"cbm": cbm.pk, "date": "2017-01-15", "status": "held", "city": "Kabul"},
    )
    assert response.status_code == 302
    assert "met: RTG held on 15 Jan 2017, between 4 Dec 2016 and 4 Feb 2017." in (
        client.get(url).text
    )


# --- My country ---------------------------------------------------------------------------------


def test_my_country_lists_the_led_cbms_and_their_open_obligations(db, client):
    today = timezone.localdate()
    country = CountryFactory(code="FRA", name="France")
    ConferenceFactory(number=1, date=today - dt.timedelta(days=20), host=country)
    RtgRuleFactory(declaration__conference__number=1, effective_from=today - dt.timedelta(days=400))
    led = CBMFactory(code="LED", approved_on=today - dt.timedelta(days=365))
    LeadRoleFactory(cbm=led, country=country)
    not_led = CBMFactory(code="OTHER", approved_on=today - dt.timedelta(days=365))
    LeadRoleFactory(cbm=not_led, country=CountryFactory(code="DEU", name="Germany"))
    client.force_login(FocalPointFactory(country=country))
    response = client.get(reverse("my_country"))
    page = response.text
    assert "LED" in page and "OTHER" not in page
    open_items = response.context["open_items"]
    assert [(o.cbm.code, o.kind) for o in open_items] == [
        ("LED", "prioritisation"),
        ("LED", "review"),
    ]
    deadline = open_items[0].deadline
    assert deadline.strftime("%-d %b %Y") in page and "days left" in page
    assert f"?kind=rtg&amp;cbm={led.pk}" in page


def test_draft_plans_are_counted_for_the_secretariat_only(world, client_for):
    assert ImplementationPlanVersion.objects.filter(cbm=world.fr_cbm).count() == 2
    assert len(client_for("analyst").get(reverse("cbms:plan_list")).context["rows"]) == 1
    assert len(client_for("secretariat").get(reverse("cbms:plan_list")).context["rows"]) == 2
