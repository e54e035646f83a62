"""Plumbing: an account's API tokens follow its password and its role, however the account is
saved.

A receiver on the save rather than a call in each service, because half of the ways to change a
password are Django's own (the admin's password form, `manage.py changepassword`, the shell) and
call none of ours; all of them end in `User.save()`. Only a bare `QuerySet.update()` of the
password skips it, and nothing in the portal writes a password that way.

- A new password (`set_password()` then `save()`) revokes every API token of the account. Its
  other browser sessions end by themselves: each keeps a hash of the password it signed in with,
  and Django signs out a session whose hash no longer matches; the pages that change one's own
  password keep the current session with `update_session_auth_hash`.
- A save that leaves the account needing the second factor (promoted to focal point or
  secretariat) revokes its tokens issued without it. The token check refuses those anyway
  (hoa_portal.api.authentication): this keeps them from coming back should the role change again.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .permissions import needs_second_factor
from .services import api_tokens_revoke

ROLE_FIELDS = {"role", "is_staff", "is_superuser", "is_active"}


@receiver(post_save, sender=User, dispatch_uid="members.tokens_follow_the_account")
def tokens_follow_the_account(sender, instance: User, created, raw, update_fields, **kwargs):
    if created or raw:
        return
    # AbstractBaseUser keeps the raw password from set_password() until the save is done, to
    # tell the validators it changed; a hash upgraded at sign-in does not count (Django clears it).
    if instance._password is not None:
        api_tokens_revoke(user=instance)
    elif (update_fields is None or ROLE_FIELDS & set(update_fields)) and needs_second_factor(
        instance
    ):
        api_tokens_revoke(user=instance, without_second_factor_only=True)
