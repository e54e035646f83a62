"""What reaches an inbox: each notice by email, a daily digest of them, or none; the portal
keeps every notice whatever the choice. Emails give the link in full and are written in the
recipient's language. Sending is at least once underneath, so nothing may go twice."""

import datetime as dt
import os
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from members import services
from members.models import EmailDelivery, Notification
from members.services import (
    Notice,
    notices_create,
    notices_in_languages,
    notifications_digest_email,
    notifications_email,
)
from members.tasks import notifications_digest_email as digest_task
from tests.members.factories import FocalPointFactory

pytestmark = pytest.mark.django_db


def _notify(user, key: str, link: str = "/reports/5/") -> int:
    return notices_create(
        notices=[Notice(user, key, f"Subject {key}", f"Body {key}", link)],
    )


def _channels(user) -> set[str]:
    return set(Notification.objects.filter(recipient=user).values_list("channel", flat=True))


def test_each_is_one_email_per_notice_with_the_link_in_full(settings):
    settings.PORTAL_URL = "https://portal.example.org"
    reader = FocalPointFactory(email_delivery=EmailDelivery.EACH)
    _notify(reader, "a", link="/reports/5/")
    _notify(reader, "b", link="/cbms/3/")

    assert notifications_email() == 2

    assert [m.to for m in mail.outbox] == [[reader.email], [reader.email]]
    assert [m.subject for m in mail.outbox] == ["Subject a", "Subject b"]
    assert "https://portal.example.org/reports/5/" in mail.outbox[0].body
    assert "https://portal.example.org/cbms/3/" in mail.outbox[1].body
    assert notifications_email() == 0  # a rerun sends nothing twice
    assert len(mail.outbox) == 2


@pytest.mark.skipif("PORTAL_URL" in os.environ, reason="the environment sets its own")
def test_the_portal_url_defaults_to_the_local_server():
    assert settings.PORTAL_URL == "http://127.0.0.1:8000"
    assert services.portal_url("/reports/5/") == "http://127.0.0.1:8000/reports/5/"
    assert services.portal_url("") == ""


def test_none_stores_no_email_but_keeps_the_notice_in_the_portal():
    reader = FocalPointFactory(email_delivery=EmailDelivery.NONE)
    assert _notify(reader, "a") == 1
    assert _channels(reader) == {"portal"}
    assert notifications_email() == 0
    assert notifications_digest_email() == 0
    assert mail.outbox == []
    assert Notification.objects.unread().filter(recipient=reader).count() == 1


@pytest.mark.parametrize("delivery", [EmailDelivery.EACH, EmailDelivery.DIGEST])
def test_each_and_digest_store_an_email_row_as_well(delivery):
    reader = FocalPointFactory(email_delivery=delivery)
    assert _notify(reader, "a") == 2
    assert _channels(reader) == {"portal", "email"}


def test_digest_sends_nothing_until_the_digest_then_one_email_with_all():
    reader = FocalPointFactory(email_delivery=EmailDelivery.DIGEST)
    other = FocalPointFactory(email_delivery=EmailDelivery.EACH)
    for key, link in (("a", "/reports/1/"), ("b", "/cbms/2/"), ("c", "/meetings/3/")):
        _notify(reader, key, link)
    _notify(other, "x")

    assert notifications_email() == 1  # the "each" reader's only
    assert [m.to for m in mail.outbox] == [[other.email]]

    assert notifications_digest_email(on=dt.date(2026, 3, 9)) == 1

    digest = mail.outbox[1]
    assert digest.to == [reader.email]
    assert "9 March 2026" in digest.subject
    for key, link in (("a", "/reports/1/"), ("b", "/cbms/2/"), ("c", "/meetings/3/")):
        assert f"Subject {key}" in digest.body
        assert f"http://127.0.0.1:8000{link}" in digest.body
    assert not Notification.objects.email_pending().exists()
    # The in-portal notices are untouched: still there, still unread.
    assert Notification.objects.unread().filter(recipient=reader).count() == 3


def test_the_digest_is_idempotent_and_skips_those_with_nothing_pending():
    reader = FocalPointFactory(email_delivery=EmailDelivery.DIGEST)
    idle = FocalPointFactory(email_delivery=EmailDelivery.DIGEST)
    _notify(reader, "a")

    assert notifications_digest_email() == 1
    assert notifications_digest_email() == 0  # a rerun sends nothing
    assert digest_task() == 0  # nor does the beat task
    assert [m.to for m in mail.outbox] == [[reader.email]]
    assert idle.email not in {address for m in mail.outbox for address in m.to}

    _notify(reader, "b")  # a new notice: the next digest has it, and only it
    assert notifications_digest_email() == 1
    assert "Subject b" in mail.outbox[-1].body and "Subject a" not in mail.outbox[-1].body


def test_a_digest_reader_without_an_address_is_skipped_and_their_rows_settled():
    reader = FocalPointFactory(email_delivery=EmailDelivery.DIGEST, email="")
    _notify(reader, "a")
    assert notifications_digest_email() == 0
    assert mail.outbox == []
    assert not Notification.objects.email_pending().exists()


def test_a_dari_readers_digest_is_composed_under_dari():
    """The date in the subject is Django's own Dari (fa) month name."""
    reader = FocalPointFactory(email_delivery=EmailDelivery.DIGEST, email_language="fa")
    _notify(reader, "a")
    with translation.override("fa"):
        march = translation.gettext("March")
    assert march != "March"  # Django ships this translation

    notifications_digest_email(on=dt.date(2026, 3, 9))

    assert march in mail.outbox[0].subject
    assert "March" not in mail.outbox[0].subject


def test_an_email_of_a_dari_reader_is_composed_under_dari(monkeypatch):
    """Each string of the email is looked up with Dari active (the catalogue comes later)."""
    reader = FocalPointFactory(email_delivery=EmailDelivery.EACH, email_language="fa")
    english = FocalPointFactory(email_delivery=EmailDelivery.EACH, email_language="en")
    looked_up = []

    def gettext(message):
        looked_up.append((message, translation.get_language()))
        return message

    monkeypatch.setattr(services, "gettext", gettext)
    notices = notices_in_languages(
        recipients=[reader, english],
        event_key="report:1:accepted:1",
        compose=lambda: (services.gettext("Accepted"), services.gettext("Your report")),
        link="/reports/1/",
    )
    notices_create(notices=notices)
    notifications_email()

    assert ("Accepted", "fa") in looked_up and ("Accepted", "en") in looked_up
    opened = [lang for message, lang in looked_up if message.startswith("Open it in the portal")]
    assert sorted(opened) == ["en", "fa"]


@pytest.mark.django_db(transaction=True)
def test_a_recipient_another_worker_is_sending_to_is_skipped_not_waited_for():
    """Two digest runs at once: the second skips the person the first holds, sends the rest."""
    from django.db import connections, transaction

    from members.models import User

    held = FocalPointFactory(email_delivery=EmailDelivery.DIGEST)
    free = FocalPointFactory(email_delivery=EmailDelivery.DIGEST)
    _notify(held, "a")
    _notify(free, "b")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                User.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        assert notifications_digest_email() == 1
        assert [m.to for m in mail.outbox] == [[free.email]]
    finally:
        release.set()
        worker.join()
    assert notifications_digest_email() == 1  # once free, its turn comes
    assert [m.to for m in mail.outbox][-1] == [held.email]
