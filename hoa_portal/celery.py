import os

from celery import Celery
from celery.signals import task_failure, task_retry, task_success

from hoa_portal.metrics import task_outcome_record

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoa_portal.settings.base")

app = Celery("hoa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Given as CELERY_REDBEAT_* in the Django settings (hoa_portal.settings.base).
REDBEAT_SETTINGS = (
    "redbeat_redis_url",
    "redbeat_key_prefix",
    "redbeat_lock_timeout",
    "redbeat_redis_options",
)


@app.on_after_configure.connect
def _redbeat_settings_under_their_own_names(sender=None, source=None, **kwargs) -> None:
    """celery-redbeat tells whether a setting was given by looking for its own name among the
    configuration's keys, where the CELERY_ namespace hides it; then it falls back to the broker's
    options and leaves out the Redis timeouts it was given. Give them under the names it seeks."""
    source.update({name: source[name] for name in REDBEAT_SETTINGS if source.get(name)})


# Task runs are counted where they run, in Redis, so /metrics on any web process reports the
# runs of every worker on every machine (hoa_portal.metrics).
@task_success.connect
def _count_success(sender=None, **kwargs) -> None:
    task_outcome_record(sender.name, "succeeded")


@task_failure.connect
def _count_failure(sender=None, **kwargs) -> None:
    task_outcome_record(sender.name, "failed")


@task_retry.connect
def _count_retry(sender=None, **kwargs) -> None:
    task_outcome_record(sender.name, "retried")
