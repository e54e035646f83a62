"""The compliance tasks on a real broker and a real worker, never eagerly.

What eager tests cannot show: a worker in another thread or process sees only committed rows,
a task delivered twice notifies no one twice, an edit saves while the broker is down, and a
worker killed mid-task has its task redelivered without emailing anyone twice.
"""

import logging
import socket
import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.urls import reverse

from cbms.compliance.tasks import compliance_outbox_drain, compliance_sweep
from cbms.models import ComplianceOutbox, ObligationKind, ObligationStatus
from conferences.models import MeetingStatus
from members.models import Notification, NotificationChannel
from tests.cbms.conftest import celery_on_broker
from tests.members.factories import SecretariatFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _counts() -> tuple[int, int]:
    return Notification.objects.count(), len(mail.outbox)


def _emailed_to() -> Counter:
    return Counter(address for message in mail.outbox for address in message.to)


# --- 1. Duplicate delivery (goal 19) ------------------------------------------------------------


def test_a_worker_runs_the_sweep_and_a_second_sweep_sends_nothing_twice(
    compliance_scenario, celery_worker_on_redis, finished_tasks
):
    scenario = compliance_scenario()
    assert scenario.obligation(ObligationKind.REVIEW).status == ObligationStatus.OPEN

    with celery_worker_on_redis():
        first = compliance_sweep.delay()
        assert finished_tasks.wait_for(first.id) == "SUCCESS"

        review = scenario.obligation(ObligationKind.REVIEW)
        assert review.status == ObligationStatus.MISSED
        # Two people, on two channels each; the emails went out and are marked sent.
        assert Notification.objects.count() == 4
        assert not Notification.objects.email_pending().exists()
        assert _emailed_to() == Counter(dict.fromkeys(scenario.recipients, 1))
        after_first = _counts()

        second = compliance_sweep.delay()
        assert finished_tasks.wait_for(second.id) == "SUCCESS"
        assert _counts() == after_first

        # An RTG edit: the prioritisation RTG turns out to have been cancelled. The save nudges
        # the worker on commit, and that drain turns the prioritisation obligation missed.
        scenario.prioritisation_rtg.status = MeetingStatus.CANCELLED
        scenario.prioritisation_rtg.save()
        finished_tasks.wait_for_count(compliance_outbox_drain.name, 1)
        assert not ComplianceOutbox.objects.exists()
        prioritisation = scenario.obligation(ObligationKind.PRIORITISATION)
        assert (prioritisation.status, prioritisation.met_by) == (ObligationStatus.MISSED, None)
        assert Notification.objects.count() == 8
        assert _emailed_to() == Counter(dict.fromkeys(scenario.recipients, 2))
        after_edit = _counts()

        # The same drain delivered twice more, the first with the CBM still listed as stale (as
        # after a second edit): it re-evaluates everything and notifies no one again.
        ComplianceOutbox.objects.create(cbm_pk=scenario.cbm.pk)
        again = [compliance_outbox_drain.delay(), compliance_outbox_drain.delay()]
        assert [finished_tasks.wait_for(result.id) for result in again] == ["SUCCESS"] * 2
        assert not ComplianceOutbox.objects.exists()
        assert _counts() == after_edit


# --- 2. Broker down (goal 17) -------------------------------------------------------------------


