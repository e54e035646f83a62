"""Who may open which page: every page of the portal × every role, from one table.

Anonymous users are sent to sign in where a role is needed; a signed-in role the policy refuses
gets 403; a record outside a user's scope is 404 (never 403 or 200), and the page changes nothing.
"""

from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cbms.compliance.calendar import calendar_feed_issue
from cbms.models import CBMName, SpreadsheetImport
from conferences.models import Meeting
from tests.web.conftest import ROLES, World

PUBLIC = dict.fromkeys(ROLES, 200)
SECRETARIAT = {
    "anonymous": 302,
    "analyst": 403,
    "focal_fr": 403,
    "focal_de": 403,
    "secretariat": 200,
}
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "anonymous": 302}
MEETING_WRITERS = {**SIGNED_IN, "analyst": 403}
# A record only the secretariat (and, for an RTG, its lead country's focal point) may see.
UNPUBLISHED = {**dict.fromkeys(ROLES, 404), "secretariat": 200}
DE_RTG = {"anonymous": 302, "analyst": 403, "focal_fr": 404, "focal_de": 200, "secretariat": 200}
FR_RTG = {**DE_RTG, "focal_fr": 200, "focal_de": 404}
OTHER_MEETING = {**DE_RTG, "focal_de": 404}
FOCAL_POINTS = {**SECRETARIAT, "focal_fr": 200, "focal_de": 200, "secretariat": 403}
# The content of a published plan version: no one edits it, the secretariat included.
FROZEN = {**SECRETARIAT, "secretariat": 403}

Args = Callable[[World], list]
NONE: Args = lambda w: []  # noqa: E731


def record(name: str, attr: str) -> list[tuple[str, Args, dict]]:
    """The edit, delete and history pages of a record, secretariat only."""
    return [
        (f"{name}_{view}", lambda w, attr=attr: [getattr(w, attr).pk], SECRETARIAT)
        for view in ("update", "delete", "history")
    ]


def former_name(w: World) -> list:
    name, _ = CBMName.objects.get_or_create(
        cbm=w.de_cbm, since=w.de_cbm.approved_on, defaults={"code": "DE", "name": "Old name"}
    )
    return [name.pk]


def _feed_token(w: World) -> str:
    return calendar_feed_issue(user=w.users["analyst"])


def _import_by(w: World, role: str) -> int:
    """An import someone previewed: its page is theirs and the secretariat's."""
    return SpreadsheetImport.objects.create(
        kind="meetings",
        source="file",
        file_name="meetings.xlsx",
        file_format="xlsx",
        content=b"",
        created_by=w.users[role],
        status="previewed",
    ).pk


USER_VIEWS = ("detail", "update", "password", "deactivate", "reactivate", "delete", "history")

