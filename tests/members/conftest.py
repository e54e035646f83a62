import pytest
from django.core.cache import caches


@pytest.fixture
def second_factor_required(settings):
    """The second factor on, as in production, and django-otp's slowing of retries off."""
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def rate_limits():
    """The counts of the reset requests (members.signin), from zero, kept in memory per process."""
    caches["rate_limits"].clear()
    yield caches["rate_limits"]
    caches["rate_limits"].clear()
