"""notices_create: one row per notice and channel, never twice, and it says how many were new."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Notification
from members.services import Notice, notices_create
from tests.members.factories import FocalPointFactory, UserFactory


@pytest.mark.django_db
def test_it_counts_only_what_it_added_whatever_else_is_stored():
    reader, other = FocalPointFactory(), UserFactory()
    notices_create(notices=[Notice(recipient=other, event_key="older", subject="s", body="b")])
    notice = Notice(recipient=reader, event_key="report:1:accepted", subject="s", body="b")

    assert notices_create(notices=[notice]) == 2  # email and in-portal
    assert notices_create(notices=[notice]) == 0  # delivered twice, stored once
    assert Notification.objects.count() == 4


@pytest.mark.django_db
def test_nothing_to_notify_is_zero_and_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notices_create(notices=[]) == 0


@pytest.mark.django_db
def test_its_counts_look_at_these_events_only_not_the_whole_table():
    reader = FocalPointFactory()
    notice = Notice(recipient=reader, event_key="report:2:returned", subject="s", body="b")
    with CaptureQueriesContext(connection) as captured:
        notices_create(notices=[notice])

    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"]]
    assert len(counts) == 2
    assert all('"event_key" IN' in sql for sql in counts)
