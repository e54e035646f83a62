"""Celery tasks of the compliance engine: idempotent, taking ids or nothing, only calling
services."""

import logging

from celery import shared_task
from django.utils import timezone

from members.services import notifications_email

from . import invitations, reminders, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def compliance_outbox_drain() -> None:
    """Re-evaluate the CBMs that recent edits touched, then send what that changed."""
    report = services.compliance_outbox_drain()
    logger.info("Compliance outbox drained: %s", report)
    notifications_email()


@shared_task(acks_late=True)
def compliance_sweep() -> None:
    """The daily sweep: every obligation of every CBM, whatever the outbox held; then the
    reminders due today and the missed digest, then the emails."""
    report = services.compliance_daily()
    logger.info("Daily compliance sweep: %s", report)
    notifications_email()


@shared_task(acks_late=True)
def reminders_send() -> None:
    """The reminders due today, again after the sweep (beat): a no-op when the sweep already
    sent them, the catch-up when it failed. Idempotent, as every step is."""
    report = reminders.reminders_send(on=timezone.localdate())
    logger.info("Reminders sent: %s", report)
    notifications_email()


@shared_task(acks_late=True)
def invitations_send() -> None:
    """Email the RTG invitations, updates and cancellations still pending: queued after the edit
    that recorded them, and run by beat for those whose nudge could not reach the broker."""
    sent = invitations.invitations_send()
    logger.info("RTG invitations sent: %s", sent)
