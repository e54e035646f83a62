"""The "cycle opened" notice, the secretariat's missed digest, and the links of the at-risk and
missed notices."""

import datetime as dt

import pytest
from django.utils import timezone

from cbms.compliance.reminders import missed_digest_send
from cbms.compliance.services import compliance_daily, obligations_recompute
from cbms.models import ComplianceOutbox
from members.models import Notification
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.compliance.conftest import CONFERENCE_DAY, DEADLINE, PRIORITISATION_DEADLINE
from tests.conferences.factories import ConferenceFactory, RtgRuleFactory
from tests.members.factories import CountryFactory, FocalPointFactory, SecretariatFactory

pytestmark = pytest.mark.django_db

DAY_AFTER = DEADLINE + dt.timedelta(days=1)


# --- Cycle opened --------------------------------------------------------------------------------


def test_the_cycle_opened_notice_tells_the_leads_and_the_desk_what_is_due_when(reminder_world):
    world = reminder_world()
    obligations_recompute(on=CONFERENCE_DAY)

    key = f"cycle-opened:{world.cbm.pk}:8"
    assert world.notices("cycle-opened:") == {
        (user.username, channel, key)
        for user in (world.focal_point, world.desk_officer)
        for channel in ("email", "portal")
    }
    notice = Notification.objects.filter(event_key=key).first()
    assert notice.subject == (
        "CT: the prioritisation RTG is due between 9 Dec 2019 and 9 Feb 2020; "
        "the review RTG by 9 Aug 2020 (estimated)"
    )
    assert notice.link == f"/meetings/new/?cbm={world.cbm.pk}&kind=rtg&status=planned"


def test_the_cycle_opened_notice_is_sent_once_per_cbm_cycle_and_person(reminder_world):
    world = reminder_world()
    obligations_recompute(on=CONFERENCE_DAY)
    obligations_recompute(on=CONFERENCE_DAY + dt.timedelta(days=1))
    assert Notification.objects.filter(event_key__startswith="cycle-opened:").count() == 4
    # A focal point who joins while the window is still open hears of it too, once.
    newcomer = FocalPointFactory(country=world.lead_country)
    obligations_recompute(on=CONFERENCE_DAY + dt.timedelta(days=2))
    obligations_recompute(on=CONFERENCE_DAY + dt.timedelta(days=3))
    assert (
        Notification.objects.filter(
            recipient=newcomer, event_key__startswith="cycle-opened:"
        ).count()
        == 2
    )


def test_no_cycle_opened_notice_once_the_prioritisation_window_closed(reminder_world):
    world = reminder_world()
    world.prioritisation_rtg.delete()  # nothing held: the window alone decides
    obligations_recompute(on=PRIORITISATION_DEADLINE + dt.timedelta(days=1))
    assert not world.notices("cycle-opened:")
    obligations_recompute(on=PRIORITISATION_DEADLINE)  # its last day: still open
    assert world.notices("cycle-opened:")


def test_no_cycle_opened_notice_once_the_prioritisation_rtg_was_held(reminder_world):
    world = reminder_world()
    obligations_recompute(on=world.prioritisation_rtg.date)
    assert not world.notices("cycle-opened:")


def test_recording_a_conference_as_held_today_sends_the_notice(
    db, django_capture_on_commit_callbacks
):
    """Through the edit itself: the save queues a re-evaluation (run here in-process)."""
    today = timezone.localdate()
    country = CountryFactory()
    focal_point = FocalPointFactory(country=country)
    cbm = CBMFactory(code="CN", approved_on=dt.date(2012, 6, 14), desk_officer=SecretariatFactory())
    LeadRoleFactory(cbm=cbm, country=country, since=dt.date(2012, 6, 14))
    earlier = ConferenceFactory(number=1, date=today - dt.timedelta(days=400), host=country)
    RtgRuleFactory(declaration__conference=earlier, effective_from=earlier.date)
    ComplianceOutbox.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ConferenceFactory(number=2, date=today, host=country)

    notices = Notification.objects.filter(event_key=f"cycle-opened:{cbm.pk}:2", channel="portal")
    assert {n.recipient for n in notices} == {focal_point, cbm.desk_officer}
    assert notices.first().subject.startswith("CN: the prioritisation RTG is due between ")


