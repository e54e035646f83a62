import functools

from hoa_portal.views import signed_in

from .models import Notification
from .permissions import can_see_compliance, is_focal_point, is_secretariat


def navigation(request) -> dict:
    """What the layout needs on every page: the user's role and unread notices.

    The count is a function the template calls, once: pages that don't show it (the admin, the
    browsable API) don't pay its query.
    """
    user = getattr(request, "user", None)

    @functools.cache
    def unread() -> int:
        if not signed_in(user):
            return 0
        return Notification.objects.unread().filter(recipient=user).count()

    return {
        "nav_is_secretariat": is_secretariat(user),
        "nav_is_focal_point": is_focal_point(user),
        "nav_sees_compliance": can_see_compliance(user),
        "nav_unread": unread,
    }
