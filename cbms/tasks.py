"""Celery tasks: idempotent, taking ids or nothing, and only calling services."""

import logging

from celery import shared_task

from members.services import notifications_email

from . import reports, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def compliance_outbox_drain() -> None:
    """Re-evaluate the CBMs that recent edits touched, then send what that changed."""
    report = services.compliance_outbox_drain()
    logger.info("Compliance outbox drained: %s", report)
    notifications_email()


@shared_task(acks_late=True)
def compliance_sweep() -> None:
    """The daily sweep: every obligation of every CBM, whatever the outbox held."""
    report = services.compliance_sweep()
    logger.info("Daily compliance sweep: %s", report)
    notifications_email()


@shared_task(acks_late=True)
def report_attachment_orphans_sweep() -> None:
    """Delete attachment files no report names (an upload whose request failed after storing it)
    once they are an hour old. Running it twice deletes nothing more."""
    deleted = reports.attachment_orphans_delete()
    logger.info("Attachment orphans sweep: %d files deleted", len(deleted))
