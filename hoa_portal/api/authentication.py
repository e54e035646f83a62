"""Authentication classes. Kept apart from the views: DRF imports them while it loads its own
views module, so this module must not import any view."""

import binascii
from hmac import compare_digest

import knox.auth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from members.permissions import needs_second_factor


class PortalTokenAuthentication(knox.auth.TokenAuthentication):
    """knox's token check in one query, without its per-request sweep of the user's other tokens,
    and refusing a token issued without the second factor to an account that needs one.

    knox reads every token of the user on each request to delete the expired ones: a second
    query on every API call. Here a request only checks its own token's expiry (an expired one
    is refused; knox's delete of it is rolled back with the request's transaction anyway), and
    expired tokens are purged daily by `members.tasks.api_tokens_purge`.

    How the token was issued (members.models.TokenGrant) is read in the same query as the token
    and its user. An analyst's token issued with the password alone stops working once the
    account is promoted to a role that needs the second factor, whoever or whatever changed it.
    """

    def authenticate_credentials(self, token):
        # knox 5.1's own, but for the grant read along with the user (select_related).
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        candidates = get_token_model().objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user", "grant"):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def validate_user(self, auth_token):
        user, auth_token = super().validate_user(auth_token)
        grant = getattr(auth_token, "grant", None)  # None: issued some other way
        if needs_second_factor(user) and not (grant and grant.second_factor):
            raise exceptions.AuthenticationFailed(
                _(
                    "This token was issued without a one-time code, which this account now "
                    "needs: ask for a new token with one."
                )
            )
        return user, auth_token

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class PortalTokenScheme(KnoxTokenScheme):
    target_class = PortalTokenAuthentication
