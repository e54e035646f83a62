"""Two submissions side by side (issue #17): labels in the page's language, changed cells marked,
versions named by number and date, never by hash."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cbms.reports.comparison import LinePair, chosen_pair, narrative_pairs, submissions_compare
from cbms.reports.services import (
    report_accept,
    report_return,
    report_submit,
    report_update_draft,
)
from tests.cbms.factories import ActivityFactory


def test_narrative_lines_face_each_other():
    pairs = narrative_pairs("Same\nOld line\nGone\nEnd", "Same\nNew line\nEnd\nAdded")

    assert pairs == [
        LinePair("Same", "Same", False),
        LinePair("Old line", "New line", True),
        LinePair("Gone", None, True),
        LinePair("End", "End", False),
        LinePair(None, "Added", True),
    ]
    assert narrative_pairs("", "") == []


def _numbers(pair):
    return pair and (pair[0].number, pair[1].number)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, None, (2, 3)),  # the last two
        ("1", "3", (1, 3)),
        ("3", "1", (1, 3)),  # asked the other way round: still older first
        ("1", None, (1, 3)),
        ("2", "2", (2, 3)),  # one version against itself: the default
        ("9", "x", (2, 3)),  # not a visible number: the default
    ],
)
def test_the_pair_asked_for(before, after, expected):
    submissions = [SimpleNamespace(number=n) for n in (1, 2, 3)]
    assert _numbers(chosen_pair(submissions, before=before, after=after)) == expected


def test_one_version_compares_with_nothing():
    assert chosen_pair([SimpleNamespace(number=1)], before="1", after="1") is None


@pytest.fixture
def three_versions(rw):
    a1, a2 = rw.activities
    report = rw.start(
        narrative="Line one\nLine two",
        activities=[{"activity": a1.pk, "status": "in_progress", "percent": 30, "note": "Begun"}],
    )
    for narrative, activities in [
        (
            "Line one\nLine 2 revised",
            [
                {"activity": a1.pk, "status": "completed", "percent": 100, "note": "Begun"},
                {"activity": a2.pk, "status": "not_started", "percent": 0},
            ],
        ),
        (
            "Line one\nLine 2 revised\nA third line",
            [
                {"activity": a1.pk, "status": "completed", "percent": 100, "note": "Done"},
                {"activity": a2.pk, "status": "not_started", "percent": 0},
            ],
        ),
    ]:
        report = report_submit(report=report, actor=rw.fp_fra)
        report = report_return(report=report, actor=rw.staff, comment="Update it")
        report_update_draft(
            report=report, actor=rw.fp_fra, narrative=narrative, activities=activities
        )
    report = report_submit(report=report, actor=rw.fp_fra)
    return report_accept(report=report, actor=rw.staff)


def test_the_comparison_marks_what_changed_in_words(rw, three_versions):
    first, second = list(three_versions.submissions.order_by("number"))[:2]

    comparison = submissions_compare(first, second)

    one, two = comparison.activities
    assert (one.before.status, one.after.status) == ("in progress", "completed")
    assert one.status_changed and one.percent_changed and not one.note_changed
    assert (two.before.status, two.after.status) == (None, "not started")
    assert two.changed and comparison.changed_activities == 2
    with translation.override("fa"):
        dari = submissions_compare(first, second).activities[0].after.status
    assert dari != "completed" and dari  # the label, in the reader's language


def _detail(client, user, report, **query):
    client.force_login(user)
    return client.get(reverse("cbms:report_detail", args=[report.pk]), query).text


def test_the_page_sets_the_last_two_side_by_side(rw, client, three_versions):
    page = _detail(client, rw.staff, three_versions)

    assert "Version 2 and version 3 side by side" in page
    table = page[page.index('<table class="table table-sm comparison">') :]
    table = table[: table.index("</table>")]
    # Versions by number and date, the columns side by side; no hash anywhere.
    submitted = three_versions.submissions.order_by("number")
    for submission in submitted[1:]:
        day = timezone.localtime(submission.submitted_at)  # as the page shows it: Kabul's day
        assert f"Version {submission.number}, {day:%-d %b %Y}" in table
    assert all(s.content_hash[:12] not in page for s in submitted)
    # Narrative: the added line is a changed row; only the note of activity 1 changed.
    assert table.count('class="table-warning"') == 2 + 2
    assert "A third line" in table and "Done" in table and "Begun" in table
    assert "completed" in table and "completed 100" not in table and "not_started" not in table
    assert "Changed cells are marked; 1 activity changed." in page


def test_a_reader_chooses_the_versions(rw, client, three_versions):
    page = _detail(client, rw.fp_fra, three_versions, before="1", after="3")

    assert "Version 1 and version 3 side by side" in page
    assert '<option value="1" selected>' in page
    assert "in progress" in page and "Line two" in page


def test_the_public_reads_the_accepted_version_without_comparison(rw, client, three_versions):
    page = client.get(reverse("cbms:report_detail", args=[three_versions.pk])).text

    assert "side by side" not in page
    assert "Version 3" in page and "Version 1" not in page
    assert "Update it" not in page  # the secretariat's comments stay with the trail's readers
    assert rw.fp_fra.username not in page


def test_the_page_costs_the_same_queries_for_one_activity_and_many(
    rw, client, django_assert_num_queries
):
    a1 = rw.activities[0]
    report = rw.start(activities=[{"activity": a1.pk, "status": "in_progress", "percent": 10}])
    report = report_return(
        report=report_submit(report=report, actor=rw.fp_fra), actor=rw.staff, comment="More"
    )
    report = report_submit(report=report, actor=rw.fp_fra)
    client.force_login(rw.staff)
    url = reverse("cbms:report_detail", args=[report.pk])
    client.get(url)  # warm: the timeline and the site's caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)

    many = [a1, *(ActivityFactory(priority_area=a1.priority_area, number=n) for n in range(3, 23))]
    report = report_return(report=report, actor=rw.staff, comment="All of them")
    report_update_draft(
        report=report,
        actor=rw.fp_fra,
        activities=[{"activity": a.pk, "status": "completed", "percent": 100} for a in many],
    )
    report_submit(report=report, actor=rw.fp_fra)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)
