"""Every page renders in a number of queries that does not grow with its rows (N+1 guard).

Each case counts the queries of a page, adds many rows of what the page shows, and counts again.
"""

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbms.models import CBMName, ProgressReport, ReminderPolicy, RoleKind, SpreadsheetImport
from members.models import Notification
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory, MeetingFactory, RtgFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    ParticipationFactory,
    UserFactory,
)
from tests.organizations.factories import MembershipFactory, OrganizationFactory
from tests.web.conftest import World

MANY = 12


def _countries(w: World, n: int):
    for _ in range(n):
        ParticipationFactory(country=CountryFactory())


def _cbms(w: World, n: int):
    for i in range(n):
        cbm = CBMFactory(code=f"N{i}", name=f"New measure {i}")
        LeadRoleFactory(cbm=cbm, country=w.france)
        LeadRoleFactory(cbm=cbm, country=CountryFactory(), role=RoleKind.SUPPORTING)
        RtgFactory(cbm=cbm, date=dt.date(2015, 1, 10 + i % 15))


def _reports(w: World, n: int):
    """More CBMs led by France, each with a report in each held cycle, and a conference more."""
    for i in range(n):
        cbm = CBMFactory(code=f"R{i}", name=f"Reported measure {i}")
        LeadRoleFactory(cbm=cbm, country=w.france, since=dt.date(2012, 1, 1))
        for conference in (w.beijing, w.islamabad):
            ProgressReport.objects.create(
                cbm=cbm, conference=conference, country=w.france, created_by=w.users["focal_fr"]
            )
    ConferenceFactory(number=90 + n, date=dt.date(2040, 1, 1) + dt.timedelta(days=n))


def _rtgs(w: World, n: int):
    for i in range(n):
        RtgFactory(cbm=w.fr_cbm, date=dt.date(2015, 1, 1) + dt.timedelta(days=i), host=w.france)
        MeetingFactory(date=dt.date(2016, 1, 1) + dt.timedelta(days=i), host=w.germany)


def _rtg_pages(w: World, n: int):
    """More RTGs of France's CBM than a page of "my country" lists."""
    for i in range(3 * n):
        RtgFactory(cbm=w.fr_cbm, date=dt.date(2015, 2, 1) + dt.timedelta(days=i))


def _roles(w: World, n: int):
    for _ in range(n):
        LeadRoleFactory(cbm=w.fr_cbm, country=CountryFactory(), role=RoleKind.SUPPORTING)


def _memberships(w: World, n: int):
    for _ in range(n):
        MembershipFactory(organization=w.organization, country=CountryFactory())
        MembershipFactory(organization=OrganizationFactory(), country=w.afghanistan)


def _conferences(w: World, n: int):
    for i in range(n):
        ConferenceFactory(number=100 + i, date=dt.date(2040, 1, 1) + dt.timedelta(days=i))


def _articles(w: World, n: int):
    from tests.conferences.factories import DeclarationFactory

    for i in range(n):
        w.declaration.articles.create(number=100 + i, text=f"Article text {i}")
        DeclarationFactory(
            conference=ConferenceFactory(number=200 + i, date=None, year=2090, status="planned")
        )


def _plans(w: World, n: int):
    for i in range(n):
        for plan in (w.fr_plan, w.fr_draft):  # published, and the draft edited in place
            area = PriorityAreaFactory(plan=plan, number=100 + i)
            ActivityFactory(priority_area=area, number=1)
            ActivityFactory(priority_area=area, number=2)
        PlanVersionFactory(cbm=w.de_cbm, version=10 + i, status="superseded")


def _notices(w: World, n: int):
    for i in range(n):
        Notification.objects.create(
            recipient=w.users["focal_fr"],
            channel="portal",
            event_key=f"more:{i}",
            subject=f"Notice {i}",
            body="…",
        )


def _edits(w: World, n: int):
    for i in range(n):
        w.fr_cbm.name = f"Renamed {i}"
        w.fr_cbm.desk = f"Desk {i}"
        w.fr_cbm.save()


def _users(w: World, n: int):
    for _ in range(n):
        FocalPointFactory(country=CountryFactory())
        UserFactory(is_active=False)


def _user_edits(w: World, n: int):
    user = w.users["focal_fr"]
    for i in range(n):
        user.first_name = f"Name {i}"
        user.country = CountryFactory()
        user.save()


def _schedule_edits(w: World, n: int):
    """Versions of the reminder schedule, each by another user (the page names who)."""
    policy = ReminderPolicy.objects.filter(pk=1).first() or ReminderPolicy(pk=1)
    for i in range(n):
        policy.days_before = [60 + i, 30, 7]
        policy._history_user = UserFactory()
        policy.save()


def _names(w: World, n: int):
    for i in range(n):
        since = dt.date(2040, 1, 1) + dt.timedelta(days=10 * i)
        CBMName.objects.create(
            cbm=w.fr_cbm,
            code=f"F{i}",
            name=f"Former name {i}",
            since=since,
            until=since + dt.timedelta(days=5),
            decided_at=ConferenceFactory(number=300 + i, date=since),
        )


