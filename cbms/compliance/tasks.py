"""Celery tasks of the compliance engine: idempotent, taking ids or nothing, only calling
services."""

import logging

from celery import shared_task

from members.services import notifications_email

from . import services

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
