"""Authentication classes. Kept apart from the views: DRF imports them while it loads its own
views module, so this module must not import any view."""

import knox.auth
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.signals import token_expired


class PortalTokenAuthentication(knox.auth.TokenAuthentication):
    """knox's token check without its per-request sweep of the user's other tokens.

    knox reads every token of the user on each request to delete the expired ones: a second
    query on every API call. Here a request only checks its own token's expiry (an expired one
    is refused; knox's delete of it is rolled back with the request's transaction anyway), and
    expired tokens are purged daily by `members.tasks.api_tokens_purge`.
    """

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class PortalTokenScheme(KnoxTokenScheme):
    target_class = PortalTokenAuthentication
