"""Reports in reach (issue #17): the links that lead to them, the secretariat's overview, a start
form that offers only what may be started, confirmations that say what happened, and the edit
page's return comment and confirmation step before submitting."""

import datetime as dt

import pytest
from django.urls import reverse

from cbms.models import ProgressReport, ReportState
from cbms.reports.services import (
    report_accept,
    report_return,
    report_submit,
    report_update_draft,
)
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory

REPORTS_NAV = ">Reports</a>"


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _start_options(html: str) -> str:
    """The start form's part of the list page."""
    start = html.index('id="start-heading"')
    return html[start : html.index("</section>", start)]


# --- 1. Links --------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "shown"), [("fp_fra", True), ("staff", True), ("analyst", False)])
def test_the_navigation_leads_focal_points_and_the_secretariat_to_the_reports(
    rw, client, who, shown
):
    html = _page(client, getattr(rw, who), reverse("cbms:cbm_list"))
    link = f'href="{reverse("cbms:report_list")}">Reports</a>'
    assert (link in html) is shown


def test_the_navigation_marks_the_reports_page_as_current(rw, client):
    html = _page(client, rw.fp_fra, reverse("cbms:report_list"))
    nav_item = html[: html.index(REPORTS_NAV)].rsplit("<li", 1)[1]
    assert 'aria-current="page"' in nav_item


def test_my_country_links_each_led_cbm_to_its_reports(rw, client):
    html = _page(client, rw.fp_fra, reverse("my_country"))
    assert f"{reverse('cbms:report_list')}?cbm={rw.cbm.pk}" in html


def test_a_cbm_page_links_to_its_reports(rw, client):
    html = client.get(reverse("cbms:cbm_detail", args=[rw.cbm.pk])).content.decode()
    assert f"{reverse('cbms:report_list')}?cbm={rw.cbm.pk}" in html


def test_the_list_narrowed_to_a_cbm_leaves_the_others_out(rw, client):
    other = CBMFactory(code="DM", name="Disaster Management", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=other, country=rw.france, since=dt.date(2012, 6, 14))
    mine = rw.start()
    html = _page(client, rw.fp_fra, f"{reverse('cbms:report_list')}?cbm={other.pk}")
    assert reverse("cbms:report_detail", args=[mine.pk]) not in html
    assert f'<option value="{rw.cbm.pk}">' not in _start_options(html)
    assert f'<option value="{other.pk}">DM</option>' in _start_options(html)


# --- 2. The secretariat's overview -----------------------------------------------------------


def _overview(client, rw) -> str:
    return _page(client, rw.staff, reverse("cbms:report_overview"))


def _cell(html: str, country_code: str, nth: int = 0) -> str:
    """The nth entry of a country in the overview (cycles newest first)."""
    parts = html.split(f"{country_code}: ")
    return parts[nth + 1].split("</div>", 1)[0]


def test_the_overview_shows_each_cycle_without_a_report_as_the_countrys_to_act(rw, client):
    html = _overview(client, rw)
    assert "Cycle 2" in html and "Cycle 1" in html
    assert _cell(html, "FRA", 0).startswith("none")
    assert "to act: France" in _cell(html, "FRA", 0)


@pytest.mark.parametrize(
    ("steps", "state", "actor"),
    [
        ([], "draft", "to act: France"),
        (["submit"], "submitted", "to act: the secretariat"),
        (["submit", "return"], "returned", "to act: France"),
        (["submit", "accept"], "accepted", "nothing to do"),
    ],
)
def test_the_overview_shows_the_reports_state_and_who_acts(rw, client, steps, state, actor):
    report = rw.start(narrative="Text")
    for step in steps:
        report.refresh_from_db()
        if step == "submit":
            report_submit(report=report, actor=rw.fp_fra)
        elif step == "return":
            report_return(report=report, actor=rw.staff, comment="Add dates.")
        else:
            report_accept(report=report, actor=rw.staff)
    cell = _cell(_overview(client, rw), "FRA", 0)  # MC2's cycle, the newest
    assert f'{reverse("cbms:report_detail", args=[report.pk])}">{state}</a>' in cell
    assert actor in cell


