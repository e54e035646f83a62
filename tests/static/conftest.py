"""The portal's small world, from the web tests' fixtures. (Chromium stays with the browser tests:
its session fixture, imported here too, would start a second Playwright in the same process.)"""

from tests.web.conftest import world  # noqa: F401
