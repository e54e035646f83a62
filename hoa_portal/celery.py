import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoa_portal.settings.base")

app = Celery("hoa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
