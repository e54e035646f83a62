from django.apps import AppConfig


class CbmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cbms"
    verbose_name = "CBMs"

    def ready(self):
        from . import signals  # noqa: F401
