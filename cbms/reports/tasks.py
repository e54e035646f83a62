"""Celery tasks of progress reports: idempotent, taking ids or nothing, only calling services."""

import logging

from celery import shared_task

from . import attachments

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def report_attachment_orphans_sweep() -> None:
    """Delete attachment files no report names (an upload whose request failed after storing it)
    once they are an hour old. Running it twice deletes nothing more."""
    deleted = attachments.attachment_orphans_delete()
    logger.info("Attachment orphans sweep: %d files deleted", len(deleted))