@pytest.fixture
def silent_broker():
    """A port that accepts connections and never answers, as a hung or overloaded Redis does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _admin_form_data(response, **changes) -> dict:
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return {name: value for name, value in data.items() if value not in (None, False)}


@pytest.mark.parametrize("through", ["admin", "api"])
@pytest.mark.parametrize(
    "down",
    [
        pytest.param("refused", id="connection-refused"),
        pytest.param("silent", id="accepts-but-never-answers"),
    ],
)
def test_an_rtg_edit_saves_within_3s_with_the_broker_down_and_the_sweep_catches_up(
    down,
    through,
    request,
    client,
    caplog,
    compliance_scenario,
    celery_worker_on_redis,
    finished_tasks,
):
    broker_url = (
        "redis://127.0.0.1:1/0" if down == "refused" else request.getfixturevalue("silent_broker")
    )
    # Evaluated today: the prioritisation RTG met it, the review was missed (a new row: no one
    # is told about a row's first status).
    scenario = compliance_scenario(stored_on=None)
    assert Notification.objects.count() == 0
    user = SecretariatFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    meeting = scenario.prioritisation_rtg
    if through == "admin":
        url = reverse("admin:conferences_meeting_change", args=[meeting.pk])
        data = _admin_form_data(client.get(url), status=MeetingStatus.CANCELLED)
        edit, succeeded = (lambda: client.post(url, data)), 302
    else:
        url = f"/api/v1/meetings/{meeting.pk}/"
        body = {"status": MeetingStatus.CANCELLED}
        edit = lambda: client.patch(url, body, content_type="application/json")  # noqa: E731
        succeeded = 200

    with (
        celery_on_broker(broker_url),
        caplog.at_level(logging.WARNING, logger="cbms.compliance.services"),
    ):
        started = time.monotonic()
        response = edit()
        elapsed = time.monotonic() - started

    assert response.status_code == succeeded, response.content[:2000]
    assert elapsed < 3, f"the edit took {elapsed:.1f}s with the broker down"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert ComplianceOutbox.objects.filter(cbm_pk=scenario.cbm.pk).exists()
    assert any(
        record.levelno == logging.WARNING and "Could not queue" in record.getMessage()
        for record in caplog.records
    ), caplog.text
    # Nothing re-evaluated the CBM yet: the obligation still says met, and no one was told.
    assert scenario.obligation(ObligationKind.PRIORITISATION).status == ObligationStatus.MET
    assert Notification.objects.count() == 0

    # The broker is back: one sweep, on a real worker, catches up with what the outbox lists.
    with celery_worker_on_redis():
        result = compliance_sweep.delay()
        assert finished_tasks.wait_for(result.id) == "SUCCESS"

    prioritisation = scenario.obligation(ObligationKind.PRIORITISATION)
    assert (prioritisation.status, prioritisation.met_by) == (ObligationStatus.MISSED, None)
    assert not ComplianceOutbox.objects.exists()
    assert Notification.objects.count() == 4
    assert not Notification.objects.email_pending().exists()
    assert _emailed_to() == Counter(dict.fromkeys(scenario.recipients, 1))


# --- 4. A worker killed mid-task (goal 20) -------------------------------------------------------


@pytest.mark.parametrize(
    "stall_on",
    [
        pytest.param(1, id="killed-sending-the-first-email"),
        pytest.param(2, id="killed-after-one-email-was-accepted"),
    ],
)
def test_a_worker_killed_mid_task_has_it_redelivered_and_emails_each_person_once(
    stall_on, compliance_scenario, celery_broker_url, smtp_server, celery_workers
):
    scenario = compliance_scenario()
    smtp_server.stall_on = stall_on
    with celery_on_broker(celery_broker_url):
        task = compliance_sweep.apply_async(queue=celery_workers.queue)

    first = celery_workers.start("first")
    celery_workers.wait_until(
        smtp_server.stalled.is_set, 30, "the first worker did not reach the email send"
    )
    # The worker is inside send_mail: notifications are committed, only the emails accepted
    # before this one are marked sent, and the message sits in Redis unacknowledged.
    killed_at = celery_workers.kill(first)
    smtp_server.release()
    assert Notification.objects.filter(channel=NotificationChannel.EMAIL).count() == 2
    assert smtp_server.accepted_by_recipient().total() == stall_on - 1
    assert Notification.objects.email_pending().count() == 2 - (stall_on - 1)

    celery_workers.start_for_redelivery("second", killed_at=killed_at)
    celery_workers.wait_until(
        lambda: not Notification.objects.email_pending().exists(),
        40,
        "the task was not redelivered and finished",
    )
    # The same message, not a new one: the task id the first worker had received.
    celery_workers.wait_until(
        lambda: f"compliance_sweep[{task.id}] succeeded" in celery_workers.last_log(),
        10,
        "the second worker did not log the redelivered task",
    )
    # An address counted twice got an email the first worker had sent before it died.
    assert smtp_server.accepted_by_recipient() == Counter(dict.fromkeys(scenario.recipients, 1)), (
        celery_workers.output()
    )
    review = scenario.obligation(ObligationKind.REVIEW)
    assert review.status == ObligationStatus.MISSED
    assert Notification.objects.count() == 4
