"""The secretariat's user pages: list, create, edit, new password, deactivate/reactivate, delete
(only an account nobody's history names), history. The rules are the API's (members.services):
a focal point has a country and no other role does; passwords pass Django's validators."""

import csv
import io

import pytest
from django.urls import reverse
from knox.models import AuthToken

from cbms.models import CBM
from members.models import User
from tests.members.factories import CountryFactory, FocalPointFactory, UserFactory
from tests.web.conftest import PASSWORD, World, sign_in

STRONG = "Str0ng-Passphrase-9"


def _account(w: World, **changes) -> dict:
    data = {
        "username": "fp-deu-2",
        "first_name": "Greta",
        "last_name": "Gruber",
        "email": "greta@example.org",
        "role": "focal_point",
        "country": w.germany.pk,
    }
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def _fields(u: User) -> dict:
    return User.objects.filter(pk=u.pk).values().get()


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "focal_fr"])
def test_no_one_but_the_secretariat_changes_an_account(world, client_for, role):
    client, target = client_for(role), world.users["focal_de"]
    before, count = _fields(target), User.objects.count()
    answers = [
        client.post(reverse("members:user_create"), _account(world)),
        client.post(
            reverse("members:user_update", args=[target.pk]),
            {"username": "x", "role": "secretariat"},
        ),
        client.post(
            reverse("members:user_password", args=[target.pk]),
            {"password1": STRONG, "password2": STRONG},
        ),
        client.post(reverse("members:user_deactivate", args=[target.pk])),
        client.post(reverse("members:user_delete", args=[target.pk])),
    ]
    assert [a.status_code for a in answers] == [403] * 5
    assert (_fields(target), User.objects.count()) == (before, count)


def test_the_users_link_is_the_secretariats_alone(world, client_for):
    link = f'href="{reverse("members:user_list")}"'
    assert link in client_for("secretariat").get(reverse("home")).text
    for role in ("anonymous", "analyst", "focal_fr"):
        assert link not in client_for(role).get(reverse("home")).text


# --- The list -----------------------------------------------------------------------------------


