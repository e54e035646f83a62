from smtplib import SMTPException

from celery import shared_task

from . import invitations, services, signin

# An email a mail server refused for now is tried again, a few times, further apart each time.
EMAIL_RETRIES = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "max_retries": 3,
}


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


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **EMAIL_RETRIES)
def invitation_email(user_id: int) -> bool:
    """A new account's invitation, queued when it is created or sent again (members.invitations)."""
    return invitations.invitation_email(user_id)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, **EMAIL_RETRIES)
def password_reset_email(email: str) -> int:
    """The reset link for whoever may reset by this address, if anyone (members.invitations)."""
    return invitations.password_reset_email(email)