PAGES: list[tuple[str, Args, dict]] = [
    ("home", NONE, PUBLIC),
    ("login", NONE, PUBLIC),
    ("records", NONE, SECRETARIAT),
    ("dashboard", NONE, SIGNED_IN),
    ("my_country", NONE, FOCAL_POINTS),
    ("reminder_schedule", NONE, SECRETARIAT),
    ("cbms:report_overview", NONE, SECRETARIAT),
    ("members:notifications", NONE, SIGNED_IN),
    ("members:account", NONE, SIGNED_IN),
    ("members:password_change", NONE, SIGNED_IN),
    # Forgotten passwords and invitations: a link that is not (or no longer) valid is a page
    # saying so, to anyone; valid links are tests/members/test_password_reset.py's.
    ("password_reset", NONE, PUBLIC),
    ("password_reset_done", NONE, PUBLIC),
    ("password_reset_confirm", lambda w: ["MQ", "no-such-token"], PUBLIC),
    ("password_reset_complete", NONE, PUBLIC),
    ("invitation_accept", lambda w: ["MQ", "no-such-token"], PUBLIC),
    ("members:user_list", NONE, SECRETARIAT),
    ("members:user_create", NONE, SECRETARIAT),
    *[
        (f"members:user_{view}", lambda w: [w.users["analyst"].pk], SECRETARIAT)
        for view in USER_VIEWS
    ],
    ("members:country_list", NONE, PUBLIC),
    ("members:country_detail", lambda w: [w.france.pk], PUBLIC),
    ("members:country_create", NONE, SECRETARIAT),
    *[(f"members:{n}", a, e) for n, a, e in record("country", "france")],
    ("members:participation_list", NONE, PUBLIC),
    ("members:participation_create", lambda w: [w.afghanistan.pk], SECRETARIAT),
    *[(f"members:{n}", a, e) for n, a, e in record("participation", "participation")],
    ("organizations:organization_list", NONE, PUBLIC),
    ("organizations:organization_detail", lambda w: [w.organization.pk], PUBLIC),
    ("organizations:organization_create", NONE, SECRETARIAT),
    *[(f"organizations:{n}", a, e) for n, a, e in record("organization", "organization")],
    ("organizations:membership_list", NONE, PUBLIC),
    ("organizations:membership_create", lambda w: [w.organization.pk], SECRETARIAT),
    *[(f"organizations:{n}", a, e) for n, a, e in record("membership", "membership")],
    ("conferences:conference_list", NONE, PUBLIC),
    ("conferences:conference_detail", lambda w: [w.beijing.pk], PUBLIC),
    ("conferences:conference_create", NONE, SECRETARIAT),
    *[(f"conferences:{n}", a, e) for n, a, e in record("conference", "beijing")],
    ("conferences:declaration_list", NONE, PUBLIC),
    ("conferences:declaration_create", lambda w: [w.islamabad.pk], SECRETARIAT),
    *[(f"conferences:{n}", a, e) for n, a, e in record("declaration", "declaration")],
    ("conferences:article_list", NONE, PUBLIC),
    ("conferences:article_create", lambda w: [w.declaration.pk], SECRETARIAT),
    *[(f"conferences:{n}", a, e) for n, a, e in record("article", "article")],
    ("conferences:meeting_list", NONE, PUBLIC),
    ("conferences:meeting_create", NONE, MEETING_WRITERS),
    # A held meeting is public, whoever leads its measure (SPEC §5); goal 4's 404 is on writing
    # it (the update, delete and history rows below).
    ("conferences:meeting_detail", lambda w: [w.de_rtg.pk], PUBLIC),
    (
        "conferences:meeting_detail",
        lambda w: [w.de_planned_rtg.pk],
        {**UNPUBLISHED, "focal_de": 200},
    ),
    ("conferences:meeting_update", lambda w: [w.de_rtg.pk], DE_RTG),
    ("conferences:meeting_delete", lambda w: [w.de_rtg.pk], DE_RTG),
    ("conferences:meeting_history", lambda w: [w.de_rtg.pk], DE_RTG),
    ("conferences:meeting_update", lambda w: [w.de_planned_rtg.pk], DE_RTG),
    ("conferences:meeting_update", lambda w: [w.fr_rtg.pk], FR_RTG),
    ("conferences:meeting_update", lambda w: [w.som.pk], OTHER_MEETING),
    ("cbms:cbm_list", NONE, PUBLIC),
    ("cbms:cbm_detail", lambda w: [w.de_cbm.pk], PUBLIC),
    ("cbms:cbm_create", NONE, SECRETARIAT),
    *[(f"cbms:{n}", a, e) for n, a, e in record("cbm", "de_cbm")],
    ("cbms:role_list", NONE, PUBLIC),
    ("cbms:name_create", lambda w: [w.de_cbm.pk], SECRETARIAT),
    *[(f"cbms:name_{view}", former_name, SECRETARIAT) for view in ("update", "delete", "history")],
    ("cbms:role_create", lambda w: [w.de_cbm.pk], SECRETARIAT),
    *[(f"cbms:{n}", a, e) for n, a, e in record("role", "de_role")],
    ("cbms:role_end", lambda w: [w.de_role.pk], SECRETARIAT),
    ("cbms:plan_list", NONE, PUBLIC),
    ("cbms:plan_detail", lambda w: [w.fr_plan.pk], PUBLIC),
    ("cbms:plan_detail", lambda w: [w.fr_draft.pk], UNPUBLISHED),
    ("cbms:plan_create", lambda w: [w.fr_cbm.pk], SECRETARIAT),
    *[(f"cbms:{n}", a, e) for n, a, e in record("plan", "fr_plan")],
    ("cbms:plan_publish", lambda w: [w.fr_draft.pk], SECRETARIAT),
    # The rows of a draft are edited; those of the plan in force are frozen, to all.
    ("cbms:area_list", NONE, PUBLIC),
    ("cbms:area_create", lambda w: [w.fr_draft.pk], SECRETARIAT),
    *[(f"cbms:{n}", a, e) for n, a, e in record("area", "draft_area")],
    ("cbms:area_create", lambda w: [w.fr_plan.pk], FROZEN),
    ("cbms:area_update", lambda w: [w.area.pk], FROZEN),
    ("cbms:area_delete", lambda w: [w.area.pk], FROZEN),
    ("cbms:area_history", lambda w: [w.area.pk], SECRETARIAT),
    ("cbms:activity_list", NONE, PUBLIC),
    ("cbms:activity_create", lambda w: [w.draft_area.pk], SECRETARIAT),
    *[(f"cbms:{n}", a, e) for n, a, e in record("activity", "draft_activity")],
    ("cbms:activity_create", lambda w: [w.area.pk], FROZEN),
    ("cbms:activity_update", lambda w: [w.activity.pk], FROZEN),
    ("cbms:activity_delete", lambda w: [w.activity.pk], FROZEN),
    ("cbms:activity_history", lambda w: [w.activity.pk], SECRETARIAT),
    # Calendar feeds: read by calendar applications, without a session. The private one is
    # opened by its token alone, whoever asks (tests/calendar/test_tokens.py).
    ("calendar:meetings", NONE, PUBLIC),
    ("calendar:cbm", lambda w: [w.de_cbm.code], PUBLIC),
    ("calendar:feed", lambda w: [_feed_token(w)], PUBLIC),
    # Spreadsheet imports: the secretariat's of every kind, a focal point's of its RTGs.
    ("imports:list", NONE, MEETING_WRITERS),
    ("imports:upload", lambda w: ["meetings"], MEETING_WRITERS),
    ("imports:upload", lambda w: ["organizations"], SECRETARIAT),
    ("imports:template", lambda w: ["meetings", "xlsx"], MEETING_WRITERS),
    ("imports:template", lambda w: ["cbm-roles", "csv"], SECRETARIAT),
    ("imports:detail", lambda w: [_import_by(w, "secretariat")], {**UNPUBLISHED, "anonymous": 302}),
    (
        "imports:detail",
        lambda w: [_import_by(w, "focal_fr")],
        {**UNPUBLISHED, "anonymous": 302, "focal_fr": 200},
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    PAGES,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(PAGES)],
)
def test_page_answers_each_role(world, client_for, name, args, expected):
    url = reverse(name, args=args(world))
    answers = {role: client_for(role).get(url) for role in ROLES}
    assert {role: r.status_code for role, r in answers.items()} == expected, url
    for response in answers.values():
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))


