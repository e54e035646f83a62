import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from knox.models import AuthToken

from .invitations import invitation_pending, invitation_queue
from .models import (
    Country,
    EmailDelivery,
    Notification,
    NotificationChannel,
    Participation,
    Role,
    TokenGrant,
    User,
)

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
    """Create or reset the demo accounts; the secretariat's may use the Django admin (its role
    gives it the admin's rights: User.save)."""
    for account in DEMO_ACCOUNTS:
        country = Country.objects.get(code=account.country) if account.country else None
        user, _ = User.objects.get_or_create(username=account.username)
        user.role = account.role
        user.country = country
        user.email = f"{account.username}@example.org"
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


def notices_in_languages(
    *,
    recipients: Iterable[User],
    event_key: str,
    compose: Callable[[], tuple[str, str]],
    link: str = "",
) -> list[Notice]:
    """A notice for each recipient (each once), its subject and body composed by `compose()` in
    the language that recipient reads their emails in: the in-portal notice says the same."""
    notices = []
    for user in dict.fromkeys(recipients):
        with translation.override(user.email_language or settings.LANGUAGE_CODE):
            subject, body = compose()
        notices.append(Notice(user, event_key, str(subject)[:200], str(body), link))
    return notices


def notices_create(*, notices: Iterable[Notice]) -> int:
    """Store each notice once per channel; return how many rows were new.

    Every notice is kept in the portal; an email row is added only for a recipient who wants
    email (`email_delivery` each or digest), so nobody who chose "none" is ever sent one. The
    unique (event, recipient, channel) constraint makes a repeated call insert nothing, so a
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
        if channel == NotificationChannel.PORTAL
        or notice.recipient.email_delivery != EmailDelivery.NONE
    ]
    # Counted among these events only (the unique constraint's index leads with event_key), not
    # over the whole table, which only grows.
    these = Notification.objects.filter(event_key__in={row.event_key for row in rows})
    before = these.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return these.count() - before


def portal_url(link: str) -> str:
    """A notice's link (a path of the portal) in full, as an email must give it."""
    if not link:
        return ""
    return f"{settings.PORTAL_URL.rstrip('/')}/{link.lstrip('/')}"


def _email_body(notification: Notification) -> str:
    body = notification.body
    if notification.link:
        with translation.override(notification.recipient.email_language or settings.LANGUAGE_CODE):
            body += "\n\n" + gettext("Open it in the portal: %(url)s") % {
                "url": portal_url(notification.link)
            }
    return body


def notifications_email() -> int:
    """Send the pending emails of those who want one per notice, each exactly once even with
    several workers, and crash-safe.

    One row per transaction: claimed under a lock other workers skip, sent, marked sent and
    committed. A worker killed mid-send leaves only that one row pending, to be sent again.
    The rows of digest readers wait for notifications_digest_email.
    """
    sent = 0
    with get_connection() as smtp:
        while True:
            with transaction.atomic():
                notification = (
                    Notification.objects.email_pending()
                    .filter(recipient__email_delivery=EmailDelivery.EACH)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("recipient")
                    .order_by("pk")
                    .first()
                )
                if notification is None:
                    return sent
                if notification.recipient.email:
                    send_mail(
                        notification.subject,
                        _email_body(notification),
                        settings.DEFAULT_FROM_EMAIL,
                        [notification.recipient.email],
                        connection=smtp,
                    )
                notification.sent_at = timezone.now()
                notification.save(update_fields=["sent_at"])
                sent += 1


def _digest_compose(*, recipient: User, rows: list[Notification], on: date) -> tuple[str, str]:
    with translation.override(recipient.email_language or settings.LANGUAGE_CODE):
        subject = gettext("HoA-IP CBM Tracker: your notices of %(day)s") % {
            "day": date_format(on, "j F Y")
        }
        lines = [
            ngettext(
                "You have %(count)d notice in the portal:",
                "You have %(count)d notices in the portal:",
                len(rows),
            )
            % {"count": len(rows)},
            "",
        ]
        for row in rows:
            lines.append(f"- {row.subject}")
            if row.link:
                lines.append(f"  {portal_url(row.link)}")
        lines += ["", gettext("Every notice: %(url)s") % {"url": portal_url("/notifications/")}]
    return subject, "\n".join(lines)


