"""The second factor: a time-based one-time code (TOTP, RFC 6238) from an authenticator app, or
one of ten single-use recovery codes issued with it, stored and checked by django-otp. Who needs
it is members.permissions.needs_second_factor; the middleware (members.middleware) keeps everyone
who needs it and has not given it on the pages that ask for it."""

import datetime as dt
import logging
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger(__name__)

DEVICE_NAME = "authenticator app"
RECOVERY_CODES = 10


def has_second_factor(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


@dataclass(frozen=True)
class SecondFactorStatus:
    set_up: bool
    since: dt.datetime | None  # when the app now in use was set up (None: not, or not known)
    last_used: dt.datetime | None
    recovery_codes_left: int


def second_factor_status(user) -> SecondFactorStatus:
    """What a person's own account page says of their second factor."""
    app = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return SecondFactorStatus(
        set_up=has_second_factor(user),
        since=app.created_at if app else None,
        last_used=app.last_used_at if app else None,
        recovery_codes_left=recovery_codes_left(user),
    )


@transaction.atomic
def totp_setup_start(user) -> TOTPDevice:
    """A new authenticator app to confirm, with a key of its own. Any earlier set-up the user
    never confirmed goes with its key, so a key shown before (in another session, perhaps to
    someone else who had the password) can never be confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_setup_pending(user, device_id) -> TOTPDevice | None:
    """The set-up this session started, if it is still the user's latest and unconfirmed."""
    if not isinstance(device_id, int):
        return None
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code, to scan with the app."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


@transaction.atomic
def totp_device_confirm(device: TOTPDevice, code: str) -> bool:
    """Confirm a new device with a code it shows; any other confirmed device of the user goes
    (one app at a time). False for a wrong or replayed code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    logger.warning("Second factor set up for %s", device.user)
    return True


@transaction.atomic
def recovery_codes_issue(user) -> list[str]:
    """Ten new single-use codes for when the phone is not at hand; any earlier ones stop working.
    Shown once: only their use is stored."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_match(user, code: str):
    """The confirmed device that accepts `code`, the app's or a recovery code (each code once;
    django-otp slows repeated failures down), or None."""
    return match_token(user, code) if code else None


@transaction.atomic
def second_factor_reset(*, user, actor) -> int:
    """Forget the user's authenticator app and recovery codes (lost phone): they set up a new
    app at the next sign-in. Returns how many devices went."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    logger.warning("Second factor of %s reset by %s", user, actor)
    return removed
