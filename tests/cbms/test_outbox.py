"""An edit that rolls back leaves nothing behind: no outbox row, no task, no notification (goal 18).

No broker is needed: the enqueue is registered with on_commit, so what matters is whether the
callback survives the rollback.
"""

import contextlib
import datetime as dt

import pytest
from celery import signals
from django.db import transaction

from cbms.compliance import services
from cbms.compliance.tasks import compliance_outbox_drain
from cbms.models import ComplianceOutbox
from conferences.models import Meeting, MeetingStatus
from members.models import Notification
from tests.conferences.factories import RtgFactory


class Boom(Exception):
    pass


def _edit(scenario) -> None:
    """What an RTG edit writes: a new RTG, a cancelled one and the CBM itself, each nudging."""
    RtgFactory(cbm=scenario.cbm, date=dt.date(2015, 8, 1), status=MeetingStatus.HELD)
    scenario.prioritisation_rtg.status = MeetingStatus.CANCELLED
    scenario.prioritisation_rtg.save()
    scenario.cbm.save()


@pytest.mark.django_db
def test_a_rolled_back_edit_registers_no_task_and_leaves_no_outbox_row(
    compliance_scenario, django_capture_on_commit_callbacks
):
    scenario = compliance_scenario()
    meetings = Meeting.objects.count()

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        _edit(scenario)
        assert ComplianceOutbox.objects.filter(cbm_pk=scenario.cbm.pk).exists()
        raise Boom

    assert callbacks == []
    assert not ComplianceOutbox.objects.exists()
    assert Meeting.objects.count() == meetings
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_committed_edit_registers_the_nudge_and_its_outbox_rows(
    compliance_scenario, django_capture_on_commit_callbacks
):
    """The control: the same edit, committed, does register the enqueue and write the outbox."""
    scenario = compliance_scenario()

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _edit(scenario)

    assert callbacks
    assert set(callbacks) == {services._enqueue_drain}
    assert set(ComplianceOutbox.objects.values_list("cbm_pk", flat=True)) == {scenario.cbm.pk}


@pytest.fixture
def drains_run():
    """Every run of the drain task in this process (the test settings run tasks eagerly)."""
    runs = []

    def record(sender=None, task_id=None, **kwargs):
        if sender.name == compliance_outbox_drain.name:
            runs.append(task_id)

    signals.task_prerun.connect(record, weak=False)
    yield runs
    signals.task_prerun.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_a_service_that_raises_after_requesting_a_recompute_runs_nothing(
    compliance_scenario, drains_run
):
    """With real commits and rollbacks: the request's task never runs, its outbox row is gone."""
    scenario = compliance_scenario()

    with pytest.raises(Boom), transaction.atomic():
        services.compliance_recompute_request(cbm_ids=[scenario.cbm.pk])
        _edit(scenario)
        raise Boom

    assert drains_run == []
    assert not ComplianceOutbox.objects.exists()
    assert not Notification.objects.exists()

    # The control: committed, the same work runs the drain, which empties the outbox.
    with transaction.atomic():
        _edit(scenario)
    assert drains_run
    assert not ComplianceOutbox.objects.exists()


@pytest.mark.django_db
def test_one_transaction_saving_many_records_nudges_once(
    compliance_scenario, django_capture_on_commit_callbacks
):
    scenario = compliance_scenario()

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            services.compliance_recompute_request(cbm_ids=[scenario.cbm.pk])

    assert callbacks == [services._enqueue_drain]
    assert ComplianceOutbox.objects.count() == 3


@pytest.mark.django_db
def test_a_nudge_lost_with_a_rolled_back_savepoint_is_registered_again(
    compliance_scenario, django_capture_on_commit_callbacks
):
    scenario = compliance_scenario()

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            services.compliance_recompute_request(cbm_ids=[scenario.cbm.pk])
            raise RuntimeError("the savepoint is rolled back, its nudge with it")
        services.compliance_recompute_request(cbm_ids=[scenario.cbm.pk])

    assert callbacks == [services._enqueue_drain]
    assert ComplianceOutbox.objects.count() == 1
