"""RELIABILITY goal 10 on PostgreSQL: two requests race for one report; the row lock lets one win,
the other gets the state error (409), and exactly one version or review is written."""

import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from cbms.models import ReportReview, ReportSubmission
from cbms.reports import report_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(requests) -> list[int]:
    barrier = threading.Barrier(len(requests))
    results: list[int] = []

    def run(request):
        try:
            barrier.wait()
            results.append(request().status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


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


@pytest.mark.parametrize("run", range(5))
def test_two_submits_at_once(rw, run):
    report = rw.start()
    url = f"/api/v1/reports/{report.pk}/submit/"
    first, second = _client(rw.fp_fra), _client(rw.fp_fra)
    statuses = _race(
        [lambda: first.post(url, {}, format="json"), lambda: second.post(url, {}, format="json")]
    )
    assert statuses == [200, 409]
    assert ReportSubmission.objects.filter(report=report).count() == 1
