"""Production: everything secure by default; SECRET_KEY and ALLOWED_HOSTS must come from the env."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# The load balancer's probes and the Prometheus scraper reach an instance directly, over plain
# HTTP inside the network: they are answered, not sent to HTTPS (hoa_portal.health, .metrics).
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# Static files under hashed names, with gzip and brotli twins (collectstatic writes them; the
# WHITENOISE_* block of base.py says how they are served).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