# Routes that are not pages: signing out, deriving a plan version, unlocking an account and
# resetting its authenticator app only answer POST. The progress-report pages have their own role
# table, with reports in every state, in tests/reports/test_pages.py; the second step of signing
# in is tested in tests/web/test_second_factor.py.
NOT_PAGES = {
    "logout",
    "cbms:plan_derive",
    "members:user_unlock",
    "members:user_second_factor_reset",
    # Sending an invitation again, new recovery codes of one's own (POST): tests/members.
    "members:user_invitation_resend",
    "members:recovery_codes_new",
    "second_factor",
    "second_factor_setup",
    "second_factor_recovery",
    # A notice's buttons (POST) and its link (a redirect to its record): tests/members.
    "members:notification_read",
    "members:notifications_read_all",
    "members:notification_open",
    # The private calendar feed's buttons (POST) and the page showing a new address once:
    # tests/calendar/test_tokens.py.
    "calendar:feed_issue",
    "calendar:feed_revoke",
    "calendar:feed_issued",
    # An import's confirmation and a list's bulk edit (POST): tests/imports/test_pages.py.
    "imports:confirm",
    "imports:bulk_edit",
} | {
    f"cbms:report_{view}"
    for view in (
        *("list", "start", "detail", "edit", "submit", "accept", "return"),
        *("attachment", "attachment_remove"),  # the latter: tests/reports/test_attachment_remove.py
    )
}
PORTAL_NAMESPACES = {"members", "organizations", "conferences", "cbms", "calendar", "imports"}


