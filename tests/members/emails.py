"""What the account tests read from an email: the one link it carries, as a path to open."""

import re


def link_in(message, pattern: re.Pattern) -> str:
    """The message's one link matching `pattern` (a second one would be a mistake too)."""
    found = pattern.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def path_of(link: str) -> str:
    """The link's path, for the test client: https://host/accounts/... → /accounts/..."""
    return "/" + link.split("/", 3)[3]
