"""API reads run outside any transaction; writes in one (hoa_portal.api.viewsets.AtomicWritesMixin).

These tests commit for real (transaction=True): inside a test's own transaction every request
would only ever open a savepoint, and the difference could not be seen.
"""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from conferences.api import MeetingViewSet
from conferences.models import Meeting
from tests.api.conftest import token_client
from tests.conferences.factories import MeetingFactory
from tests.members.factories import SecretariatFactory

pytestmark = pytest.mark.django_db(transaction=True)
SOM = {"kind": "som", "date": "2016-12-01", "status": "held", "city": "Baku"}


def _transaction_statements(captured) -> list[str]:
    words = (query["sql"].split()[0].upper() for query in captured)
    return [word for word in words if word in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"}]


@pytest.mark.parametrize("method", ["get", "head", "options"])
@pytest.mark.parametrize("path", ["/api/v1/meetings/", "/api/v1/meetings/{pk}/"])
def test_a_read_opens_no_transaction(method, path):
    meeting = MeetingFactory()
    client = token_client(SecretariatFactory())

    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path.format(pk=meeting.pk))

    assert response.status_code == 200
    assert len(captured) >= 1  # it did read
    assert _transaction_statements(captured) == []


def test_a_write_runs_in_one_transaction():
    client = token_client(SecretariatFactory())

    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/meetings/", SOM, format="json")

    assert response.status_code == 201
    statements = _transaction_statements(captured)
    assert statements[0] == captured[0]["sql"] == "BEGIN"
    assert statements[-1] == captured[-1]["sql"] == "COMMIT"
    assert statements.count("BEGIN") == statements.count("COMMIT") == 1  # the rest savepoints


def test_a_write_that_fails_after_writing_leaves_nothing(monkeypatch):
    client = token_client(SecretariatFactory())

    def create_then_fail(self, serializer):
        serializer.save()  # the meeting and its history row are written...
        raise IntegrityError("a constraint no validator foresaw")  # ...then the write fails

    monkeypatch.setattr(MeetingViewSet, "perform_create", create_then_fail)
    response = client.post("/api/v1/meetings/", SOM, format="json")

    assert response.status_code == 400
    assert not Meeting.objects.exists()
    assert not Meeting.history.exists()
