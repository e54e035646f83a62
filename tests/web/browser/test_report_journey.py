"""A progress report in a real browser: drafted, submitted, returned, resubmitted, accepted and
then read by the public, each step found by role and label as a person would."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from cbms.models import ProgressReport, ReportState
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory
from tests.reports.conftest import minimal_pdf


@pytest.fixture
def report_world(live_server, transactional_db, settings, tmp_path):
    """The reports world of tests/reports (CT led by France, a plan in force with two
    activities), committed so the live server's thread sees it; uploads go to a tmp dir."""
    settings.MEDIA_ROOT = tmp_path / "media"
    france = CountryFactory(code="FRA", name="France")
    germany = CountryFactory(code="DEU", name="Germany")
    staff = SecretariatFactory(username="desk")
    cbm = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    cbm.desk_officer = staff
    cbm.save()
    LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 6, 14))
    ConferenceFactory(number=1, date=dt.date(2011, 11, 2), year=2011, host=france)
    mc2 = ConferenceFactory(number=2, date=dt.date(2013, 4, 26), year=2013, host=france)
    area = PriorityAreaFactory(plan=PlanVersionFactory(cbm=cbm, version=1), number=1)
    activities = [
        ActivityFactory(priority_area=area, number=n, title=title)
        for n, title in ((1, "Joint training"), (2, "Shared database"))
    ]
    return {
        "cbm": cbm,
        "mc2": mc2,
        "activities": activities,
        "fp-fra": FocalPointFactory(username="fp-fra", country=france),
        "fp-deu": FocalPointFactory(username="fp-deu", country=germany),
        "desk": staff,
    }


@pytest.fixture
def page_for(browser, live_server, report_world):
    """A fresh browser page signed in as one of the users of the world (or anonymous)."""
    contexts = []

    def make(username: str = "anonymous"):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-GB"
        )
        context.set_default_timeout(10_000)
        user = report_world.get(username)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_a_report_is_drafted_returned_resubmitted_accepted_and_published(
    page_for, report_world, tmp_path
):
    activity = report_world["activities"][0]
    pdf = tmp_path / "progress.pdf"
    pdf.write_bytes(minimal_pdf())
    wrong = tmp_path / "other.pdf"
    wrong.write_bytes(minimal_pdf())

    # 1. The French focal point starts the report, fills it, attaches a PDF and submits.
    page = page_for("fp-fra")
    page.goto("/reports/")
    expect(page.get_by_role("heading", name="Progress reports")).to_be_visible()
    page.get_by_label("CBM").select_option(label="CT")
    page.get_by_label("Cycle opened by").select_option(label=str(report_world["mc2"]))
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit report: CT, France, MC 2")
    page.get_by_label("Narrative").fill("Two trainings were held in Kabul.")
    page.get_by_label(f"Status {activity}").select_option("in_progress")
    page.get_by_label(f"Percent {activity}").fill("40")
    page.get_by_label("Attach a file").set_input_files(pdf)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CT: report of France")
    expect(page.get_by_text("State: draft")).to_be_visible()
    expect(page.get_by_text("Two trainings were held in Kabul.")).to_be_visible()
    expect(page.get_by_role("cell", name="in progress")).to_be_visible()
    expect(page.get_by_role("cell", name="40%")).to_be_visible()
    expect(page.get_by_role("link", name="progress.pdf")).to_be_visible()
    report = ProgressReport.objects.get()
    assert report.state == ReportState.DRAFT
    assert report.attachments.count() == 1
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("button", name="Submit to the secretariat").click()  # confirmed
    expect(page.get_by_text("State: submitted")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    assert ProgressReport.objects.get().state == ReportState.SUBMITTED

    # 2. The secretariat opens it from the review queue and returns it with a comment.
    desk = page_for("desk")
    desk.goto("/reports/")
    queue = desk.get_by_role("region", name="Waiting for review")
    queue.get_by_role("link", name="CT", exact=True).click()
    expect(desk.get_by_text("State: submitted")).to_be_visible()
    desk.get_by_label("Why is it returned?").fill("Please add the dates of the trainings.")
    desk.get_by_role("button", name="Return", exact=True).click()
    expect(desk.get_by_text("State: returned")).to_be_visible()
    assert ProgressReport.objects.get().state == ReportState.RETURNED

    # 3. The focal point sees the comment, edits the narrative and resubmits.
    page.goto("/reports/")
    page.get_by_role("region", name="My reports").get_by_role("link", name="CT", exact=True).click()
    expect(page.get_by_text("State: returned")).to_be_visible()
    expect(page.get_by_text("Please add the dates of the trainings.")).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    # A file attached by mistake comes off again; the one the secretariat read stays.
    page.get_by_label("Attach a file").set_input_files(wrong)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_text("progress.pdf")).to_be_visible()
    expect(page.get_by_role("button", name="Remove progress.pdf")).to_have_count(0)
    page.get_by_role("button", name="Remove other.pdf").click()
    expect(page.get_by_text("other.pdf removed from the report on CT, cycle 2.")).to_be_visible()
    assert list(report.attachments.values_list("original_name", flat=True)) == ["progress.pdf"]
    page.get_by_label("Narrative").fill("Two trainings were held in Kabul, in May and June 2013.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("in May and June 2013.").first).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("button", name="Submit to the secretariat").click()  # confirmed
    expect(page.get_by_text("State: submitted")).to_be_visible()
    compared = page.get_by_role("table", name="Version 1 and version 2 side by side")
    expect(compared.locator("td.table-warning")).to_have_count(2)  # the narrative's one line
    expect(compared.locator("td.table-warning").nth(1)).to_contain_text("in May and June 2013.")
    assert ProgressReport.objects.get().state == ReportState.SUBMITTED

    # 4. The secretariat accepts it.
    desk.goto("/reports/")
    desk.get_by_role("region", name="Waiting for review").get_by_role(
        "link", name="CT", exact=True
    ).click()
    desk.get_by_role("button", name="Accept", exact=True).click()
    expect(desk.get_by_text("State: accepted")).to_be_visible()
    report = ProgressReport.objects.get()
    assert report.state == ReportState.ACCEPTED
    assert report.submissions.count() == 2

    # 5. Anyone reads the accepted report on the public reports page.
    public = page_for("anonymous")
    public.goto("/reports/")
    expect(public.get_by_role("region", name="Start a report")).to_have_count(0)
    accepted = public.get_by_role("region", name="Accepted reports")
    expect(accepted.get_by_role("row", name=re.compile(r"CT MC 2 France accepted"))).to_be_visible()
    accepted.get_by_role("link", name="CT", exact=True).click()
    expect(public.get_by_text("State: accepted")).to_be_visible()
    narrative = "Two trainings were held in Kabul, in May and June 2013."
    expect(public.get_by_text(narrative, exact=True)).to_be_visible()
    expect(public.get_by_role("button", name="Accept")).to_have_count(0)
