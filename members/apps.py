from django.apps import AppConfig


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"

    def ready(self):
        from hoa_portal.api.timestamps import use_utc_timestamps

        # The token rules and the sign-in log connect; the tasks are registered in every process,
        # so that services queue them by name (members.invitations).
        from . import signals, signin, tasks  # noqa: F401

        # The API's one form for moments, in place before any serializer builds its fields.
        use_utc_timestamps()