def notifications_digest_email(*, on: date | None = None) -> int:
    """One email to each digest reader with every email notice of theirs still pending; returns
    how many emails were sent.

    One transaction per recipient: their account row is claimed under a lock other workers skip
    (so two runs never write to the same person at once), their pending rows are locked, the
    email is sent and the rows are marked sent, then it commits. A rerun finds nothing pending
    and sends nothing; someone with nothing pending is never claimed. `on` is the day the digest
    is of (today in Kabul unless given, as for a drill).
    """
    on = on or timezone.localdate()
    sent = 0
    claimed: set[int] = set()
    with get_connection() as smtp:
        while True:
            with transaction.atomic():
                recipient = (
                    User.objects.filter(
                        email_delivery=EmailDelivery.DIGEST,
                        pk__in=Notification.objects.email_pending().values("recipient_id"),
                    )
                    .exclude(pk__in=claimed)
                    .select_for_update(skip_locked=True)
                    .order_by("pk")
                    .first()
                )
                if recipient is None:
                    return sent
                # Once per run: rows that arrive while this run goes on wait for tomorrow's.
                claimed.add(recipient.pk)
                rows = list(
                    Notification.objects.email_pending()
                    .filter(recipient=recipient)
                    .select_for_update(skip_locked=True)
                    .order_by("created_at", "pk")
                )
                if not rows:
                    continue
                if recipient.email:
                    subject, body = _digest_compose(recipient=recipient, rows=rows, on=on)
                    send_mail(
                        subject,
                        body,
                        settings.DEFAULT_FROM_EMAIL,
                        [recipient.email],
                        connection=smtp,
                    )
                    sent += 1
                Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                    sent_at=timezone.now()
                )


# --- A person's notices in the portal ---------------------------------------------------------


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The in-portal notices of `user`, newest first, each with `read` (bool) annotated. Email
    rows are deliveries, not notices: never listed."""
    return (
        Notification.objects.filter(recipient=user, channel=NotificationChannel.PORTAL)
        .annotate(read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField()))
        .order_by("-created_at", "-id")
    )


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """Mark one of the actor's own notices read (once: a second call keeps the first time)."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notice of the actor read, in one statement; returns how many."""
    return Notification.objects.unread().filter(recipient=actor).update(read_at=timezone.now())


# --- A person's own preferences ---------------------------------------------------------------

PREFERENCE_FIELDS = ("email_delivery", "email_language", "missed_digest")


@transaction.atomic
def user_preferences_update(*, user: User, actor: User, changes: Mapping[str, Any]) -> User:
    """Change what reaches a person's inbox: email per notice, a daily digest or none, the
    language of their emails and, for the secretariat, the daily digest of missed obligations.

    Only the person themselves; the change is kept in their history with them as its author.
    """
    if actor.pk != user.pk:
        raise PermissionDenied
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [gettext("This is not a preference.")] for name in sorted(unknown)}
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if changes.get("missed_digest") and user.role != Role.SECRETARIAT:
        raise ValidationError(
            {"missed_digest": [gettext("Only the secretariat receives this digest.")]}
        )
    changed = {name: value for name, value in changes.items() if getattr(user, name) != value}
    if not changed:
        return user
    for name, value in changed.items():
        setattr(user, name, value)
    user._change_reason = "preferences: " + ", ".join(sorted(changed))
    user._history_user = actor
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changed))
    if changed.get("email_delivery") == EmailDelivery.NONE:
        # "No email" covers what is still waiting too: switching back later must not bring a
        # flood of old news. The notices themselves stay in the portal.
        Notification.objects.email_pending().filter(recipient=user).delete()
    return user


# --- Countries and their participation, as the API writes them ------------------------------

# The API's names for the fields of the period a country is shown with (SPEC §6).
PERIOD_FIELDS = {"participation": "kind", "since": "since", "until": "until"}
PERIOD_API_NAMES = {"kind": "participation", NON_FIELD_ERRORS: "non_field_errors"}