def _portal_route_names() -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in PORTAL_NAMESPACES:
            names |= {f"{entry.namespace}:{p.name}" for p in entry.url_patterns}
        elif isinstance(entry, URLPattern) and entry.name and "api" not in entry.name:
            names.add(entry.name)
    return names - {"schema"} - NOT_PAGES


def test_every_page_of_the_portal_is_in_the_table():
    assert _portal_route_names() - {name for name, _, _ in PAGES} == set()


@pytest.mark.parametrize("method", ["post"])
def test_a_focal_point_changes_nothing_of_another_countrys_rtg(world, client_for, method):
    meeting = world.de_rtg
    before = Meeting.objects.filter(pk=meeting.pk).values().get()
    client = client_for("focal_fr")
    edit = client.post(
        reverse("conferences:meeting_update", args=[meeting.pk]),
        {"cbm": world.fr_cbm.pk, "date": "2014-12-20", "status": "held", "city": "Lyon"},
    )
    delete = client.post(reverse("conferences:meeting_delete", args=[meeting.pk]))
    assert (edit.status_code, delete.status_code) == (404, 404)
    assert Meeting.objects.filter(pk=meeting.pk).values().get() == before


def _edit_links(html: str) -> bool:
    return ">Edit<" in html


def test_edit_buttons_follow_the_role(world, client_for):
    de_page = reverse("cbms:cbm_detail", args=[world.de_cbm.pk])
    fr_page = reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])
    de_rtg = reverse("conferences:meeting_detail", args=[world.de_rtg.pk])
    fr_rtg = reverse("conferences:meeting_detail", args=[world.fr_rtg.pk])
    focal_fr = client_for("focal_fr")
    # The FR focal point: no Edit on DE items, but may schedule RTGs of its own CBM.
    assert not _edit_links(focal_fr.get(de_page).text)
    assert "Schedule or record an RTG" not in focal_fr.get(de_page).text
    assert "Schedule or record an RTG" in focal_fr.get(fr_page).text
    # A held RTG of a DE measure: public, so the FR focal point reads it, without an Edit.
    de_rtg_page = focal_fr.get(de_rtg)
    assert de_rtg_page.status_code == 200 and not _edit_links(de_rtg_page.text)
    assert _edit_links(focal_fr.get(fr_rtg).text)
    # The secretariat edits everything; the public nothing.
    assert _edit_links(client_for("secretariat").get(de_page).text)
    assert not _edit_links(client_for("anonymous").get(fr_page).text)
    assert not _edit_links(client_for("anonymous").get(fr_rtg).text)


def test_anonymous_users_see_only_published_data(world, client_for):
    client = client_for("anonymous")
    fr_page = client.get(reverse("cbms:cbm_detail", args=[world.fr_cbm.pk])).text
    de_page = client.get(reverse("cbms:cbm_detail", args=[world.de_cbm.pk])).text
    assert "Joint training" in fr_page  # the plan in force, with its activities
    assert "Draft revision" not in fr_page
    assert "Berlin" in de_page and "Bonn" not in de_page  # held RTG yes, planned no
    meetings = client.get(reverse("conferences:meeting_list")).text
    assert "Berlin" in meetings and "Bonn" not in meetings
    plans = client.get(reverse("cbms:plan_list")).text
    assert "Draft revision" not in plans
    csv = b"".join(client.get(reverse("cbms:plan_list"), {"format": "csv"}).streaming_content)
    assert b"Draft revision" not in csv
    assert "Compliance" not in client.get(reverse("home")).text


def test_the_secretariat_sees_drafts_and_planned_meetings(world, client_for):
    client = client_for("secretariat")
    assert "Draft revision" in client.get(reverse("cbms:plan_list")).text
    assert "Bonn" in client.get(reverse("conferences:meeting_list")).text


def test_a_nul_byte_is_refused_not_a_server_error(world, client_for):
    response = client_for("anonymous").get(reverse("cbms:cbm_list"), {"q": "a\x00b"})
    assert response.status_code == 400