def test_the_overview_shows_no_lead_where_no_country_led(rw, client):
    CBMFactory(code="ZZ", name="Unled", approved_on=dt.date(2012, 6, 14))
    html = _overview(client, rw)
    row = html[html.index(">ZZ</a>") :].split("</tr>", 1)[0]
    assert row.count("no lead") == 2
    assert "FRA: " not in row


def test_a_country_that_led_before_the_cycle_is_not_listed_in_it(rw, client):
    early = CBMFactory(code="EA", name="Early", approved_on=dt.date(2011, 1, 1))
    LeadRoleFactory(
        cbm=early, country=rw.germany, since=dt.date(2011, 1, 1), until=dt.date(2011, 6, 1)
    )
    html = _overview(client, rw)
    row = html[html.index(">EA</a>") :].split("</tr>", 1)[0]
    assert "DEU" not in row


@pytest.mark.parametrize("who", ["fp_fra", "analyst"])
def test_only_the_secretariat_reads_the_overview(rw, client, who):
    client.force_login(getattr(rw, who))
    assert client.get(reverse("cbms:report_overview")).status_code == 403


# --- 3. Starting a report --------------------------------------------------------------------


def test_the_start_form_offers_the_cycles_the_country_led_the_cbm_in(rw, client):
    html = _start_options(_page(client, rw.fp_fra, reverse("cbms:report_list")))
    assert f'<option value="{rw.mc1.pk}">' in html
    assert f'<option value="{rw.mc2.pk}">' in html


def test_a_cycle_already_reported_on_is_no_longer_offered(rw, client):
    rw.start()
    html = _start_options(_page(client, rw.fp_fra, reverse("cbms:report_list")))
    assert f'<option value="{rw.mc2.pk}">' not in html
    assert f'<option value="{rw.mc1.pk}">' in html


def test_a_cycle_after_the_country_stopped_leading_is_not_offered(rw, client):
    ended = CBMFactory(code="EN", name="Ended", approved_on=dt.date(2011, 1, 1))
    LeadRoleFactory(
        cbm=ended, country=rw.france, since=dt.date(2011, 1, 1), until=dt.date(2012, 1, 1)
    )
    url = f"{reverse('cbms:report_list')}?cbm={ended.pk}"
    html = _start_options(_page(client, rw.fp_fra, url))
    assert f'<option value="{rw.mc1.pk}">' in html
    assert f'<option value="{rw.mc2.pk}">' not in html


def test_a_planned_conference_is_not_offered(rw, client):
    planned = ConferenceFactory(number=3, date=None, year=2030, status="planned")
    html = _start_options(_page(client, rw.fp_fra, reverse("cbms:report_list")))
    assert f'<option value="{planned.pk}">' not in html


def test_a_country_leading_nothing_is_told_there_is_nothing_to_start(rw, client):
    html = _start_options(_page(client, rw.fp_deu, reverse("cbms:report_list")))
    assert "There is no report to start" in html
    assert "<select" not in html


def test_a_pair_not_offered_is_explained_not_forbidden(rw, client):
    client.force_login(rw.fp_deu)
    response = client.post(
        reverse("cbms:report_start"), {"cbm": rw.cbm.pk, "conference": rw.mc2.pk}, follow=True
    )
    assert response.status_code == 200
    assert "Your country did not lead CT in the cycle of MC 2" in response.content.decode()
    assert not ProgressReport.objects.exists()


# --- 3b. Confirmations that say what happened -----------------------------------------------


def test_starting_says_which_report_was_started(rw, client):
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_start"), {"cbm": rw.cbm.pk, "conference": rw.mc2.pk}, follow=True
    )
    assert "Report on CT, cycle 2, started as a draft." in response.content.decode()


def test_saving_says_which_report_was_saved(rw, client):
    report = rw.start()
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_edit", args=[report.pk]),
        {"narrative": "New", "version": report.version},
        follow=True,
    )
    assert "Report on CT, cycle 2, saved." in response.content.decode()


