"""The portal's Celery app with a test-only schedule, for the beat processes of test_beat.py.

`celery -A tests.ops.beat_app beat` runs the real app with the real settings (the scheduler,
its lock, its timeouts), except that its schedule is one task every two seconds, sent to a queue
of the test's, and its keys are under the test's prefix. Each send the beat makes is recorded in
Redis, with its time and the process that made it. Only the beat processes import this module:
it changes the app's configuration.
"""

import json
import os
import time

import redis
from celery.signals import after_task_publish

from hoa_portal.celery import app

PREFIX = os.environ["OPS_BEAT_TEST_PREFIX"]
PERIOD_SECONDS = 2.0
ENTRY = "ops-beat-test-tick"
TASK = "tests.ops.beat_test_tick"  # never run: the test counts what the beat sends
QUEUE = f"{PREFIX}queue"
SENDS = f"{PREFIX}sends"

# The namespaced keys, as the settings give them: Celery prefers those to the plain names. And
# after the settings are read (`changes` reads them), or they would be read over these.
app.conf.changes.update(
    {
        "CELERY_BEAT_SCHEDULE": {
            ENTRY: {"task": TASK, "schedule": PERIOD_SECONDS, "options": {"queue": QUEUE}}
        },
        "CELERY_REDBEAT_KEY_PREFIX": f"{PREFIX}redbeat:",
        # A waiting beat asks for the lock this often: the settings' 15 s would make the
        # hand-over wait that long, and it does not change who may send.
        "CELERY_BEAT_MAX_LOOP_INTERVAL": 1,
    }
)

_sends = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


@after_task_publish.connect
def _record_send(sender=None, **kwargs) -> None:
    if sender == TASK:
        _sends.rpush(SENDS, json.dumps({"at": time.time(), "pid": os.getpid()}))
