import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from members.models import User
from tests.members.factories import CountryFactory


@pytest.fixture
def afghanistan(db):
    return CountryFactory(code="AFG", name="Afghanistan")


@override_settings(DEBUG=True)
def test_one_demo_account_per_role_printed_with_its_password(afghanistan, capsys):
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")  # a second run resets, it does not duplicate

    printed = capsys.readouterr().out
    accounts = {u.username: u for u in User.objects.all()}
    assert {u.role for u in accounts.values()} == {"secretariat", "focal_point", "analyst"}
    assert len(accounts) == 3
    assert accounts["focal-afg"].country == afghanistan
    assert accounts["secretariat"].is_staff and accounts["secretariat"].is_superuser
    assert not accounts["analyst"].is_staff
    for username, password in [
        ("secretariat", "demo-secretariat"),
        ("focal-afg", "demo-focal-point"),
        ("analyst", "demo-analyst"),
    ]:
        assert f"password={password}" in printed
        assert accounts[username].check_password(password)


@override_settings(DEBUG=False)
def test_no_demo_account_without_debug(afghanistan):
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("create_demo_accounts")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_superuser_is_secretariat_staff():
    user = User.objects.create_superuser("chief", "chief@example.org", "a-long-pass-phrase")
    assert user.role == "secretariat"