def _a_name(w: World) -> list:
    name, _ = CBMName.objects.get_or_create(
        cbm=w.fr_cbm, since=dt.date(1999, 1, 1), defaults={"code": "OLD", "name": "Old name"}
    )
    return [name.pk]


def _everything(w: World, n: int):
    _cbms(w, n)
    _rtgs(w, n)
    _roles(w, n)
    _plans(w, n)
    _names(w, n)


def _imports(w: World, n: int):
    for i in range(n):
        SpreadsheetImport.objects.create(
            kind="meetings",
            source="file",
            file_name=f"meetings-{i}.xlsx",
            file_format="xlsx",
            content=b"",
            created_by=w.users["focal_fr"],
            status="previewed",
        )


Grow = Callable[[World, int], None]

CASES: list[tuple[str, str, Callable[[World], list], Grow]] = [
    ("anonymous", "home", lambda w: [], _conferences),
    ("anonymous", "members:country_list", lambda w: [], _countries),
    ("anonymous", "members:country_detail", lambda w: [w.afghanistan.pk], _memberships),
    ("anonymous", "members:participation_list", lambda w: [], _countries),
    ("anonymous", "organizations:organization_list", lambda w: [], _memberships),
    ("anonymous", "organizations:organization_detail", lambda w: [w.organization.pk], _memberships),
    ("anonymous", "organizations:membership_list", lambda w: [], _memberships),
    ("anonymous", "conferences:conference_list", lambda w: [], _conferences),
    ("anonymous", "conferences:conference_detail", lambda w: [w.beijing.pk], _articles),
    ("anonymous", "conferences:declaration_list", lambda w: [], _articles),
    ("anonymous", "conferences:article_list", lambda w: [], _articles),
    ("anonymous", "conferences:meeting_list", lambda w: [], _rtgs),
    ("focal_fr", "conferences:meeting_list", lambda w: [], _rtgs),
    # With the bulk edit's checkboxes and the spreadsheet links.
    ("secretariat", "conferences:meeting_list", lambda w: [], _rtgs),
    ("secretariat", "cbms:role_list", lambda w: [], _roles),
    ("secretariat", "imports:list", lambda w: _imports(w, 1) or [], _imports),
    ("anonymous", "cbms:cbm_list", lambda w: [], _cbms),
    ("anonymous", "cbms:cbm_detail", lambda w: [w.fr_cbm.pk], _everything),
    ("focal_fr", "cbms:cbm_detail", lambda w: [w.fr_cbm.pk], _everything),
    ("anonymous", "cbms:role_list", lambda w: [], _roles),
    ("anonymous", "cbms:plan_list", lambda w: [], _plans),
    ("anonymous", "cbms:plan_detail", lambda w: [w.fr_plan.pk], _plans),
    ("anonymous", "cbms:area_list", lambda w: [], _plans),
    ("anonymous", "cbms:activity_list", lambda w: [], _plans),
    ("analyst", "dashboard", lambda w: [], _cbms),
    ("analyst", "dashboard", lambda w: [], _rtgs),
    ("focal_fr", "my_country", lambda w: [], _cbms),
    ("focal_fr", "my_country", lambda w: [], _rtgs),
    # Past a page of CBMs (the dashboard's) and of RTGs (my country's).
    ("secretariat", "dashboard", lambda w: [], _cbms),
    ("focal_fr", "my_country", lambda w: [], _rtg_pages),
    ("focal_fr", "members:notifications", lambda w: [], _notices),
    ("focal_fr", "members:account", lambda w: [], _notices),
    ("secretariat", "records", lambda w: [], _everything),
    # CBM × cycle: more CBMs, more reports, one cycle more.
    ("secretariat", "cbms:report_overview", lambda w: [], _reports),
    ("focal_fr", "cbms:report_list", lambda w: [], _reports),
    ("secretariat", "reminder_schedule", lambda w: [], _schedule_edits),
    ("secretariat", "cbms:cbm_history", lambda w: [w.fr_cbm.pk], _edits),
    ("secretariat", "cbms:cbm_delete", lambda w: [w.fr_cbm.pk], _plans),
    ("secretariat", "cbms:cbm_update", lambda w: [w.fr_cbm.pk], _cbms),
    ("secretariat", "cbms:cbm_create", lambda w: [], _cbms),
    ("secretariat", "conferences:meeting_create", lambda w: [], _cbms),
    ("focal_fr", "conferences:meeting_create", lambda w: [], _cbms),
    ("secretariat", "members:country_delete", lambda w: [w.afghanistan.pk], _memberships),
    ("secretariat", "members:user_list", lambda w: [], _users),
    ("secretariat", "members:user_detail", lambda w: [w.users["focal_fr"].pk], _user_edits),
    ("secretariat", "members:user_update", lambda w: [w.users["focal_fr"].pk], _users),
    ("secretariat", "members:user_history", lambda w: [w.users["focal_fr"].pk], _user_edits),
    ("secretariat", "members:user_delete", lambda w: [w.users["analyst"].pk], _users),
    ("anonymous", "cbms:cbm_detail", lambda w: [w.fr_cbm.pk], _names),
    ("secretariat", "cbms:cbm_detail", lambda w: [w.fr_cbm.pk], _everything),
    ("secretariat", "cbms:plan_detail", lambda w: [w.fr_plan.pk], _plans),
    ("secretariat", "cbms:name_create", lambda w: [w.fr_cbm.pk], _names),
    ("secretariat", "cbms:name_update", _a_name, _names),
    ("secretariat", "cbms:role_end", lambda w: [w.fr_role.pk], _roles),
]