def participation_shown_first(day: date) -> list:
    """Order a country's periods so the one it is shown with comes first: the period current on
    `day`, else the most recent that has started, else the next to come; the latest start wins
    a tie. The API's annotation and the service below share it, so they never disagree."""
    started = Q(since__isnull=True) | Q(since__lte=day)
    ongoing = Q(until__isnull=True) | Q(until__gte=day)
    return [
        Case(
            When(started & ongoing, then=Value(0)),
            When(started, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        F("since").desc(nulls_last=True),
        F("until").desc(nulls_first=True),
        F("pk").desc(),
    ]


def _period_shown(country: Country) -> Participation | None:
    return (
        Participation.objects.select_for_update()
        .filter(country=country)
        .order_by(*participation_shown_first(timezone.localdate()))
        .first()
    )


def _period_save(*, country: Country, actor: User, period: Mapping[str, Any]) -> None:
    """Create the country's shown period, or change it, from `period` (API names as keys)."""
    shown = _period_shown(country)
    if shown is None and all(value is None for value in period.values()):
        return  # nothing shown, nothing given: a round trip of a country without a period
    row = shown or Participation(
        country=country, source=f"Recorded through the API by {actor.get_username()}"
    )
    for api_name, value in period.items():
        setattr(row, PERIOD_FIELDS[api_name], value)
    errors = {}
    if not row.kind:
        errors["participation"] = [gettext("Give the kind of participation.")]
    if row.since and row.until and row.until < row.since:
        errors["until"] = [gettext("A participation cannot end before it starts.")]
    repeated = Participation.objects.filter(country=country, kind=row.kind, since=row.since)
    if row.since and repeated.exclude(pk=row.pk).exists():
        errors["since"] = [gettext("The country already has a period of this kind from this day.")]
    if errors:
        raise ValidationError(errors)
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ValidationError(
            {PERIOD_API_NAMES.get(f, f): m for f, m in exc.message_dict.items()}
        ) from exc
    row.save()


@transaction.atomic
def country_create(
    *, actor: User, code: str, name: str, period: Mapping[str, Any] | None = None
) -> Country:
    """A new country and, if `period` names one, the period it takes part in the process."""
    country = Country(code=code, name=name)
    country.full_clean()
    country.save()
    _period_save(country=country, actor=actor, period=period or {})
    return country


@transaction.atomic
def country_update(
    *, country: Country, actor: User, changes: Mapping[str, Any], period: Mapping[str, Any]
) -> Country:
    """Change a country's code or name and the period it is shown with, all or nothing."""
    country = Country.objects.select_for_update().get(pk=country.pk)
    for field, value in changes.items():
        setattr(country, field, value)
    country.full_clean()
    country.save()
    _period_save(country=country, actor=actor, period=period)
    return country


# --- Users ------------------------------------------------------------------------------------


def _password_set(user: User, password: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    email_language: str = settings.LANGUAGE_CODE,
    country: Country | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A portal account. Given a password, it is checked against the validators and stored
    hashed. Without one (the secretariat's page), the account has none anyone could type until
    its owner accepts the invitation emailed to them once this commits (members.invitations):
    it needs an address to be sent to."""
    user = User(
        username=username,
        email=email,
        email_language=email_language,
        role=role,
        country=country,
        first_name=first_name,
        last_name=last_name,
    )
    user.full_clean(exclude=["password"])
    if password is None:
        if not email:
            raise ValidationError(
                {
                    "email": [
                        gettext(
                            "A new account needs an email address: its invitation to choose a "
                            "password is sent there."
                        )
                    ]
                }
            )
        user.set_unusable_password()
        user._change_reason = "created, invited"
    else:
        _password_set(user, password)
    user.save()
    if password is None:
        invitation_queue(user=user)
    return user


@transaction.atomic
def invitation_resend(*, user: User, actor: User) -> User:
    """Email a new invitation to an account that has not accepted its first. The links sent
    before stop working (their token was made with the unusable password replaced here), so only
    the latest email sets the password."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not invitation_pending(user):
        raise ValidationError(
            gettext("%(user)s has accepted the invitation already, or is deactivated.")
            % {"user": user}
        )
    if not user.email:
        raise ValidationError(
            gettext("%(user)s has no email address: add one, then send the invitation.")
            % {"user": user}
        )
    user.set_unusable_password()
    user._change_reason = "invitation sent again"
    user._history_user = actor
    user.save(update_fields=["password"])
    invitation_queue(user=user)
    return user


@transaction.atomic
def user_password_change(*, user: User, actor: User, password: str, reason: str) -> User:
    """A person's own new password, set by themselves: on their account page, through a reset
    link or by accepting their invitation. Checked by the validators and stored hashed; the save
    revokes their API tokens (members.signals) and ends their other browser sessions (each keeps
    a hash of the password it signed in with). Their history records it, with `reason`."""
    if actor.pk != user.pk:
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    _password_set(user, password)
    user._change_reason = reason
    user._history_user = actor
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_update(*, user: User, actor: User, changes: Mapping[str, Any]) -> User:
    """Change an account; a new password, if given, is stored hashed, and (members.signals) its
    API tokens are revoked. A promotion to a role that needs the second factor revokes the tokens
    issued without it; the admin's rights follow the role (User.save)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    password = changes.get("password")
    for field, value in changes.items():
        if field != "password":
            setattr(user, field, value)
    user.full_clean(exclude=["password"])
    if password is not None:
        _password_set(user, password)
    user.save()
    return user


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(*, user: User, second_factor: bool) -> tuple[AuthToken, str]:
    """A new API token for `user`, and its key (shown once: only its hash is stored). It records
    whether the one-time code was given for it: without, it stops working for an account that
    needs the second factor (hoa_portal.api.authentication)."""
    token, key = AuthToken.objects.create(user=user)
    TokenGrant.objects.create(token=token, second_factor=second_factor)
    return token, key


def api_token_revoke(*, token: AuthToken) -> None:
    """Sign one token out (`POST /api/v1/auth/logout/`)."""
    AuthToken.objects.filter(pk=token.pk).delete()


def api_tokens_revoke(*, user: User, without_second_factor_only: bool = False) -> int:
    """Revoke the account's API tokens, or only those issued without the second factor; returns
    how many. members.signals calls it when the password changes (all of them) and when the
    account comes to need the second factor (those without)."""
    tokens = AuthToken.objects.filter(user=user)
    if without_second_factor_only:
        tokens = tokens.exclude(grant__second_factor=True)
    deleted = tokens.delete()[1].get(AuthToken._meta.label, 0)
    if deleted:
        which = "issued without the second factor" if without_second_factor_only else "all"
        logger.warning("%d API token(s) of %s revoked (%s)", deleted, user, which)
    return deleted


def api_tokens_purge() -> int:
    """Delete expired API tokens; returns how many. A request refuses its own expired token as it
    comes (hoa_portal.api.authentication), so this only keeps the table from growing."""
    deleted, _ = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


def _not_oneself(*, user: User, actor: User, message: str) -> None:
    if user.pk == actor.pk:
        raise ValidationError(message)


@transaction.atomic
def user_set_active(*, user: User, actor: User, active: bool) -> User:
    """Deactivate an account (it can no longer sign in, and its API tokens are revoked) or
    reactivate it. Its records and history stay. Nobody deactivates their own account."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    if not active:
        _not_oneself(
            user=user, actor=actor, message=gettext("You cannot deactivate your own account.")
        )
    user.is_active = active
    user._change_reason = "reactivated" if active else "deactivated"
    user.full_clean(exclude=["password"])
    user.save()
    if not active:
        AuthToken.objects.filter(user=user).delete()
    return user


# What may go with an account when it is deleted: its own notices and API tokens. Anything else
# that refers to it, a record or an entry in a record's history, keeps the account.
_DELETED_WITH_ACCOUNT = {Notification, AuthToken}


def user_deletion_blockers(user: User) -> list[str]:
    """The kinds of records (or their histories) that refer to the account, by name; an account
    with any of them is deactivated, never deleted, so every change keeps its author."""
    found = []
    for relation in User._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.is_relation):
            continue
        related = relation.related_model
        if related in _DELETED_WITH_ACCOUNT or relation.many_to_many:
            continue
        if related._base_manager.filter(**{relation.field.name: user.pk}).exists():
            found.append(str(related._meta.verbose_name_plural))
    return sorted(set(found))


@transaction.atomic
def user_delete(*, user: User, actor: User) -> None:
    """Delete an account that never did anything: created by mistake, never used. One that
    appears in any record or history is refused: deactivate it instead."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _not_oneself(user=user, actor=actor, message=gettext("You cannot delete your own account."))
    blockers = user_deletion_blockers(user)
    if blockers:
        raise ValidationError(
            gettext(
                "This account appears in the records or their history (%(kinds)s): "
                "deactivate it instead."
            )
            % {"kinds": ", ".join(blockers)}
        )
    user.delete()
