"""The portal's small world, and Chromium for the navbar test, from the web tests' fixtures."""

from tests.web.browser.conftest import browser, page_as, site  # noqa: F401
from tests.web.conftest import world  # noqa: F401
