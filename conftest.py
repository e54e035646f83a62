import pytest


@pytest.fixture
def secretariat(db):
    from tests.members.factories import SecretariatFactory

    return SecretariatFactory()