def _count(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


@pytest.mark.parametrize(
    ("role", "name", "args", "grow"),
    CASES,
    ids=[f"{name}-{role}-{grow.__name__.strip('_')}" for role, name, _, grow in CASES],
)
def test_queries_do_not_grow_with_rows(world, client_for, role, name, args, grow):
    client = client_for(role)
    url = reverse(name, args=args(world))
    client.get(url)  # warm caches (content types, session)
    few, _ = _count(client, url)
    grow(world, MANY)
    many, queries = _count(client, url)
    assert many == few, "\n".join(queries)


def test_csv_export_queries_do_not_grow_with_rows(world, client_for):
    client = client_for("anonymous")
    url = reverse("cbms:cbm_list") + "?format=csv"
    few, _ = _count(client, url)
    _cbms(world, MANY)
    many, queries = _count(client, url)
    assert many == few, "\n".join(queries)


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_an_export_for_editing_costs_the_same_queries_for_more_rows(
    world, client_for, export_format
):
    client = client_for("secretariat")
    url = reverse("conferences:meeting_list") + f"?format={export_format}&for=import"
    few, _ = _count(client, url)
    _rtgs(world, MANY)
    many, queries = _count(client, url)
    assert many == few, "\n".join(queries)


def test_user_csv_export_queries_do_not_grow_with_rows(world, client_for):
    client = client_for("secretariat")
    url = reverse("members:user_list") + "?format=csv"
    few, _ = _count(client, url)
    _users(world, MANY)
    many, queries = _count(client, url)
    assert many == few, "\n".join(queries)


HTMX = {"HTTP_HX_REQUEST": "true"}

# What an inline row's requests answer with (tests/web/test_inline.py): a part of a page.
INLINE: list[tuple[str, Callable[[World], list], Grow, str]] = [
    ("cbms:plan_detail", lambda w: [w.fr_plan.pk], _plans, "plan-body"),
    ("cbms:cbm_detail", lambda w: [w.fr_cbm.pk], _everything, "cbm-roles"),
    ("cbms:activity_create", lambda w: [w.draft_area.pk], _plans, ""),
    ("cbms:activity_update", lambda w: [w.draft_activity.pk], _plans, ""),
    ("cbms:activity_delete", lambda w: [w.draft_activity.pk], _plans, ""),
    ("cbms:role_update", lambda w: [w.fr_role.pk], _roles, ""),
]


@pytest.mark.parametrize(
    ("name", "args", "grow", "target"),
    INLINE,
    ids=[f"{name}-{target or 'form'}" for name, _, _, target in INLINE],
)
def test_inline_fragments_do_not_grow_with_rows(world, client_for, name, args, grow, target):
    client = client_for("secretariat")
    url = reverse(name, args=args(world))
    headers = {**HTMX, "HTTP_HX_TARGET": target} if target else HTMX
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, **headers).status_code == 200
    grow(world, MANY)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url, **headers).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


@pytest.mark.parametrize(
    ("name", "args", "data", "grow"),
    [
        ("cbms:activity_create", lambda w: [w.draft_area.pk], {"title": "New"}, _plans),
        (
            "cbms:role_create",
            lambda w: [w.fr_cbm.pk],
            {"role": "supporting", "organization": None},
            _roles,
        ),
    ],
    ids=["activity", "role"],
)
def test_an_inline_save_answers_in_queries_that_do_not_grow(
    world, client_for, name, args, data, grow
):
    client = client_for("secretariat")
    url = reverse(name, args=args(world))
    counter = iter(range(50, 100))

    def post() -> int:
        day = dt.date(2013, 1, 1) + dt.timedelta(days=next(counter))
        payload = {**data, "number": next(counter), "since": day.isoformat()}
        if "organization" in payload:
            payload["organization"] = OrganizationFactory().pk
        with CaptureQueriesContext(connection) as context:
            response = client.post(url, payload, **HTMX)
        assert response.status_code == 200 and "HX-Retarget" in response, response.text
        return len(context)

    post()
    few = post()
    grow(world, MANY)
    assert post() == few