def test_submitting_says_it_went_to_the_secretariat(rw, client):
    report = rw.start(narrative="Text")
    client.force_login(rw.fp_fra)
    response = client.post(
        reverse("cbms:report_submit", args=[report.pk]),
        {"version": report.version},
        follow=True,
    )
    html = response.content.decode()
    assert "Report on CT, cycle 2, submitted to the secretariat." in html
    assert "Done." not in html


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("accept", "Report of France on CT, cycle 2, accepted."),
        ("return", "Report of France on CT, cycle 2, returned to France with your comment."),
    ],
)
def test_a_review_says_what_was_decided(rw, client, action, said):
    report = rw.start(narrative="Text")
    report_submit(report=report, actor=rw.fp_fra)
    report.refresh_from_db()
    client.force_login(rw.staff)
    response = client.post(
        reverse(f"cbms:report_{action}", args=[report.pk]),
        {"version": report.version, "comment": "Add dates."},
        follow=True,
    )
    assert said in response.content.decode()


# --- 4. The edit page: the return comment, and a confirmation before submitting ---------------


def test_the_edit_page_shows_the_latest_return_comment(rw, client):
    report = rw.start(narrative="Text")
    for comment in ("First remark.", "Add the dates of the trainings."):
        report.refresh_from_db()
        report_submit(report=report, actor=rw.fp_fra)
        report.refresh_from_db()
        report_return(report=report, actor=rw.staff, comment=comment)
    html = _page(client, rw.fp_fra, reverse("cbms:report_edit", args=[report.pk]))
    assert "The secretariat returned version 2" in html
    assert "Add the dates of the trainings." in html
    assert "First remark." not in html


def test_a_draft_never_returned_shows_no_return_comment(rw, client):
    report = rw.start()
    html = _page(client, rw.fp_fra, reverse("cbms:report_edit", args=[report.pk]))
    assert "The secretariat returned" not in html


def test_submitting_asks_first_and_the_question_changes_nothing(rw, client):
    report = rw.start(narrative="Text")
    detail = _page(client, rw.fp_fra, reverse("cbms:report_detail", args=[report.pk]))
    # The detail page's button only opens the question (a GET form, no JavaScript needed).
    assert f'<form method="get" action="{reverse("cbms:report_submit", args=[report.pk])}"' in (
        detail
    )
    html = _page(client, rw.fp_fra, reverse("cbms:report_submit", args=[report.pk]))
    assert "Submit the report on CT, cycle 2?" in html
    assert f'name="version" value="{report.version}"' in html
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    client.post(reverse("cbms:report_submit", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_the_edit_page_leads_to_the_question(rw, client):
    report = rw.start()
    html = _page(client, rw.fp_fra, reverse("cbms:report_edit", args=[report.pk]))
    assert f'href="{reverse("cbms:report_submit", args=[report.pk])}"' in html


@pytest.mark.parametrize(("who", "expected"), [("fp_deu", 404), ("staff", 403)])
def test_only_the_reporting_country_is_asked(rw, client, who, expected):
    report = rw.start()
    client.force_login(getattr(rw, who))
    assert client.get(reverse("cbms:report_submit", args=[report.pk])).status_code == expected


def test_a_submitted_report_is_not_asked_about_again(rw, client):
    report = rw.start(narrative="Text")
    report_submit(report=report, actor=rw.fp_fra)
    client.force_login(rw.fp_fra)
    response = client.get(reverse("cbms:report_submit", args=[report.pk]))
    assert response.url == reverse("cbms:report_detail", args=[report.pk])


def test_confirming_after_someone_elses_change_submits_nothing(rw, client):
    report = rw.start(narrative="Text")
    read = report.version
    html = _page(
        client, rw.fp_fra, f"{reverse('cbms:report_submit', args=[report.pk])}?version={read}"
    )
    assert f'name="version" value="{read}"' in html
    report.refresh_from_db()
    report_update_draft(report=report, actor=rw.fp_fra, narrative="Changed elsewhere")
    client.post(reverse("cbms:report_submit", args=[report.pk]), {"version": read})
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
