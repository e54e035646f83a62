from django.apps import AppConfig


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"

    def ready(self):
        from hoa_portal.api.timestamps import use_utc_timestamps

        from . import signals, signin  # noqa: F401  (connect the token rules, the sign-in log)

        # The API's one form for moments, in place before any serializer builds its fields.
        use_utc_timestamps()
