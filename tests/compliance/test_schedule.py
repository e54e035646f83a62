"""The secretariat's reminder schedule page: who may open it, what it refuses, what it keeps."""

import pytest
from django.urls import reverse

from cbms.compliance.services import obligations_recompute
from cbms.models import ReminderPolicy
from tests.compliance.conftest import days_before
from tests.members.factories import FocalPointFactory

pytestmark = pytest.mark.django_db

URL = "/reminder-schedule/"


def test_the_page_is_where_the_records_index_says(secretariat, client):
    client.force_login(secretariat)
    assert reverse("reminder_schedule") == URL
    assert URL in client.get(reverse("records")).text


def test_the_page_shows_the_defaults_before_anyone_saved(secretariat, client):
    client.force_login(secretariat)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'value="60, 30, 14, 7"' in page.text
    assert not ReminderPolicy.objects.exists()


@pytest.mark.parametrize(
    ("days", "escalate", "field"),
    [
        ("60, -30, 14", "14", "days_before"),
        ("60, 0", "14", "days_before"),
        ("366, 30", "14", "days_before"),
        ("sixty, 30", "14", "days_before"),
        ("30, 60", "14", "days_before"),
        ("60, 30, 30", "14", "days_before"),
        ("", "14", "days_before"),
        ("60, 30", "-1", "escalate_within_days"),
        ("60, 30", "366", "escalate_within_days"),
        ("60, 30", "fourteen", "escalate_within_days"),
    ],
)
def test_bad_values_are_errors_on_their_field_and_nothing_is_saved(
    secretariat, client, days, escalate, field
):
    ReminderPolicy.objects.create(pk=1)
    client.force_login(secretariat)
    history = ReminderPolicy.history.count()

    response = client.post(URL, {"days_before": days, "escalate_within_days": escalate})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {field}, form.errors
    assert 'aria-invalid="true"' in response.text
    policy = ReminderPolicy.objects.get()
    assert (policy.days_before, policy.escalate_within_days) == ([60, 30, 14, 7], 14)
    assert ReminderPolicy.history.count() == history


def test_a_saved_schedule_keeps_its_history_with_the_user_and_replans_at_once(
    reminder_world, secretariat, client
):
    world = reminder_world()
    obligations_recompute(on=days_before(90))
    client.force_login(secretariat)

    response = client.post(URL, {"days_before": " 45,20 , 5", "escalate_within_days": "20"})

    assert response.status_code == 302
    policy = ReminderPolicy.objects.get()
    assert (policy.days_before, policy.escalate_within_days) == ([45, 20, 5], 20)
    (version,) = ReminderPolicy.history.all()
    assert version.history_user == secretariat
    assert set(world.review().reminders.values_list("days_before", "escalate")) == {
        (45, False),
        (20, True),
        (5, True),
    }
    page = client.get(URL).text
    assert "45, 20, 5" in page and secretariat.username in page


@pytest.mark.parametrize("role", ["anonymous", "focal_point", "analyst"])
def test_only_the_secretariat_changes_the_schedule(client, role):
    if role == "focal_point":
        client.force_login(FocalPointFactory())
    elif role == "analyst":
        from tests.members.factories import UserFactory

        client.force_login(UserFactory())
    response = client.post(URL, {"days_before": "10", "escalate_within_days": "5"})
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert not ReminderPolicy.objects.exists()


def test_a_dari_keyboards_commas_and_digits_are_read_and_the_message_says_what_was_saved(
    secretariat, client
):
    client.force_login(secretariat)
    response = client.post(
        URL, {"days_before": "۴۵، ۲۰، ۵", "escalate_within_days": "20"}, follow=True
    )
    policy = ReminderPolicy.objects.get()
    assert (policy.days_before, policy.escalate_within_days) == ([45, 20, 5], 20)
    assert (
        "Saved the reminder schedule: reminders 45, 20, 5 days before the deadline; the desk "
        "from 20 days." in response.text
    )
