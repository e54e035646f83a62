"""Every change to a domain record is kept: who, when, what changed (SPEC §5)."""

import pytest
from django.apps import apps
from simple_history.models import registered_models
from simple_history.utils import update_change_reason

from tests.cbms.factories import LeadRoleFactory
from tests.members.factories import CountryFactory, SecretariatFactory

DOMAIN_APPS = ("members", "organizations", "conferences", "cbms")
# Written by the system, not edited: obligations are computed from records that have history and
# rewritten by every sweep; notices, reminders, invitations and the outbox are deliveries, not
# records; the meeting tally is a count the database keeps of the meetings (which have history);
# a calendar feed is a secret, issued and revoked, never edited; so is an API token's grant; an
# import is itself the record of what it changed (which the changed records' history names).
WITHOUT_HISTORY = {
    "cbms.Obligation",
    "cbms.ComplianceOutbox",
    "cbms.Reminder",
    "cbms.Invitation",
    "cbms.InvitationDelivery",
    "members.Notification",
    "members.CalendarFeed",
    "members.TokenGrant",
    "conferences.MeetingTally",
    "cbms.SpreadsheetImport",
}


def domain_models():
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            label = model._meta.label
            if not label.split(".")[1].startswith("Historical") and label not in WITHOUT_HISTORY:
                yield model


@pytest.mark.parametrize("model", list(domain_models()), ids=lambda m: m._meta.label)
def test_every_domain_record_keeps_its_history(model):
    assert model._meta.db_table in registered_models, f"{model._meta.label} has no history"


@pytest.mark.django_db
def test_a_change_records_who_when_and_what():
    editor = SecretariatFactory()
    role = LeadRoleFactory()
    role._history_user = editor
    role.until = role.since.replace(year=role.since.year + 3)
    role.save()
    update_change_reason(role, "lead handed over")

    latest, created = role.history.all()[:2]
    assert latest.history_user == editor
    assert latest.history_change_reason == "lead handed over"
    assert latest.history_date >= created.history_date
    changes = latest.diff_against(created).changes
    assert [(c.field, c.old, c.new) for c in changes] == [("until", None, role.until)]


@pytest.mark.django_db
def test_a_deleted_record_is_still_in_its_history():
    country = CountryFactory(name="Atlantis")
    country.delete()
    assert country.history.model.objects.filter(name="Atlantis", history_type="-").exists()