def test_the_list_filters_searches_sorts_and_pages(world, client_for):
    client = client_for("secretariat")
    url = reverse("members:user_list")
    for i in range(30):
        UserFactory(username=f"reader{i:02}", is_active=i % 2 == 0)

    def names(params) -> list[str]:
        rows = client.get(url, params).context["rows"]
        return [row.obj.username for row in rows]

    assert names({"role": "focal_point"}) == ["focal-de", "focal-fr"]
    assert names({"country": world.france.pk}) == ["focal-fr"]
    assert names({"active": "false", "q": "reader0"}) == [f"reader0{i}" for i in (1, 3, 5, 7, 9)]
    assert names({"q": "STAFF"}) == ["staff"]
    assert names({"sort": "-username"})[0] == "staff"
    page = client.get(url, {"page": 2})
    assert page.context["page_obj"].number == 2 and len(page.context["rows"]) == 34 - 25

    export = client.get(url, {"format": "csv", "q": "reader"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")  # UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 30  # every match, not one page
    assert set(rows[0]) == {
        "username",
        "name",
        "email",
        "role",
        "country",
        "active",
        "last_login",
    }


def test_no_page_shows_a_password_hash(world, client_for):
    client = client_for("secretariat")
    target = world.users["focal_fr"]
    client.post(
        reverse("members:user_password", args=[target.pk]),
        {"password1": STRONG, "password2": STRONG},
    )
    target.refresh_from_db()
    pages = [
        client.get(reverse("members:user_list")).text,
        b"".join(
            client.get(reverse("members:user_list"), {"format": "csv"}).streaming_content
        ).decode(),
        client.get(reverse("members:user_detail", args=[target.pk])).text,
        client.get(reverse("members:user_update", args=[target.pk])).text,
        client.get(reverse("members:user_history", args=[target.pk])).text,
    ]
    hashes = [u.password for u in User.objects.all()]
    for text in pages:
        assert not any(h in text for h in hashes)
        assert "md5$" not in text and STRONG not in text


# --- Creating -----------------------------------------------------------------------------------


def test_the_secretariat_creates_a_focal_point(
    world, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for("secretariat")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:user_create"), _account(world))
    user = User.objects.get(username="fp-deu-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("members:user_detail", args=[user.pk])
    assert (user.role, user.country, user.get_full_name()) == (
        "focal_point",
        world.germany,
        "Greta Gruber",
    )
    # No password anyone but the person knows: the invitation's link sets it (tests/members).
    assert not user.has_usable_password()
    assert [message.to for message in mailoutbox] == [["greta@example.org"]]
    assert user.history.latest().history_user == world.users["secretariat"]
    page = client.get(response["Location"]).text
    assert "Saved fp-deu-2." in page and "Germany" in page
    fresh = client_for("anonymous")
    assert sign_in(fresh, "fp-deu-2", STRONG).status_code == 200  # refused: no password yet


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": None}, "country"),  # a focal point without a country
        ({"role": "analyst"}, "country"),  # an analyst with one
        ({"role": "secretariat"}, "country"),
        ({"email": ""}, "email"),  # the invitation goes there
        ({"username": "focal-fr"}, "username"),  # taken
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "boss"}, "role"),
    ],
    ids=[
        "focal point without country",
        "analyst with country",
        "secretariat with country",
        "no email",
        "username taken",
        "username with a space",
        "malformed email",
        "unknown role",
    ],
)
def test_a_bad_account_is_refused_on_its_field_and_saves_nothing(world, client_for, changes, field):
    client = client_for("secretariat")
    before = User.objects.count()
    data = _account(world, **changes)
    response = client.post(reverse("members:user_create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert "Nothing was saved" in response.text and 'aria-invalid="true"' in response.text
    assert User.objects.count() == before
    assert data["username"] in response.text  # what was typed is kept


def test_the_services_refusal_is_shown_on_its_field(world, client_for, monkeypatch):
    """Should the form pass but the service refuse, the refusal is shown on the field it names
    and nothing is saved (the rules have one home: members.services)."""
    from django.core.exceptions import ValidationError

    from members import views

    def refuse(**kwargs):
        raise ValidationError({"email": ["Refused by the service."]})

    monkeypatch.setattr(views, "user_create", refuse)
    before = User.objects.count()
    response = client_for("secretariat").post(reverse("members:user_create"), _account(world))
    assert response.context["form"].errors["email"] == ["Refused by the service."]
    assert User.objects.count() == before


# --- Editing ------------------------------------------------------------------------------------


def test_a_focal_point_becomes_an_analyst_only_without_its_country(world, client_for):
    client = client_for("secretariat")
    target = world.users["focal_fr"]
    url = reverse("members:user_update", args=[target.pk])
    data = {"username": "focal-fr", "email": "fr@example.org", "role": "analyst"}
    before = _fields(target)

    refused = client.post(url, {**data, "country": world.france.pk})
    assert "country" in refused.context["form"].errors
    assert _fields(target) == before

    saved = client.post(url, data)
    assert saved.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.country, target.email) == ("analyst", None, "fr@example.org")
    assert target.password == before["password"]  # an edit keeps the password
    history = client.get(reverse("members:user_history", args=[target.pk])).text
    assert "Sam Staff" in history and "France" in history and "analyst" in history


def test_a_new_password_is_validated_and_stored_hashed(world, client_for):
    client = client_for("secretariat")
    target = world.users["analyst"]
    url = reverse("members:user_password", args=[target.pk])
    before = _fields(target)
    refused = client.post(url, {"password1": "analyst1", "password2": "analyst1"})
    assert "password1" in refused.context["form"].errors
    assert _fields(target) == before

    assert client.post(url, {"password1": STRONG, "password2": STRONG}).status_code == 302
    target.refresh_from_db()
    assert target.check_password(STRONG) and not target.check_password(PASSWORD)


def test_setting_ones_own_password_keeps_one_signed_in(world, client_for):
    client = client_for("secretariat")
    me = world.users["secretariat"]
    client.post(
        reverse("members:user_password", args=[me.pk]),
        {"password1": STRONG, "password2": STRONG},
    )
    assert client.get(reverse("members:user_list")).status_code == 200


# --- Deactivating -------------------------------------------------------------------------------


def test_deactivating_refuses_sign_in_revokes_tokens_and_keeps_history(world, client_for):
    client = client_for("secretariat")
    target = world.users["focal_fr"]
    AuthToken.objects.create(user=target)
    page = client.get(reverse("members:user_deactivate", args=[target.pk])).text
    assert "Yes, deactivate" in page

    response = client.post(reverse("members:user_deactivate", args=[target.pk]))
    assert response["Location"] == reverse("members:user_detail", args=[target.pk])
    target.refresh_from_db()
    assert not target.is_active
    assert not AuthToken.objects.filter(user=target).exists()
    assert target.history.latest().history_change_reason == "deactivated"
    assert sign_in(client_for("anonymous"), "focal-fr", PASSWORD).status_code == 200  # refused
    assert "deactivated" in client.get(response["Location"]).text
    assert "deactivated" in client.get(reverse("members:user_history", args=[target.pk])).text

    client.post(reverse("members:user_reactivate", args=[target.pk]))
    target.refresh_from_db()
    assert target.is_active
    assert sign_in(client_for("anonymous"), "focal-fr", PASSWORD).status_code == 302


def test_no_one_deactivates_their_own_account(world, client_for):
    client = client_for("secretariat")
    me = world.users["secretariat"]
    assert "Yes, deactivate" not in client.get(reverse("members:user_deactivate", args=[me.pk]))
    response = client.post(reverse("members:user_deactivate", args=[me.pk]), follow=True)
    assert "You cannot deactivate your own account." in response.text
    me.refresh_from_db()
    assert me.is_active


# --- Deleting -----------------------------------------------------------------------------------


def test_an_account_named_in_a_history_is_not_deleted(world, client_for):
    client = client_for("secretariat")
    target = FocalPointFactory(username="former", country=CountryFactory())
    CBM.history.filter(id=world.fr_cbm.pk).update(history_user=target)  # it changed a CBM
    url = reverse("members:user_delete", args=[target.pk])
    page = client.get(url).text
    assert "cannot be deleted" in page and "Yes, delete" not in page
    assert "historical CBM" in page.lower() or "historical cbms" in page.lower()

    response = client.post(url, follow=True)
    assert "deactivate it instead" in response.text
    assert User.objects.filter(pk=target.pk).exists()


def test_an_unused_account_is_deleted(world, client_for):
    client = client_for("secretariat")
    target = UserFactory(username="mistake")
    AuthToken.objects.create(user=target)
    url = reverse("members:user_delete", args=[target.pk])
    assert "Yes, delete" in client.get(url).text
    response = client.post(url)
    assert response["Location"] == reverse("members:user_list")
    assert not User.objects.filter(pk=target.pk).exists()
    assert "Deleted mistake." in client.get(response["Location"]).text


def test_no_one_deletes_their_own_account(world, client_for):
    client = client_for("secretariat")
    me = world.users["secretariat"]
    assert "Yes, delete" not in client.get(reverse("members:user_delete", args=[me.pk])).text
    client.post(reverse("members:user_delete", args=[me.pk]))
    assert User.objects.filter(pk=me.pk).exists()


def test_a_new_accounts_role_is_chosen_on_purpose(world, client_for):
    client = client_for("secretariat")
    form = client.get(reverse("members:user_create")).context["form"]
    assert form["role"].value() in (None, "")
    response = client.post(reverse("members:user_create"), _account(world, role="", country=None))
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="fp-deu-2").exists()
