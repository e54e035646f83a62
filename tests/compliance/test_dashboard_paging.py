"""The compliance dashboard a page of CBMs at a time, "my country" a page of RTGs at a time, and
what makes those pages fast at the bench scale (benchmarks/pages.py): the pagination's links, the
CBM select written in Python, the timeline's marks written in Python, all as they were."""

import datetime as dt
import re

import pytest
from django import forms
from django.db import connection
from django.forms import Select
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbms.compliance.views import ComplianceDashboard, MyCountry
from conferences.models import MeetingStatus
from hoa_portal.views import PortalPaginator, QuickSelect
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, UserFactory

PER_PAGE = ComplianceDashboard.cbms_per_page


@pytest.fixture
def history(db):
    """Two held conferences and the rule; CBMs are added by each test."""
    host = CountryFactory(code="AFG", name="Afghanistan")
    first = ConferenceFactory(number=4, date=dt.date(2014, 10, 31), host=host, city="Beijing")
    ConferenceFactory(number=5, date=dt.date(2015, 12, 9), host=host, city="Islamabad")
    RtgRuleFactory(declaration__conference=first)
    return host


def led_cbms(count: int, country, *, start: int = 0) -> list:
    """CBMs P000, P001, ... (their codes sort as they are made), each led by `country` and with
    an RTG held in the first cycle."""
    cbms = []
    for n in range(start, start + count):
        cbm = CBMFactory(code=f"P{n:03d}", name=f"Paged measure {n}")
        LeadRoleFactory(cbm=cbm, country=country)
        RtgFactory(cbm=cbm, date=dt.date(2014, 12, 1) + dt.timedelta(days=n))
        cbms.append(cbm)
    return cbms


@pytest.fixture
def analyst_client(client, db):
    client.force_login(UserFactory())
    return client


def shown(response) -> list[str]:
    return [row.cbm.code for row in response.context["rows"]]


# --- Pages of CBMs ------------------------------------------------------------------------------


def test_the_second_page_starts_with_the_cbm_after_a_full_first_page(history, analyst_client):
    cbms = led_cbms(PER_PAGE + 1, history)
    first = analyst_client.get(reverse("dashboard"))
    second = analyst_client.get(reverse("dashboard"), {"page": 2})
    assert shown(first) == [cbm.code for cbm in cbms[:PER_PAGE]]
    assert shown(second) == [cbms[PER_PAGE].code]
    # The page shows its own CBMs everywhere: the matrix, the timelines, the explanations.
    page = second.text
    assert f'id="cbm-{cbms[PER_PAGE].pk}"' in page and f'id="cbm-{cbms[0].pk}"' not in page
    assert f"Timeline of {cbms[PER_PAGE].code}" in page
    assert f'href="#cbm-{cbms[PER_PAGE].pk}-mc-4"' in page
    assert f'id="cbm-{cbms[PER_PAGE].pk}-mc-4"' in page
    # The first page links to the second; a page past the end shows the last one.
    assert '<a class="page-link" href="?page=2">2</a>' in first.text
    assert shown(analyst_client.get(reverse("dashboard"), {"page": 99})) == shown(second)


def test_one_page_of_cbms_has_no_pagination(history, analyst_client):
    led_cbms(PER_PAGE, history)
    response = analyst_client.get(reverse("dashboard"))
    assert len(shown(response)) == PER_PAGE
    assert 'class="pagination' not in response.text


def test_the_filters_survive_paging(history, analyst_client):
    """A country's CBMs past a page, others' CBMs between them: page 2 of the filtered list is
    the filtered CBMs that did not fit on page 1, and its links keep the filters."""
    russia = CountryFactory(code="RUS", name="Russia")
    led = led_cbms(PER_PAGE + 2, history)
    led_cbms(3, russia, start=PER_PAGE + 2)
    filters = {"country": history.pk, "on": "2016-01-10"}
    first = analyst_client.get(reverse("dashboard"), filters)
    second = analyst_client.get(reverse("dashboard"), {**filters, "page": 2})
    assert shown(first) == [cbm.code for cbm in led[:PER_PAGE]]
    assert shown(second) == [cbm.code for cbm in led[PER_PAGE:]]
    assert second.context["on"] == dt.date(2016, 1, 10)
    links = re.findall(r'class="page-link" href="([^"]+)"', first.text)
    assert links and all(
        f"country={history.pk}" in link and "on=2016-01-10" in link for link in links
    )
    # A single CBM chosen: one page, whatever the page asked.
    one = analyst_client.get(reverse("dashboard"), {"cbm": led[-1].pk, "page": 2})
    assert shown(one) == [led[-1].code]


