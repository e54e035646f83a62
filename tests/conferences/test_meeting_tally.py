"""The meeting tally (conferences.models.MeetingTally) is kept by database triggers: after any
sequence of writes, by any means, it holds exactly how many meetings have each status, and the
count it gives each role is the count of what that role sees."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conferences.models import Meeting, MeetingKind, MeetingStatus, MeetingTally
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import MeetingFactory, RtgFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)

STATUSES = st.sampled_from(MeetingStatus.values)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's; SQLite has none"
)


def tallied() -> dict[str, int]:
    return {row.status: row.meetings for row in MeetingTally.objects.all() if row.meetings}


def counted() -> dict[str, int]:
    rows = Meeting.objects.order_by().values("status").annotate(meetings=Count("id"))
    return {row["status"]: row["meetings"] for row in rows}


@pytest.fixture
def people(db) -> dict:
    france = CountryFactory(code="FRA", name="France")
    cbm = CBMFactory(code="CT", approved_on=dt.date(2012, 6, 14))
    LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 6, 14))
    return {
        "cbm": cbm,
        "secretariat": SecretariatFactory(username="staff"),
        "analyst": UserFactory(username="analyst"),
        "anonymous": AnonymousUser(),
        "focal_point": FocalPointFactory(username="fp-fra", country=france),
    }


def test_the_tally_follows_every_kind_of_write(people):
    som = MeetingFactory(status=MeetingStatus.HELD)
    rtg = RtgFactory(cbm=people["cbm"], status=MeetingStatus.PLANNED, date=dt.date(2031, 1, 1))
    assert tallied() == {"held": 1, "planned": 1}

    Meeting.objects.bulk_create(
        Meeting(kind=MeetingKind.AM, date=dt.date(2016, 1, day), status=MeetingStatus.HELD)
        for day in range(1, 6)
    )
    assert tallied() == {"held": 6, "planned": 1}

    rtg.status = MeetingStatus.CANCELLED
    rtg.save()
    som.city = "Baku"
    som.save()  # its status saved unchanged
    assert tallied() == {"held": 6, "cancelled": 1}

    Meeting.objects.filter(kind=MeetingKind.AM).update(status=MeetingStatus.PLANNED)
    assert tallied() == {"held": 1, "planned": 5, "cancelled": 1}

    with connection.cursor() as cursor:
        cursor.execute("UPDATE conferences_meeting SET status = 'held' WHERE id = %s", [rtg.pk])
    Meeting.objects.filter(status=MeetingStatus.PLANNED).delete()
    som.delete()
    assert tallied() == {"held": 1} == counted()


def test_a_rolled_back_write_leaves_the_tally_as_it_was(people):
    MeetingFactory(status=MeetingStatus.HELD)

    with pytest.raises(RuntimeError), transaction.atomic():
        MeetingFactory(status=MeetingStatus.PLANNED)
        Meeting.objects.update(status=MeetingStatus.CANCELLED)
        assert tallied() == {"cancelled": 2}  # seen inside the transaction...
        raise RuntimeError

    assert tallied() == {"held": 1}  # ...and gone with it


@on_postgresql
def test_truncating_the_meetings_empties_the_tally(people):
    MeetingFactory(status=MeetingStatus.HELD)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute("TRUNCATE conferences_meeting, conferences_historicalmeeting CASCADE")

    assert tallied() == {}
    MeetingFactory(status=MeetingStatus.PLANNED)
    assert tallied() == {"planned": 1}


def test_a_focal_point_is_counted_by_the_meetings_not_the_tally(people):
    assert Meeting.objects.count_visible_to(people["focal_point"]) is None


def test_the_meeting_state_machine(people):
    """Any sequence of writes, through the ORM, in bulk or in raw SQL, some rolled back."""
    cbm = people["cbm"]
    roles = ("secretariat", "analyst", "anonymous")

    class TallyMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _some(self, index: int) -> Meeting | None:
            ids = list(Meeting.objects.order_by("id").values_list("id", flat=True))
            return Meeting.objects.get(pk=ids[index % len(ids)]) if ids else None

        @rule(status=STATUSES, rtg=st.booleans())
        def create(self, status, rtg):
            if rtg:
                RtgFactory(cbm=cbm, status=status, date=dt.date(2016, 1, 1))
            else:
                MeetingFactory(status=status)

        @rule(statuses=st.lists(STATUSES, max_size=30))
        def create_in_bulk(self, statuses):
            Meeting.objects.bulk_create(
                Meeting(kind=MeetingKind.SOM, date=dt.date(2016, 1, 1), status=status)
                for status in statuses
            )

        @rule(index=st.integers(0, 1000), status=STATUSES, city=st.sampled_from(["", "Baku"]))
        def save_one(self, index, status, city):
            if meeting := self._some(index):
                meeting.status, meeting.city = status, city
                meeting.save()

        @rule(source=STATUSES, new=STATUSES)
        def update_in_bulk(self, source, new):
            Meeting.objects.filter(status=source).update(status=new)

        @rule(index=st.integers(0, 1000), status=STATUSES)
        def update_in_sql(self, index, status):
            if meeting := self._some(index):
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE conferences_meeting SET status = %s WHERE id = %s",
                        [status, meeting.pk],
                    )

        @rule(index=st.integers(0, 1000))
        def delete_one(self, index):
            if meeting := self._some(index):
                meeting.delete()

        @rule(status=STATUSES)
        def delete_in_bulk(self, status):
            Meeting.objects.filter(status=status).delete()

        @rule(status=STATUSES, new=STATUSES)
        def roll_back(self, status, new):
            with pytest.raises(RuntimeError), transaction.atomic():
                MeetingFactory(status=status)
                Meeting.objects.update(status=new)
                raise RuntimeError

        @invariant()
        def tally_is_the_count(self):
            assert tallied() == counted()

        @invariant()
        def each_role_is_told_what_it_sees(self):
            for role in roles:
                user = people[role]
                assert (
                    Meeting.objects.count_visible_to(user)
                    == Meeting.objects.visible_to(user).count()
                )

    run_state_machine_as_test(
        TallyMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
