from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def api_tokens_purge() -> int:
    """Daily (beat): expired API tokens go; idempotent, a second run finds nothing."""
    return services.api_tokens_purge()
