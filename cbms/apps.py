from django.apps import AppConfig


class CbmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cbms"
    verbose_name = "CBMs"

    def ready(self):
        # Celery's autodiscovery looks for cbms/tasks.py only; each subject keeps its tasks in
        # its own package. Registered in every process, so services can queue them by name
        # without importing the modules that import them.
        from .compliance import signals, tasks  # noqa: F401
        from .reports import tasks as report_tasks  # noqa: F401
