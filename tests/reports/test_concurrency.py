"""RELIABILITY goal 10 on PostgreSQL: two requests race for one report; the row lock lets one win,
the other gets the state error (409), and exactly one version or review is written."""

import threading
import time

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from cbms.models import ReportReview, ReportSubmission
from cbms.reports.services import report_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(requests) -> list:
    """Run the requests in threads released together; their status codes, sorted. A thread that
    raised gives its exception instead; one still running after 30 s fails the test (a
    deadlock PostgreSQL did not break)."""
    barrier = threading.Barrier(len(requests))
    results: list = []

    def run(request):
        try:
            barrier.wait()
            results.append(request().status_code)
        except Exception as exc:  # reported in the assertion, not lost in the thread
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return sorted(results, key=str)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_two_reviewers_at_once(rw):
    report = report_submit(report=rw.start(), actor=rw.fp_fra)
    url = f"/api/v1/reports/{report.pk}/"
    one, two = _client(rw.staff), _client(rw.staff2)
    statuses = _race(
        [
            lambda: one.post(f"{url}accept/", {}, format="json"),
            lambda: two.post(f"{url}return/", {"comment": "No."}, format="json"),
        ]
    )
    assert statuses == [200, 409]
    assert ReportReview.objects.count() == 1


RUNS = 100


def test_two_submits_at_once(rw):
    """Goal 10a, 100 times: for each of 100 fresh drafts, two requests submit at the same
    moment. Every time one is 200 and the other 409 (never a 500, which a deadlock or a
    duplicate version number would be), exactly one version row is written, and both threads
    finish. One database setup for all runs: each run has its own CBM, led by France."""
    from cbms.reports.services import report_start
    from tests.cbms.factories import CBMFactory, LeadRoleFactory

    first, second = _client(rw.fp_fra), _client(rw.fp_fra)
    started = time.monotonic()
    for run in range(RUNS):
        cbm = CBMFactory(code=f"R{run}", approved_on=rw.cbm.approved_on)
        LeadRoleFactory(cbm=cbm, country=rw.france, since=rw.cbm.approved_on)
        report = report_start(cbm=cbm, conference=rw.mc2, actor=rw.fp_fra)
        url = f"/api/v1/reports/{report.pk}/submit/"
        statuses = _race(
            [
                lambda url=url: first.post(url, {}, format="json"),
                lambda url=url: second.post(url, {}, format="json"),
            ]
        )
        assert statuses == [200, 409], (run, statuses)
        assert ReportSubmission.objects.filter(report=report).count() == 1, run
        report.refresh_from_db()
        assert (report.state, report.version) == ("submitted", 2), run
    elapsed = time.monotonic() - started
    print(f"\n{RUNS} submit races in {elapsed:.1f} s ({1000 * elapsed / RUNS:.0f} ms each)")
