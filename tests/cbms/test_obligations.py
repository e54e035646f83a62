"""Storing and enforcing obligations: the rule applied to the records, re-evaluated after each
edit commits, and notices sent once per obligation and kind."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from cbms.compliance.services import compliance_sweep, obligations_recompute
from cbms.models import CBM, CBMRole, ComplianceOutbox, Obligation
from cbms.records.loading import load_hoa_data
from conferences.models import MinisterialConference
from members.models import Notification
from members.services import notifications_email
from tests.cbms.factories import CBMFactory, LeadRoleFactory
from tests.conferences.factories import ConferenceFactory, RtgFactory, RtgRuleFactory
from tests.members.factories import FocalPointFactory, SecretariatFactory

KABUL_CBMS = ["CT", "CN", "DM&EP", "CE", "RI", "TCIO"]
EVALUATED = dt.date(2026, 11, 22)


@pytest.fixture
def real_data(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load_hoa_data()
    obligations_recompute(on=EVALUATED)


def statuses(code: str) -> dict[tuple[int, str], str]:
    return {
        (o.conference.number, o.kind): o.status
        for o in Obligation.objects.filter(cbm__code=code).select_related("conference")
    }


@pytest.mark.parametrize("code", KABUL_CBMS)
def test_with_no_rtg_recorded_every_in_force_obligation_of_a_kabul_cbm_is_missed(real_data, code):
    found = statuses(code)
    assert set(found) == {(n, k) for n in range(2, 9) for k in ("prioritisation", "review")}
    assert {found[(n, k)] for n in (2, 3) for k in ("prioritisation", "review")} == {"not_in_force"}
    assert {found[(n, k)] for n in range(4, 9) for k in ("prioritisation", "review")} == {"missed"}


def test_agriculture_is_bound_from_baku(real_data):
    assert sorted({number for number, _ in statuses("AD")}) == [7, 8]


def test_women_empowerment_has_no_lead(real_data):
    assert statuses("WE") == {(8, "prioritisation"): "no_lead", (8, "review"): "no_lead"}


def test_the_istanbul_2019_cycle_is_estimated(real_data):
    review = Obligation.objects.get(cbm__code="CT", conference__number=8, kind="review")
    assert review.estimated
    assert review.deadline == dt.date(2020, 8, 9)
    assert not Obligation.objects.filter(conference__number__lt=8, estimated=True).exists()


def test_the_sweep_is_idempotent(real_data):
    before = list(Obligation.objects.order_by("pk").values())
    compliance_sweep(on=EVALUATED)
    assert list(Obligation.objects.order_by("pk").values()) == before


def test_recording_a_held_conference_opens_the_next_cycle_for_every_bound_cbm(
    real_data, django_capture_on_commit_callbacks
):
    ninth = MinisterialConference.objects.get(number=9)
    ninth.status, ninth.date, ninth.year, ninth.city = "held", dt.date(2021, 3, 1), 2021, "Dushanbe"
    with django_capture_on_commit_callbacks(execute=True):
        ninth.save()

    opened = Obligation.objects.filter(conference=ninth)
    assert opened.count() == 2 * CBM.objects.count()
    review = Obligation.objects.get(cbm__code="CT", conference__number=8, kind="review")
    assert not review.estimated
    assert review.deadline == dt.date(2020, 11, 1)


@pytest.fixture
def led_cbm(db):
    """A CBM led by one country since Kabul, with the conferences from Kabul to Amritsar."""
    cbm = CBMFactory(code="CT", approved_on=dt.date(2012, 6, 14))
    lead = LeadRoleFactory(cbm=cbm, since=dt.date(2012, 6, 14))
    beijing = ConferenceFactory(number=4, date=dt.date(2014, 10, 31))
    RtgRuleFactory(declaration__conference=beijing)
    ConferenceFactory(number=5, date=dt.date(2015, 12, 9))
    ConferenceFactory(number=6, date=dt.date(2016, 12, 4))
    cbm.desk_officer = SecretariatFactory()
    cbm.save()
    return cbm, lead.country


def test_an_rtg_saved_updates_the_obligations_once_the_edit_commits(
    led_cbm, django_capture_on_commit_callbacks
):
    cbm, _ = led_cbm
    obligations_recompute(on=EVALUATED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rtg = RtgFactory(cbm=cbm, date=dt.date(2014, 12, 31))
        assert ComplianceOutbox.objects.filter(cbm_pk=cbm.pk).exists()
    assert len(callbacks) == 1, "one nudge for the one record saved"

    met = Obligation.objects.get(cbm=cbm, conference__number=4, kind="prioritisation")
    assert (met.status, met.met_by) == ("met", rtg)
    assert not ComplianceOutbox.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        rtg.delete()
    met.refresh_from_db()
    assert (met.status, met.met_by) == ("missed", None)


def test_a_leadership_ended_before_the_cycle_leaves_it_without_a_lead(
    led_cbm, django_capture_on_commit_callbacks
):
    cbm, _ = led_cbm
    role = CBMRole.objects.get(cbm=cbm)
    role.until = dt.date(2015, 12, 8)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        role.save()
    assert statuses("CT")[(5, "review")] == "no_lead"
    assert statuses("CT")[(4, "review")] == "missed"


def test_an_edit_rolled_back_queues_nothing(led_cbm, django_capture_on_commit_callbacks):
    cbm, _ = led_cbm
    waiting = ComplianceOutbox.objects.count()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        RtgFactory(cbm=cbm, date=dt.date(2014, 12, 31))
        raise RuntimeError("the service failed after registering the task")
    assert callbacks == []
    assert ComplianceOutbox.objects.count() == waiting


def test_turning_missed_notifies_the_leads_focal_points_and_the_desk_once(led_cbm):
    cbm, lead_country = led_cbm
    focal_point = FocalPointFactory(country=lead_country)
    FocalPointFactory()  # another country's focal point: not concerned
    # Before the Beijing review deadline (9 Aug 2015) nothing is due yet.
    obligations_recompute(on=dt.date(2015, 6, 1))
    assert not Notification.objects.exists()

    obligations_recompute(on=dt.date(2015, 7, 20))  # within 30 days of the deadline
    obligations_recompute(on=dt.date(2015, 8, 10))  # the day after it
    obligations_recompute(on=dt.date(2015, 8, 10))

    notified = set(Notification.objects.values_list("recipient__username", "channel", "event_key"))
    expected_keys = {
        f"obligation:{cbm.pk}:4:review:at_risk",
        f"obligation:{cbm.pk}:4:review:missed",
    }
    assert notified == {
        (user.username, channel, key)
        for user in (focal_point, cbm.desk_officer)
        for channel in ("email", "portal")
        for key in expected_keys
    }
    assert notifications_email() == 4
    assert notifications_email() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [focal_point.email, cbm.desk_officer.email] * 2
    )
    assert "CT: the review RTG after MC 4 is missed" in {m.subject for m in mail.outbox}


def test_an_obligation_first_stored_as_missed_notifies_no_one(led_cbm):
    cbm, lead_country = led_cbm
    FocalPointFactory(country=lead_country)
    obligations_recompute(on=EVALUATED)
    assert Obligation.objects.filter(cbm=cbm, status="missed").count() == 6
    assert not Notification.objects.exists()


def test_the_secretariat_sees_a_cbms_obligations_on_its_page(led_cbm, client):
    cbm, _ = led_cbm
    RtgFactory(cbm=cbm, date=dt.date(2014, 12, 31))
    obligations_recompute(on=EVALUATED)
    client.force_login(cbm.desk_officer)
    cbm.desk_officer.is_staff = cbm.desk_officer.is_superuser = True
    cbm.desk_officer.save()

    page = client.get(f"/admin/cbms/cbm/{cbm.pk}/change/").content.decode()

    assert page.count(">met<") == 1
    assert page.count(">missed<") == 5
    assert "Dec. 31, 2014" in page
