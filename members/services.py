from dataclasses import dataclass

from django.db import transaction

from .models import Country, Role, User


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    country: str | None = None


# Well known on purpose: they exist only on a developer's machine with DEBUG on.
DEMO_ACCOUNTS = (
    DemoAccount("secretariat", "demo-secretariat", Role.SECRETARIAT),
    DemoAccount("focal-afg", "demo-focal-point", Role.FOCAL_POINT, "AFG"),
    DemoAccount("analyst", "demo-analyst", Role.ANALYST),
)


@transaction.atomic
def demo_accounts_create() -> list[DemoAccount]:
    """Create or reset the demo accounts; the secretariat's may use the Django admin."""
    for account in DEMO_ACCOUNTS:
        country = Country.objects.get(code=account.country) if account.country else None
        user, _ = User.objects.get_or_create(username=account.username)
        user.role = account.role
        user.country = country
        user.email = f"{account.username}@example.org"
        user.is_staff = account.role == Role.SECRETARIAT
        user.is_superuser = account.role == Role.SECRETARIAT
        user.set_password(account.password)
        user.full_clean()
        user.save()
    return list(DEMO_ACCOUNTS)