def test_a_later_page_costs_the_queries_of_the_first(history, analyst_client):
    """The page's queries do not grow with the CBMs on it, before it, or in all."""
    led_cbms(PER_PAGE + 1, history)

    def queries(page: int) -> int:
        analyst_client.get(reverse("dashboard"), {"page": page})  # warm caches
        with CaptureQueriesContext(connection) as captured:
            assert analyst_client.get(reverse("dashboard"), {"page": page}).status_code == 200
        return len(captured)

    one_cbm_on_page_two = queries(2)
    led_cbms(2 * PER_PAGE, history, start=PER_PAGE + 1)
    assert queries(2) == one_cbm_on_page_two == queries(3)


# --- My country's RTGs --------------------------------------------------------------------------


def test_my_country_lists_its_rtgs_a_page_at_a_time_newest_first(history, client):
    (cbm,) = led_cbms(1, history)
    for n in range(MyCountry.meetings_per_page):
        RtgFactory(cbm=cbm, date=dt.date(2015, 1, 1) + dt.timedelta(days=n))
    oldest = cbm.meetings.order_by("date").first()
    client.force_login(FocalPointFactory(country=history))
    first = client.get(reverse("my_country"))
    second = client.get(reverse("my_country"), {"page": 2})
    assert len(first.context["meetings"]) == MyCountry.meetings_per_page
    assert [m.pk for m in second.context["meetings"]] == [oldest.pk]
    assert oldest.pk not in {m.pk for m in first.context["meetings"]}
    assert '<a class="page-link" href="?page=2">2</a>' in first.text
    # The CBMs the country leads are on every page.
    assert [row.cbm for row in second.context["rows"]] == [cbm]


# --- What makes the pages fast, doing what it did -----------------------------------------------


@pytest.mark.parametrize(
    ("current", "pages", "links"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (3, 9, [1, 2, 3, 4, 5, None, 9]),
        (4, 9, [1, 2, 3, 4, 5, 6, None, 9]),
        (5, 9, [1, None, 3, 4, 5, 6, 7, None, 9]),
        (9, 9, [1, None, 7, 8, 9]),
        (50, 4803, [1, None, 48, 49, 50, 51, 52, None, 4803]),
    ],
)
def test_the_pagination_links_the_ends_and_two_pages_either_side(current, pages, links):
    assert PortalPaginator(range(pages * 2), 2).page(current).links == links


def test_the_quick_select_writes_what_djangos_select_writes():
    class Choose(forms.Form):
        thing = forms.ChoiceField(
            choices=[("", "any"), ("a", "A & B"), ("b", '<b>"bold"</b>'), (3, "three")],
            required=False,
            widget=Select(attrs={"class": "form-select", "data-note": 'say "hi"', "off": False}),
        )

    written = {}
    for chosen in ("b", "3", None):
        form = Choose({"thing": chosen} if chosen else {})
        django_html = str(form["thing"])
        form.fields["thing"].widget.__class__ = QuickSelect
        written[chosen] = str(form["thing"])
        assert written[chosen] == django_html
    assert '<option value="b" selected>&lt;b&gt;&quot;bold&quot;&lt;/b&gt;</option>' in written["b"]
    assert '<option value="3" selected>three</option>' in written["3"]
    assert '<option value="" selected>any</option>' in written[None]


def test_the_timeline_escapes_what_it_writes(history, analyst_client):
    """Its marks are written in Python: a conference city and a CBM code arrive escaped."""
    ConferenceFactory(number=6, date=dt.date(2016, 12, 4), host=history, city="Kabul & <Herat>")
    (cbm,) = led_cbms(1, history)
    cbm.code = "DM&EP"
    cbm.save()
    RtgFactory(cbm=cbm, date=dt.date(2017, 1, 15), status=MeetingStatus.PLANNED)
    page = analyst_client.get(reverse("dashboard"), {"on": "2016-12-20"}).text
    svg = page[page.index('<svg class="timeline"') : page.index("</svg>")]
    assert "MC6 Kabul &amp; &lt;Herat&gt; 2016" in svg and "<Herat>" not in svg
    assert "Timeline of DM&amp;EP" in svg
    assert re.search(r'<circle class="rtg-planned" cx="\d+\.\d" cy="150" r="6"/>', svg)
    assert "RTG planned on 15 Jan 2017" in svg
