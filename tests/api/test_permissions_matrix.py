"""Every endpoint × every method × every role → the status SPEC §5-6 promise (RELIABILITY goals 3,
4 and 6). A refused write changes nothing; an accepted one does what it says."""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from hoa_portal.api_urls import router, urlpatterns
from members.models import Role
from members.services import api_token_issue, user_update
from tests.api.conftest import ROLES, World, snapshot

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def table(**rows: tuple[int, ...]) -> dict[tuple[str, str], dict[str, int]]:
    """`list_GET=(…)` → {("list", "GET"): {role: status}}, the roles in the order of ROLES."""
    expected = {}
    for key, statuses in rows.items():
        view, method = key.split("_")
        assert len(statuses) == len(ROLES), key
        expected[(view, method)] = dict(zip(ROLES, statuses, strict=True))
    return expected


# fmt: off
#                          anonymous analyst fp_lead fp_other secretariat inactive
SECRETARIAT_WRITES = table(
    list_GET=              (200,     200,    200,    200,     200,        401),
    list_POST=             (401,     403,    403,    403,     201,        401),
    list_PUT=              (401,     403,    403,    403,     405,        401),
    list_PATCH=            (401,     403,    403,    403,     405,        401),
    list_DELETE=           (401,     403,    403,    403,     405,        401),
    detail_GET=            (200,     200,    200,    200,     200,        401),
    detail_POST=           (401,     403,    403,    403,     405,        401),
    detail_PUT=            (401,     403,    403,    403,     200,        401),
    detail_PATCH=          (401,     403,    403,    403,     200,        401),
    detail_DELETE=         (401,     403,    403,    403,     204,        401),
)
USERS = table(
    list_GET=              (401,     403,    403,    403,     200,        401),
    list_POST=             (401,     403,    403,    403,     201,        401),
    list_PUT=              (401,     403,    403,    403,     405,        401),
    list_PATCH=            (401,     403,    403,    403,     405,        401),
    list_DELETE=           (401,     403,    403,    403,     405,        401),
    detail_GET=            (401,     403,    403,    403,     200,        401),
    detail_POST=           (401,     403,    403,    403,     405,        401),
    detail_PUT=            (401,     403,    403,    403,     200,        401),
    detail_PATCH=          (401,     403,    403,    403,     200,        401),
    detail_DELETE=         (401,     403,    403,    403,     204,        401),
)
# A held RTG of CT, which France leads: France's focal point records it; Germany's reads it, as
# everyone does a held meeting (SPEC §5), but does not find it to write (404, goal 4).
MEETINGS_RTG = table(
    list_GET=              (200,     200,    200,    200,     200,        401),
    list_POST=             (401,     403,    201,    403,     201,        401),
    list_PUT=              (401,     403,    405,    405,     405,        401),
    list_PATCH=            (401,     403,    405,    405,     405,        401),
    list_DELETE=           (401,     403,    405,    405,     405,        401),
    detail_GET=            (200,     200,    200,    200,     200,        401),
    detail_POST=           (401,     403,    405,    405,     405,        401),
    detail_PUT=            (401,     403,    200,    404,     200,        401),
    detail_PATCH=          (401,     403,    200,    404,     200,        401),
    detail_DELETE=         (401,     403,    204,    404,     204,        401),
)
# A held SOM: everyone sees it, only the secretariat records one.
MEETINGS_SOM = table(
    list_GET=              (200,     200,    200,    200,     200,        401),
    list_POST=             (401,     403,    403,    403,     201,        401),
    list_PUT=              (401,     403,    405,    405,     405,        401),
    list_PATCH=            (401,     403,    405,    405,     405,        401),
    list_DELETE=           (401,     403,    405,    405,     405,        401),
    detail_GET=            (200,     200,    200,    200,     200,        401),
    detail_POST=           (401,     403,    405,    405,     405,        401),
    detail_PUT=            (401,     403,    403,    403,     200,        401),
    detail_PATCH=          (401,     403,    403,    403,     200,        401),
    detail_DELETE=         (401,     403,    403,    403,     204,        401),
)
# Computed: signed-in users read, nobody writes.
COMPUTED = table(
    list_GET=              (401,     200,    200,    200,     200,        401),
    list_POST=             (401,     403,    403,    403,     403,        401),
    list_PUT=              (401,     403,    403,    403,     403,        401),
    list_PATCH=            (401,     403,    403,    403,     403,        401),
    list_DELETE=           (401,     403,    403,    403,     403,        401),
    detail_GET=            (401,     200,    200,    200,     200,        401),
    detail_POST=           (401,     403,    403,    403,     403,        401),
    detail_PUT=            (401,     403,    403,    403,     403,        401),
    detail_PATCH=          (401,     403,    403,    403,     403,        401),
    detail_DELETE=         (401,     403,    403,    403,     403,        401),
)
# A draft report of France on CT: only France's focal point and the secretariat see it.
REPORTS = table(
    list_GET=              (200,     200,    200,    200,     200,        401),
    list_POST=             (401,     403,    201,    403,     403,        401),
    list_PUT=              (401,     405,    405,    405,     405,        401),
    list_PATCH=            (401,     405,    405,    405,     405,        401),
    list_DELETE=           (401,     405,    405,    405,     405,        401),
    detail_GET=            (404,     404,    200,    404,     200,        401),
    detail_POST=           (401,     405,    405,    405,     405,        401),
    detail_PUT=            (401,     405,    405,    405,     405,        401),
    detail_PATCH=          (401,     404,    200,    404,     403,        401),
    detail_DELETE=         (401,     405,    405,    405,     405,        401),
)
# Its actions, by POST (versions by GET), other methods 405. A draft cannot be reviewed: 409.
#                          anonymous analyst fp_lead fp_other secretariat inactive
_POST_ONLY = (405,         405,    405,    405,     405,        401)
REPORT_ACTIONS = {
    "submit": table(detail_GET=_POST_ONLY, detail_POST=(401, 404, 200, 404, 403, 401)),
    "accept": table(detail_GET=_POST_ONLY, detail_POST=(401, 404, 403, 404, 409, 401)),
    "return": table(detail_GET=_POST_ONLY, detail_POST=(401, 404, 403, 404, 409, 401)),
    # multipart only: a JSON body is 415
    "attachments": table(detail_GET=_POST_ONLY, detail_POST=(401, 404, 415, 404, 403, 401)),
    "versions": table(
        detail_GET=        (404,     404,    200,    404,     200,        401),
        detail_POST=       (401,     405,    405,    405,     405,        401),
    ),
}
# One file of France's draft: its focal point removes it; only DELETE is answered.
_DELETE_ONLY = (401,       405,    405,    405,     405,        401)
REPORT_ATTACHMENT = table(
    detail_GET=            (405,     405,    405,    405,     405,        401),
    detail_POST=_DELETE_ONLY, detail_PUT=_DELETE_ONLY, detail_PATCH=_DELETE_ONLY,
    detail_DELETE=         (401,     404,    204,    404,     403,        401),
)
# The caller's own notices (one of France's focal point here): read and marked read, never written.
#                          anonymous analyst fp_lead fp_other secretariat inactive
_NOT_ALLOWED = (401,       405,    405,    405,     405,        401)
NOTIFICATIONS = table(
    list_GET=              (401,     200,    200,    200,     200,        401),
    list_POST=_NOT_ALLOWED, list_PUT=_NOT_ALLOWED, list_PATCH=_NOT_ALLOWED,
    list_DELETE=_NOT_ALLOWED,
    detail_GET=            (401,     404,    200,    404,     404,        401),
    detail_POST=_NOT_ALLOWED, detail_PUT=_NOT_ALLOWED, detail_PATCH=_NOT_ALLOWED,
    detail_DELETE=_NOT_ALLOWED,
)
NOTIFICATION_READ = table(
    detail_GET=_NOT_ALLOWED,
    detail_POST=           (401,     404,    200,    404,     404,        401),
)
NOTIFICATIONS_READ_ALL = table(
    list_GET=_NOT_ALLOWED,
    list_POST=             (401,     200,    200,    200,     200,        401),
)
# Signing out: the caller's own token (or all of them), whatever the role; only by POST.
#                          anonymous analyst fp_lead fp_other secretariat inactive
SIGN_OUT = table(
    list_GET=_NOT_ALLOWED,
    list_POST=             (401,     204,    204,    204,     204,        401),
    list_PUT=_NOT_ALLOWED, list_PATCH=_NOT_ALLOWED, list_DELETE=_NOT_ALLOWED,
)
# The token endpoint reads no credentials: an empty body is a 400 for everyone.
_NO_METHOD = (405,         405,    405,    405,     405,        405)
TOKEN = table(
    list_GET=_NO_METHOD,
    list_POST=             (400,     400,    400,    400,     400,        400),
    list_PUT=_NO_METHOD, list_PATCH=_NO_METHOD, list_DELETE=_NO_METHOD,
)
# fmt: on
COMPLIANCE = {key: row for key, row in COMPUTED.items() if key[0] == "detail"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    prefix: str  # the router's
    expected: dict[tuple[str, str], dict[str, int]]
    detail: Callable[[World], str]  # the path of the row the detail requests address
    create: Callable[[World], dict] = lambda w: {}
    replace: Callable[[World], dict] = lambda w: {}
    patch: dict = field(default_factory=dict)
    has_list: bool = True
    # After a DELETE answered 204, whether the row is gone; by default a GET of it is 404.
    gone: Callable[[World], bool] | None = None


ENDPOINTS = [
    Endpoint(
        "countries",
        "countries",
        SECRETARIAT_WRITES,
        detail=lambda w: "/api/v1/countries/XYZ/",
        create=lambda w: {
            "code": "NEW",
            "name": "Newland",
            "participation": "supporting",
            "since": "2020-01-01",
        },
        replace=lambda w: {"code": "XYW", "name": "Spare Republic", "participation": None},
        patch={"name": "Spare Kingdom"},
    ),
    Endpoint(
        "organizations",
        "organizations",
        SECRETARIAT_WRITES,
        detail=lambda w: "/api/v1/organizations/SPARE/",
        create=lambda w: {"acronym": "NEWO", "name": "New Organization", "kind": "regional"},
        replace=lambda w: {"acronym": "SPARE2", "name": "Spare 2", "kind": "format"},
        patch={"name": "Renamed Organization"},
    ),
    Endpoint(
        "conferences",
        "conferences",
        SECRETARIAT_WRITES,
        detail=lambda w: "/api/v1/conferences/9/",
        create=lambda w: {"number": 10, "year": 2031, "host": "DEU", "status": "planned"},
        replace=lambda w: {
            "number": 9,
            "date": None,
            "year": 2030,
            "city": "Dushanbe",
            "host": "FRA",
            "status": "planned",
        },
        patch={"city": "Dushanbe"},
    ),
    Endpoint(
        "cbms",
        "cbms",
        SECRETARIAT_WRITES,
        detail=lambda w: "/api/v1/cbms/ZZ/",
        create=lambda w: {
            "code": "DM&EP",
            "name": "Disaster Management",
            "approved_on": "2012-06-14",
        },
        replace=lambda w: {"code": "ZZ", "name": "Renamed Measure", "approved_on": "2019-12-09"},
        patch={"name": "Renamed Measure"},
    ),
    Endpoint(
        "cbm roles",
        "cbm-roles",
        SECRETARIAT_WRITES,
        detail=lambda w: f"/api/v1/cbm-roles/{w.spare_role.pk}/",
        create=lambda w: {
            "cbm": "CT",
            "organization": "SPARE",
            "role": "supporting",
            "since": "2019-12-09",
        },
        replace=lambda w: {
            "cbm": "CT",
            "country": "DEU",
            "organization": None,
            "role": "supporting",
            "since": "2013-01-01",
            "until": "2020-12-31",
        },
        patch={"until": "2020-12-31"},
    ),
    Endpoint(
        "meetings: an RTG of a CBM France leads",
        "meetings",
        MEETINGS_RTG,
        detail=lambda w: f"/api/v1/meetings/{w.rtg.pk}/",
        create=lambda w: {"kind": "rtg", "cbm": "CT", "date": "2024-05-01", "status": "held"},
        replace=lambda w: {
            "kind": "rtg",
            "cbm": "CT",
            "date": "2015-03-02",
            "status": "held",
            "city": "Lyon",
            "host": "FRA",
        },
        patch={"city": "Marseille"},
    ),
    Endpoint(
        "meetings: a SOM",
        "meetings",
        MEETINGS_SOM,
        detail=lambda w: f"/api/v1/meetings/{w.som.pk}/",
        create=lambda w: {"kind": "som", "date": "2024-05-01", "status": "held"},
        replace=lambda w: {
            "kind": "som",
            "cbm": None,
            "date": "2015-04-02",
            "status": "held",
            "city": "Kabul",
            "host": None,
        },
        patch={"city": "Herat"},
    ),
    Endpoint(
        "obligations",
        "obligations",
        COMPUTED,
        detail=lambda w: f"/api/v1/obligations/{w.obligation.pk}/",
        patch={"status": "met"},
    ),
    Endpoint(
        "compliance",
        "cbms/{code}/compliance",
        COMPLIANCE,
        detail=lambda w: "/api/v1/cbms/CT/compliance/",
        patch={"on": "2020-01-01"},
        has_list=False,
    ),
    Endpoint(
        "users",
        "users",
        USERS,
        detail=lambda w: f"/api/v1/users/{w.spare_user.pk}/",
        create=lambda w: {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "role": "focal_point",
            "country": "FRA",
            "password": "Str0ng-Passphrase-9",
        },
        replace=lambda w: {
            "username": "spare",
            "email": "spare@example.org",
            "role": "focal_point",
            "country": "DEU",
        },
        patch={"email": "new-address@example.org"},
    ),
    *(
        Endpoint(
            f"reports {action}" if action else "reports",
            f"reports/{{pk}}/{action}" if action else "reports",
            REPORT_ACTIONS[action] if action else REPORTS,
            detail=lambda w, action=action: (
                f"/api/v1/reports/{_draft_report(w).pk}/{action}" + ("/" if action else "")
            ),
            create=lambda w: {"cbm": "CT", "conference": 1},
            patch={"narrative": "Edited"},
            has_list=not action,
        )
        for action in ("", "submit", "accept", "return", "attachments", "versions")
    ),
    Endpoint(
        "reports attachment",
        r"reports/{pk}/attachments/(?P<attachment_id>[0-9]{1,18})",
        REPORT_ATTACHMENT,
        detail=lambda w: (
            f"/api/v1/reports/{_draft_report(w).pk}/attachments/{_draft_attachment(w).pk}/"
        ),
        has_list=False,
        gone=lambda w: not _draft_report(w).attachments.exists(),
    ),
    Endpoint(
        "notifications",
        "notifications",
        NOTIFICATIONS,
        detail=lambda w: f"/api/v1/notifications/{_notice(w).pk}/",
        patch={"read": True},
    ),
    Endpoint(
        "notifications read",
        "notifications/{pk}/read",
        NOTIFICATION_READ,
        detail=lambda w: f"/api/v1/notifications/{_notice(w).pk}/read/",
        has_list=False,
    ),
    Endpoint(
        "notifications read-all",
        "notifications/read-all",
        NOTIFICATIONS_READ_ALL,
        detail=lambda w: "/api/v1/notifications/read-all/",  # an action on the list: no detail
    ),
    # Routes of their own (not the router's): one path each, written as a list.
    Endpoint("token", "auth/token", TOKEN, detail=lambda w: "/api/v1/auth/token/"),
    Endpoint("logout", "auth/logout", SIGN_OUT, detail=lambda w: "/api/v1/auth/logout/"),
    Endpoint(
        "logout-all", "auth/logout-all", SIGN_OUT, detail=lambda w: "/api/v1/auth/logout-all/"
    ),
]


def _notice(w: World):
    """An unread in-portal notice of France's focal point (made on first use)."""
    from members.models import Notification

    notice, _ = Notification.objects.get_or_create(
        recipient=w.users["fp_lead"],
        channel="portal",
        event_key="matrix:notice",
        defaults={"subject": "A notice", "body": "Its body", "link": "/reports/"},
    )
    return notice


def _draft_report(w: World):
    """France's draft on CT for the cycle MC 1 opens (made on first use: no other test needs it)."""
    from cbms.models import ProgressReport
    from cbms.reports.services import report_start

    report = ProgressReport.objects.filter(cbm=w.cbm, country=w.france).first()
    return report or report_start(cbm=w.cbm, conference=w.held_conference, actor=w.users["fp_lead"])


def _draft_attachment(w: World):
    """A file of that draft (its row alone: removing it deletes a file that is not there)."""
    from cbms.models import ReportAttachment

    report = _draft_report(w)
    return report.attachments.first() or ReportAttachment.objects.create(
        report=report,
        file="reports/matrix.pdf",
        original_name="matrix.pdf",
        size=4,
        content_type="application/pdf",
        uploaded_by=w.users["fp_lead"],
    )


CASES = [
    pytest.param(endpoint, view, method, role, id=f"{endpoint.name}-{view}-{method}-{role}")
    for endpoint in ENDPOINTS
    for (view, method) in endpoint.expected
    for role in ROLES
]


def _request(client, method: str, path: str, payload: dict):
    call = getattr(client, method.lower())
    return call(path) if method in ("GET", "DELETE") else call(path, payload, format="json")


@pytest.mark.parametrize(("endpoint", "view", "method", "role"), CASES)
def test_role_method_endpoint(world, client_for, endpoint, view, method, role):
    path = endpoint.detail(world) if view == "detail" else f"/api/v1/{endpoint.prefix}/"
    payload = {
        "POST": endpoint.create(world),
        "PUT": endpoint.replace(world),
        "PATCH": endpoint.patch,
    }.get(method, {})
    expected = endpoint.expected[(view, method)][role]
    before = snapshot()
    client = client_for(role)

    response = _request(client, method, path, payload)

    assert response.status_code == expected, response.content[:500]
    if expected == 204 and method == "POST":  # signed out: the token opens nothing any more
        assert snapshot() == before
        assert client.get("/api/v1/obligations/").status_code == 401
    elif expected >= 300 or method == "GET":
        assert snapshot() == before, "a refused request changed the database"
    elif method == "DELETE" and endpoint.gone is not None:
        assert endpoint.gone(world)
    elif method == "DELETE":
        assert _request(client_for("secretariat"), "GET", path, {}).status_code == 404
    else:
        body = response.json()
        sent = payload if method != "PUT" else {k: v for k, v in payload.items() if v is not None}
        shown = {k: body[k] for k in sent if k != "password"}
        assert shown == {k: v for k, v in sent.items() if k != "password"}
        assert "password" not in body


def test_every_route_has_a_row_in_the_matrix():
    """A new endpoint fails here until its expected statuses are written down."""
    routes = {  # the paths outside the router: the token and signing out
        str(pattern.pattern).rstrip("/") for pattern in urlpatterns if pattern not in router.urls
    }
    for prefix, viewset, _ in router.registry:
        routes.add(prefix)
        for extra in viewset.get_extra_actions():
            if extra.detail:
                routes.add(f"{prefix}/{{{viewset.lookup_field}}}/{extra.url_path}")
            else:  # an action on the list, e.g. notifications/read-all
                routes.add(f"{prefix}/{extra.url_path}")
    assert routes == {endpoint.prefix for endpoint in ENDPOINTS}


# A token issued to an analyst with the password alone, the analyst then promoted to a role that
# needs the second factor: it opens nothing, on any endpoint, and changes nothing (issue #15).
PROMOTED_CASES = [
    pytest.param(endpoint, view, method, id=f"{endpoint.name}-{view}-{method}")
    for endpoint in ENDPOINTS
    if endpoint.prefix != "auth/token"  # reads no credentials
    for (view, method) in endpoint.expected
]


@pytest.mark.parametrize(("endpoint", "view", "method"), PROMOTED_CASES)
def test_a_token_from_before_a_promotion_opens_nothing(world, settings, endpoint, view, method):
    settings.MFA_REQUIRED = True
    analyst = world.users["analyst"]
    _, key = api_token_issue(user=analyst, second_factor=False)
    user_update(user=analyst, actor=world.users["secretariat"], changes={"role": Role.SECRETARIAT})
    path = endpoint.detail(world) if view == "detail" else f"/api/v1/{endpoint.prefix}/"
    payload = {
        "POST": endpoint.create(world),
        "PUT": endpoint.replace(world),
        "PATCH": endpoint.patch,
    }.get(method, {})
    before = snapshot()
    client = APIClient(headers={"Authorization": f"Token {key}"})

    response = _request(client, method, path, payload)

    assert response.status_code == 401, response.content[:500]
    assert snapshot() == before
