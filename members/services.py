import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Country, Notification, NotificationChannel, Role, User

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Notice:
    recipient: User
    event_key: str
    subject: str
    body: str
    link: str = ""


def notices_create(*, notices: Iterable[Notice]) -> int:
    """Store each notice once per channel (email and in-portal); return how many were new.

    The unique (event, recipient, channel) constraint makes a repeated call insert nothing, so a
    task that runs twice notifies no one twice.
    """
    rows = [
        Notification(
            recipient=notice.recipient,
            channel=channel,
            event_key=notice.event_key,
            subject=notice.subject,
            body=notice.body,
            link=notice.link,
        )
        for notice in notices
        for channel in NotificationChannel.values
    ]
    before = Notification.objects.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.count() - before


def notifications_email(*, limit: int = 500) -> int:
    """Send pending emails, each exactly once even with several workers running.

    Each row is claimed under a row lock that other workers skip, sent, and marked sent in the
    same transaction: a crash before the commit leaves it pending for the next run.
    """
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Notification.objects.email_pending()
                .select_for_update(skip_locked=True)
                .select_related("recipient")
                .order_by("pk")[:limit]
            )
            if not batch:
                return sent
            for notification in batch:
                if notification.recipient.email:
                    send_mail(
                        notification.subject,
                        notification.body,
                        settings.DEFAULT_FROM_EMAIL,
                        [notification.recipient.email],
                    )
                notification.sent_at = timezone.now()
            Notification.objects.bulk_update(batch, ["sent_at"])
            sent += len(batch)
