"""Report notices lead to the page where their reader acts: submitted → every active secretariat
user and the CBM's desk officer, to review it; returned → the country's focal points, with the
comment, to edit it; accepted → the same, to the report. Each in its reader's language."""

import pytest
from django.utils import translation

from cbms.reports import services
from cbms.reports.services import report_accept, report_return, report_submit
from members.models import Notification
from tests.members.factories import FocalPointFactory, SecretariatFactory, UserFactory


def _portal(**filters):
    return Notification.objects.filter(channel="portal", **filters)


def _recipients(event: str) -> set[str]:
    return set(_portal(event_key__contains=event).values_list("recipient__username", flat=True))


@pytest.fixture
def submitted(rw):
    SecretariatFactory(username="gone", is_active=False)
    return report_submit(report=rw.start(narrative="N"), actor=rw.fp_fra)


def test_submitted_tells_every_active_secretariat_user_once_with_a_link_to_review(rw, submitted):
    assert _recipients(":submitted:") == {"desk", "reviewer2"}  # desk is also the desk officer
    assert set(_portal(event_key__contains=":submitted:").values_list("link", flat=True)) == {
        f"/reports/{submitted.pk}/"
    }
    notice = _portal(recipient=rw.staff).get()
    assert notice.subject == "CT report of FRA for MC 2: submitted for review"
    assert "France submitted version 1" in notice.body


def test_a_desk_officer_outside_the_secretariat_is_told_as_well(rw):
    officer = UserFactory(username="officer")  # an analyst put on the desk, say
    rw.cbm.desk_officer = officer
    rw.cbm.save()
    report_submit(report=rw.start(), actor=rw.fp_fra)
    assert _recipients(":submitted:") == {"desk", "reviewer2", "officer"}


def test_returned_tells_the_countrys_focal_points_the_comment_and_links_to_edit(rw, submitted):
    colleague = FocalPointFactory(username="fp-fra-2", country=rw.france)
    FocalPointFactory(username="fp-fra-gone", country=rw.france, is_active=False)

    report_return(report=submitted, actor=rw.staff, comment="Add the figures for 2013.")

    assert _recipients(":returned:") == {"fp-fra", colleague.username}
    notice = _portal(recipient=rw.fp_fra, event_key__contains=":returned:").get()
    assert notice.subject == "CT report of FRA for MC 2: returned"
    assert "Add the figures for 2013." in notice.body
    assert notice.link == f"/reports/{submitted.pk}/edit/"


def test_accepted_tells_the_countrys_focal_points_with_a_link_to_the_report(rw, submitted):
    report_accept(report=submitted, actor=rw.staff)

    assert _recipients(":accepted:") == {"fp-fra"}  # not Germany's
    notice = _portal(recipient=rw.fp_fra, event_key__contains=":accepted:").get()
    assert notice.subject == "CT report of FRA for MC 2: accepted"
    assert notice.link == f"/reports/{submitted.pk}/"


def test_each_notice_is_composed_in_its_readers_language(rw, monkeypatch):
    rw.staff2.email_language = "fa"
    rw.staff2.save()
    looked_up = []

    def gettext(message):
        looked_up.append((message, translation.get_language()))
        return message

    monkeypatch.setattr(services, "gettext", gettext)
    report_submit(report=rw.start(), actor=rw.fp_fra)

    subject = "%(report)s: submitted for review"
    assert sorted(lang for message, lang in looked_up if message == subject) == ["en", "fa"]
