"""The list endpoints' shortcuts (they exist for `make bench-api`) must not change a single byte
of what analysts get: rows read with `.values()`, counts taken without joins, the filterset
skipped when no filter is asked for, a token checked without sweeping the user's other tokens."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIRequestFactory

from cbms.models import Obligation
from conferences.api import MeetingViewSet
from conferences.models import Meeting
from hoa_portal.api import viewsets
from hoa_portal.api.filters import PortalFilterBackend
from hoa_portal.api_urls import router
from members import services
from members.tasks import api_tokens_purge
from tests.api.conftest import token_client
from tests.conferences.factories import MeetingFactory, RtgFactory

SAVEPOINT_WORDS = {"SAVEPOINT", "RELEASE", "ROLLBACK"}


def _statements(captured) -> list[str]:
    return [query["sql"] for query in captured if query["sql"].split()[0] not in SAVEPOINT_WORDS]


LISTS = [
    (f"/api/v1/{prefix}/", viewset)
    for prefix, viewset, _ in router.registry
    if viewset.serializer_class is not None
    and viewsets.values_columns(viewset.serializer_class) is not None
]


def test_the_benchmarked_lists_take_the_values_path():
    paths = {path for path, _ in LISTS}
    assert {"/api/v1/meetings/", "/api/v1/obligations/"} <= paths


@pytest.mark.parametrize(
    "params",
    [{}, {"ordering": "-{unique}"}, {"page_size": 1}],
    ids=["default order", "ordered", "paged"],
)
@pytest.mark.parametrize(("path", "viewset"), LISTS, ids=[path for path, _ in LISTS])
def test_values_path_answers_exactly_what_the_serializer_does(
    world, monkeypatch, path, viewset, params
):
    # Reversed on a unique field the list orders on (any other ordering is a 400).
    unique = "id" if "id" in viewset.ordering_fields else viewset.lookup_field
    params = {name: str(value).format(unique=unique) for name, value in params.items()}
    RtgFactory(cbm=world.cbm, date=dt.date(2016, 5, 2), city="Lyon", host=None)
    MeetingFactory(kind="som", date=dt.date(2017, 6, 3), city="Baku", status="planned")
    client = token_client(world.users["secretariat"])

    fast = client.get(path, params)
    monkeypatch.setattr(viewsets, "values_columns", lambda serializer_class: None)
    slow = client.get(path, params)

    assert fast.status_code == slow.status_code == 200
    assert fast.json() == slow.json()
    assert fast.json()["results"]  # something was compared


def test_the_count_is_the_number_of_rows_the_caller_may_see(world):
    RtgFactory(cbm=world.cbm, date=dt.date(2016, 5, 2), host=None)
    MeetingFactory(kind="som", date=dt.date(2017, 6, 3), status="planned")

    analyst = token_client(world.users["analyst"]).get("/api/v1/meetings/").json()
    staff = token_client(world.users["secretariat"]).get("/api/v1/meetings/").json()

    assert analyst["count"] == Meeting.objects.filter(status="held").count() == 3
    assert staff["count"] == Meeting.objects.count() == 4
    assert len(staff["results"]) == 4


def test_no_filter_parameter_leaves_the_queryset_untouched(world):
    view = MeetingViewSet(action_map={"get": "list"}, format_kwarg=None)
    view.request = request = view.initialize_request(
        APIRequestFactory().get("/api/v1/meetings/", {"page": 1, "ordering": "date"})
    )
    queryset = Meeting.objects.all()

    assert PortalFilterBackend().filter_queryset(request, queryset, view) is queryset


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_after": "2015-03-15"}, ["2015-04-01"]),  # a range filter's suffixed parameter
        ({"kind": "rtg"}, ["2015-03-01"]),
    ],
)
def test_a_filter_parameter_still_filters(world, params, expected):
    response = token_client(world.users["analyst"]).get("/api/v1/meetings/", params)

    assert [row["date"] for row in response.json()["results"]] == expected


def test_a_bad_filter_value_is_still_a_400(world):
    response = token_client(world.users["analyst"]).get(
        "/api/v1/obligations/", {"status": "nonsense"}
    )

    assert response.status_code == 400
    assert "status" in response.json()
    assert Obligation.objects.count() == 1


def _expire(key_owner_token: AuthToken) -> None:
    AuthToken.objects.filter(pk=key_owner_token.pk).update(
        expiry=timezone.now() - dt.timedelta(seconds=1)
    )


def test_an_expired_token_is_refused(world):
    analyst = world.users["analyst"]
    token, key = AuthToken.objects.create(user=analyst)
    _expire(token)
    client = token_client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/v1/obligations/").status_code == 401


def test_a_request_leaves_the_users_other_expired_tokens_to_the_daily_purge(world):
    analyst = world.users["analyst"]
    stale, _ = AuthToken.objects.create(user=analyst)
    _expire(stale)
    client = token_client(analyst)

    assert client.get("/api/v1/obligations/").status_code == 200
    assert AuthToken.objects.filter(pk=stale.pk).exists()

    assert api_tokens_purge.delay().get() == 1
    assert not AuthToken.objects.filter(pk=stale.pk).exists()
    assert AuthToken.objects.filter(user=analyst).count() == 1  # the live one stays
    assert services.api_tokens_purge() == 0  # a second run finds nothing


def test_a_list_is_token_count_and_page_and_the_count_joins_nothing(world):
    client = token_client(world.users["analyst"])
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/obligations/").status_code == 200

    # The request's transaction is a savepoint inside the test's: left out.
    statements = _statements(captured)
    assert len(statements) == 3
    token, count, page = statements
    assert "knox_authtoken" in token and "members_user" in token  # one query, user joined
    assert "COUNT(*)" in count and "JOIN" not in count
    assert "cbms_cbm" in page  # the codes come with the page


@pytest.mark.parametrize("role", ["anonymous", "analyst", "secretariat"])
def test_an_unfiltered_meetings_list_is_counted_by_the_tally(world, role):
    MeetingFactory(kind="som", date=dt.date(2031, 6, 3), status="planned")
    client = token_client(world.users[role])

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/meetings/", {"ordering": "-id", "page_size": 1})

    *_, count, page = _statements(captured)
    assert "conferences_meetingtally" in count and 'conferences_meeting"' not in count
    assert 'conferences_meeting"' in page
    visible = Meeting.objects.visible_to(world.users[role] or AnonymousUser())
    assert response.json()["count"] == visible.count() == (3 if role == "secretariat" else 2)


@pytest.mark.parametrize(
    ("role", "params", "expected"),
    [
        ("analyst", {"kind": "rtg"}, 1),
        ("secretariat", {"status": "planned"}, 1),
        ("fp_lead", {}, 3),  # its country's planned RTG included
        ("fp_other", {}, 2),  # the meetings held, France's RTG included (SPEC §5)
    ],
)
def test_a_filtered_list_or_a_focal_points_is_counted_in_the_meetings(
    world, role, params, expected
):
    RtgFactory(cbm=world.cbm, date=dt.date(2031, 6, 3), status="planned")
    client = token_client(world.users[role])

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/meetings/", params)

    assert not any("conferences_meetingtally" in sql for sql in _statements(captured))
    assert response.json()["count"] == expected == len(response.json()["results"])
