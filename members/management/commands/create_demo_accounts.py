from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members.services import demo_accounts_create


class Command(BaseCommand):
    help = "Create one demo account per role (only with DEBUG on) and print their passwords."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only created with DEBUG on.")
        for account in demo_accounts_create():
            country = f" ({account.country})" if account.country else ""
            self.stdout.write(
                f"{account.role:<12} username={account.username:<14} "
                f"password={account.password}{country}"
            )
