from celery import shared_task

from . import services, signin


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def api_tokens_purge() -> int:
    """Daily (beat): expired API tokens go; idempotent, a second run finds nothing."""
    return services.api_tokens_purge()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def sign_in_records_purge() -> int:
    """Daily (beat): sign-in records past their retention go; idempotent."""
    return signin.sign_in_records_purge()


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def notifications_digest_email() -> int:
    """Daily (beat): one email to each digest reader with their notices not yet emailed.
    Idempotent: a row is marked sent in the transaction that emails it, so a rerun (or a
    redelivered message) finds nothing left and sends nothing."""
    return services.notifications_digest_email()
