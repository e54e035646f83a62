"""The account page: every signed-in person chooses what reaches their inbox (each notice, a
daily digest, none), the language of their emails, and, for the secretariat, the digest of missed
obligations. Saving says what changed; a bad value is a form error; history keeps who did it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.text import capfirst

from members.models import EmailDelivery, Notification, NotificationChannel, User
from members.services import Notice, notices_create, user_preferences_update
from tests.members.factories import FocalPointFactory, SecretariatFactory, UserFactory

URL = "/account/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, **data):
    values = {"email_delivery": "each", "email_language": "en"} | data
    return client.post(URL, {k: v for k, v in values.items() if v is not None})


@pytest.mark.django_db
def test_the_account_page_is_at_account_and_the_navbar_name_leads_there():
    assert reverse("members:account") == URL
    user = FocalPointFactory(username="fp-fra")
    home = _client(user).get(reverse("home")).text
    assert f'href="{URL}"' in home and "fp-fra" in home


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "offers_missed_digest"),
    [(SecretariatFactory, True), (FocalPointFactory, False), (UserFactory, False)],
    ids=["secretariat", "focal point", "analyst"],
)
def test_the_form_offers_the_missed_digest_to_the_secretariat_only(factory, offers_missed_digest):
    page = _client(factory()).get(URL)
    assert page.status_code == 200
    fields = set(page.context["form"].fields)
    assert {"email_delivery", "email_language"} <= fields
    assert ("missed_digest" in fields) is offers_missed_digest
    html = page.text
    assert 'for="id_email_delivery"' in html and 'for="id_email_language"' in html  # labelled


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "value", "said"),
    [
        ({"email_delivery": "digest"}, "email_delivery", "digest", "one email a day"),
        ({"email_delivery": "none"}, "email_delivery", "none", "no email"),
        ({"email_language": "fa"}, "email_language", "fa", "دری"),
    ],
)
def test_each_preference_is_saved_and_the_page_says_what_changed(data, field, value, said):
    user = FocalPointFactory()
    client = _client(user)

    response = _post(client, **data)

    assert response.status_code == 302 and response["Location"] == URL
    user.refresh_from_db()
    assert getattr(user, field) == value
    page = client.get(URL).text
    assert "Saved." in page and said in page
    assert str(capfirst(User._meta.get_field(field).verbose_name)) in page


@pytest.mark.django_db
def test_the_secretariat_opts_in_and_out_of_the_missed_digest():
    staff = SecretariatFactory()
    client = _client(staff)
    _post(client, missed_digest="on")
    staff.refresh_from_db()
    assert staff.missed_digest is True
    _post(client)  # the box unticked
    staff.refresh_from_db()
    assert staff.missed_digest is False


@pytest.mark.django_db
def test_a_focal_point_cannot_opt_in_to_the_missed_digest_by_posting_it():
    user = FocalPointFactory()
    _post(_client(user), missed_digest="on")
    user.refresh_from_db()
    assert user.missed_digest is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email_delivery": "weekly"}, "email_delivery"),
        ({"email_delivery": None}, "email_delivery"),
        ({"email_language": "de"}, "email_language"),
        ({"email_language": "en\x01"}, "email_language"),
    ],
)
def test_a_bad_value_is_a_form_error_and_changes_nothing(data, field):
    user = FocalPointFactory()
    client = _client(user)
    before = User.objects.filter(pk=user.pk).values().get()
    history = user.history.count()

    response = _post(client, **({"email_delivery": "digest"} | data))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "is-invalid" in response.text
    assert User.objects.filter(pk=user.pk).values().get() == before
    assert user.history.count() == history


@pytest.mark.django_db
def test_a_change_is_in_the_users_history_with_its_author():
    user = FocalPointFactory()
    client = _client(user)  # signing in saves last_login, a history row of its own
    history = user.history.count()

    _post(client, email_delivery="digest", email_language="fa")

    assert user.history.count() == history + 1
    entry = user.history.first()
    assert entry.history_user_id == user.pk
    assert (entry.email_delivery, entry.email_language) == ("digest", "fa")
    assert "email_delivery" in entry.history_change_reason


@pytest.mark.django_db
def test_saving_unchanged_preferences_writes_no_history():
    user = FocalPointFactory()
    client = _client(user)
    history = user.history.count()
    response = _post(client)
    assert response.status_code == 302
    assert user.history.count() == history


@pytest.mark.django_db
def test_the_page_changes_only_the_signed_in_persons_own_account():
    user, other = FocalPointFactory(), FocalPointFactory()
    # No account id travels in the form: an extra one is ignored.
    _post(_client(user), email_delivery="none", pk=other.pk, id=other.pk, username="taken")
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.email_delivery == EmailDelivery.NONE
    assert other.email_delivery == EmailDelivery.EACH
    assert user.username != "taken"


@pytest.mark.django_db
def test_the_service_refuses_someone_elses_preferences_and_unknown_or_unfit_changes():
    user, staff = FocalPointFactory(), SecretariatFactory()
    with pytest.raises(PermissionDenied):
        user_preferences_update(user=user, actor=staff, changes={"email_delivery": "none"})
    with pytest.raises(ValidationError) as unknown:
        user_preferences_update(user=user, actor=user, changes={"role": "secretariat"})
    assert "role" in unknown.value.message_dict
    with pytest.raises(ValidationError) as unfit:
        user_preferences_update(user=user, actor=user, changes={"missed_digest": True})
    assert "missed_digest" in unfit.value.message_dict
    with pytest.raises(ValidationError) as bad:
        user_preferences_update(user=user, actor=user, changes={"email_delivery": "hourly"})
    assert "email_delivery" in bad.value.message_dict
    user.refresh_from_db()
    assert (user.role, user.email_delivery, user.missed_digest) == ("focal_point", "each", False)


@pytest.mark.django_db
def test_the_account_page_holds_the_calendar_feed_section():
    page = _client(FocalPointFactory()).get(URL).text
    assert 'id="calendar-feed-heading"' in page


@pytest.mark.django_db
def test_choosing_no_email_drops_what_was_waiting_but_keeps_the_notices():
    """Switching back to email a month later must not bring the month's old news by email."""
    user = FocalPointFactory(email="fp@example.org")
    notices_create(notices=[Notice(user, "event:1", "A notice", "Body", "/cbms/")])
    assert Notification.objects.email_pending().filter(recipient=user).count() == 1

    user_preferences_update(user=user, actor=user, changes={"email_delivery": EmailDelivery.NONE})

    assert not Notification.objects.email_pending().filter(recipient=user).exists()
    assert Notification.objects.filter(
        recipient=user, channel=NotificationChannel.PORTAL, event_key="event:1"
    ).exists()
    user_preferences_update(user=user, actor=user, changes={"email_delivery": EmailDelivery.EACH})
    assert not Notification.objects.email_pending().filter(recipient=user).exists()
