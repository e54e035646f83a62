"""What the public and analysts read of a report (issue #15, decision 10; SPEC §5): its accepted
submission only. Not the earlier submissions that were returned, not the secretariat's review
comments (returning or accepting), not how many submissions there were; those are for the
secretariat and the reporting country. Checked on every way in: the list, the detail, the
versions, the filter and ordering on `versions`, the CSV export and the report's page.
"""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cbms.reports.services import report_accept, report_return, report_submit, report_update_draft

URL = "/api/v1/reports/"
FIRST_DRAFT = "FIRST-DRAFT unverified figures"
RETURN_NOTE = "RETURN-NOTE the figures are wrong"
ACCEPT_NOTE = "ACCEPT-NOTE thanks for the fix"
FINAL = "Final narrative"
SECRETS = (FIRST_DRAFT, RETURN_NOTE, ACCEPT_NOTE)
# The public, analysts, and another country's focal point; the reporting country and the
# secretariat read the whole trail.
OUTSIDERS = ("anonymous", "analyst", "fp_deu")
INSIDERS = ("fp_fra", "staff")


def _returned_then_accepted(rw):
    """Submitted, returned with a comment, corrected, submitted again, accepted with one."""
    activity = rw.activities[0]
    report = rw.start(
        narrative=FIRST_DRAFT,
        activities=[{"activity": activity.pk, "status": "in_progress", "percent": 30}],
    )
    report = report_submit(report=report, actor=rw.fp_fra)
    report = report_return(report=report, actor=rw.staff, comment=RETURN_NOTE)
    report = report_update_draft(
        report=report,
        actor=rw.fp_fra,
        narrative=FINAL,
        activities=[{"activity": activity.pk, "status": "completed", "percent": 100}],
    )
    report = report_submit(report=report, actor=rw.fp_fra)
    return report_accept(report=report, actor=rw.staff, comment=ACCEPT_NOTE)


def _api(rw, who):
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(getattr(rw, who))
    return client


def _page(rw, client, who):
    if who != "anonymous":
        client.force_login(getattr(rw, who))
    return client


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")  # the CSV export opens with a BOM, for Excel


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_read_the_accepted_submission_alone(rw, who):
    report = _returned_then_accepted(rw)
    response = _api(rw, who).get(f"{URL}{report.pk}/versions/")
    assert response.status_code == 200
    [version] = response.json()
    assert (version["number"], version["narrative"], version["reviews"]) == (2, FINAL, [])
    assert [(a["status"], a["percent"]) for a in version["activities"]] == [("completed", 100)]
    assert not any(secret in response.content.decode() for secret in SECRETS)


@pytest.mark.parametrize("who", INSIDERS)
def test_the_secretariat_and_the_reporting_country_read_the_whole_trail(rw, who):
    report = _returned_then_accepted(rw)
    versions = _api(rw, who).get(f"{URL}{report.pk}/versions/").json()
    assert [(v["number"], v["narrative"]) for v in versions] == [(1, FIRST_DRAFT), (2, FINAL)]
    assert [[(r["decision"], r["comment"]) for r in v["reviews"]] for v in versions] == [
        [("returned", RETURN_NOTE)],
        [("accepted", ACCEPT_NOTE)],
    ]
    assert _api(rw, who).get(f"{URL}{report.pk}/").json()["versions"] == 2


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_list_and_the_detail_count_only_what_outsiders_read(rw, who):
    report = _returned_then_accepted(rw)
    client = _api(rw, who)
    detail = client.get(f"{URL}{report.pk}/")
    [row] = client.get(URL).json()["results"]
    assert detail.json()["versions"] == row["versions"] == 1
    assert (row["narrative"], row["state"]) == (FINAL, "accepted")
    assert not any(secret in detail.content.decode() for secret in SECRETS)


@pytest.mark.parametrize(("who", "versions_2", "versions_1"), [("analyst", 0, 1), ("staff", 1, 0)])
def test_the_versions_filter_tells_outsiders_nothing_more(rw, who, versions_2, versions_1):
    _returned_then_accepted(rw)
    client = _api(rw, who)
    assert client.get(URL, {"versions": 2}).json()["count"] == versions_2
    assert client.get(URL, {"versions": 1}).json()["count"] == versions_1


def test_the_csv_export_holds_no_earlier_submission_or_comment(rw):
    report = _returned_then_accepted(rw)
    response = _api(rw, "analyst").get(URL, {"format": "csv"})
    assert response.status_code == 200
    text = _text(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["id"] for row in rows} == {str(report.pk)}
    assert not any(secret in text for secret in SECRETS)
    assert "in_progress" not in text  # the returned submission's activity status


def test_a_first_time_acceptance_shows_no_comment(rw):
    report = report_submit(report=rw.start(narrative=FINAL), actor=rw.fp_fra)
    report_accept(report=report, actor=rw.staff, comment=ACCEPT_NOTE)
    [version] = _api(rw, "anonymous").get(f"{URL}{report.pk}/versions/").json()
    assert (version["number"], version["reviews"]) == (1, [])


@pytest.mark.parametrize(("who", "queries", "versions"), [("anonymous", 6, 1), ("staff", 7, 2)])
def test_the_versions_take_a_fixed_number_of_queries(
    rw, django_assert_num_queries, who, queries, versions
):
    report = _returned_then_accepted(rw)
    client = _api(rw, who)
    client.get(f"{URL}{report.pk}/versions/")  # warm the caches (content types, timeline)
    # The request's savepoint and its release, the report with its activity updates and
    # attachments, the submissions, and their reviews: the hidden ones cost no query.
    with django_assert_num_queries(queries):
        assert len(client.get(f"{URL}{report.pk}/versions/").json()) == versions


# --- The report's page --------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_page_shows_outsiders_the_accepted_submission_alone(rw, client, who):
    report = _returned_then_accepted(rw)
    response = _page(rw, client, who).get(reverse("cbms:report_detail", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert FINAL in html
    assert not any(secret in html for secret in SECRETS)
    assert "side by side" not in html
    assert [v.number for v in response.context["versions"]] == [2]


@pytest.mark.parametrize("who", INSIDERS)
def test_the_page_shows_insiders_every_version_its_comments_and_the_diff(rw, client, who):
    report = _returned_then_accepted(rw)
    html = (
        _page(rw, client, who).get(reverse("cbms:report_detail", args=[report.pk])).content.decode()
    )
    assert RETURN_NOTE in html and ACCEPT_NOTE in html
    assert "Version 1 and version 2 side by side" in html
    comparison = html[html.index('<table class="table table-sm comparison">') :]
    assert FIRST_DRAFT in comparison and FINAL in comparison