# --- At risk and missed: links ------------------------------------------------------------------


def test_at_risk_and_missed_notices_link_to_the_cbm_on_the_dashboard(reminder_world):
    world = reminder_world()
    obligations_recompute(on=DEADLINE - dt.timedelta(days=40))
    obligations_recompute(on=DEADLINE - dt.timedelta(days=20))  # at risk
    obligations_recompute(on=DAY_AFTER)  # missed
    notices = Notification.objects.filter(event_key__startswith="obligation:")
    assert {n.event_key.rsplit(":", 1)[1] for n in notices} == {"at_risk", "missed"}
    assert {n.link for n in notices} == {f"/dashboard/?cbm={world.cbm.pk}"}


# --- The missed digest ---------------------------------------------------------------------------


@pytest.fixture
def digest_readers(db):
    reader = SecretariatFactory(missed_digest=True)
    SecretariatFactory(missed_digest=False)
    FocalPointFactory(missed_digest=True)  # not the secretariat: never a digest
    return reader


def test_the_missed_digest_lists_what_turned_missed_that_day_to_those_who_opted_in(
    reminder_world, digest_readers
):
    world = reminder_world()
    obligations_recompute(on=DEADLINE - dt.timedelta(days=10))
    report = compliance_daily(on=DAY_AFTER)
    assert report.digests == 2  # one person, two channels

    digest = Notification.objects.filter(event_key__startswith="missed-digest:")
    assert {(n.recipient, n.event_key) for n in digest} == {
        (digest_readers, "missed-digest:2020-08-10")
    }
    notice = digest.get(channel="portal")
    assert notice.subject == "1 RTG obligation missed on 10 Aug 2020"
    assert "CT – review RTG of the cycle opened by MC 8: deadline 9 Aug 2020" in notice.body
    assert notice.link == "/dashboard/"
    assert world.review().status == "missed"

    assert compliance_daily(on=DAY_AFTER).digests == 0  # a rerun: nothing again


def test_no_digest_on_a_day_with_nothing_missed(reminder_world, digest_readers):
    reminder_world()
    obligations_recompute(on=DEADLINE - dt.timedelta(days=10))
    assert compliance_daily(on=DEADLINE).digests == 0
    assert not Notification.objects.filter(event_key__startswith="missed-digest:").exists()


def test_a_day_whose_digest_was_not_sent_is_caught_up_by_the_next(reminder_world, digest_readers):
    """The daily run did not happen on the day after the deadline: the next one lists the miss,
    once; a digest already stored for that day is not repeated."""
    reminder_world()
    obligations_recompute(on=DEADLINE - dt.timedelta(days=10))
    later = DAY_AFTER + dt.timedelta(days=1)
    assert compliance_daily(on=later).digests == 2
    notice = Notification.objects.get(event_key=f"missed-digest:{later}", channel="portal")
    assert "CT – review RTG of the cycle opened by MC 8: deadline 9 Aug 2020" in notice.body
    assert compliance_daily(on=later + dt.timedelta(days=1)).digests == 0
    # Not beyond a week: a digest forgotten longer than that is not sent at all.
    assert missed_digest_send(on=DAY_AFTER + dt.timedelta(days=8)) == 0


def test_a_digest_already_sent_for_its_day_is_not_repeated(reminder_world, digest_readers):
    reminder_world()
    obligations_recompute(on=DEADLINE - dt.timedelta(days=10))
    assert compliance_daily(on=DAY_AFTER).digests == 2
    for later in range(1, 8):
        assert missed_digest_send(on=DAY_AFTER + dt.timedelta(days=later)) == 0
