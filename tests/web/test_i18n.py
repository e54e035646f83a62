"""The portal in another language: the switcher, right-to-left pages (Dari, Pashto), Django's own
strings in languages Django lacks, an API that stays English unless asked, and catalogues in
locale/ that are complete and compiled.

After changing a page string, refresh and translate the catalogue, then compile it:

    manage.py makemessages -l fa --add-location=file --ignore=node_modules --ignore=static ...
    manage.py compilemessages --ignore=.venv

(the full makemessages line is printed by test_the_catalogue_is_complete when it fails).
"""

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, translation
from rest_framework.test import APIClient

from cbms.models import ObligationStatus

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# What makemessages walks past besides dot-directories (which it always skips).
IGNORE = ["node_modules", "static", "staticfiles", "media", "artifacts", "*.egg-info"]
MAKEMESSAGES = "manage.py makemessages {locales} --add-location=file " + " ".join(
    f"--ignore={pattern}" for pattern in IGNORE
)
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[sd]")


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request leaves its language active in this thread: later tests must get English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _switch(client, language: str, next_url: str):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


# --- The switcher and right-to-left pages -------------------------------------------------------


def test_every_page_offers_the_switcher_in_each_language_own_name(world, client_for):
    page = client_for("anonymous").get("/").text
    assert 'action="/i18n/setlang/"' in page
    assert '<label class="visually-hidden" for="language-select">Language</label>' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="fa" lang="fa">دری (فارسی)</option>' in page
    assert '<option value="ps" lang="ps">پښتو</option>' in page
    assert '<input type="hidden" name="next" value="/">' in page
    assert 'name="csrfmiddlewaretoken"' in page.split('action="/i18n/setlang/"')[1]


def test_switching_to_dari_turns_the_next_page_right_to_left(world, client_for):
    client = client_for("anonymous")
    english = client.get("/cbms/").text
    assert '<html lang="en" dir="ltr">' in english
    assert "bootstrap.min.css" in english and "bootstrap.rtl.min.css" not in english

    response = _switch(client, "fa", "/cbms/")

    assert response.status_code == 302 and response["Location"] == "/cbms/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fa"
    page = client.get("/cbms/").text
    assert '<html lang="fa" dir="rtl">' in page
    assert "vendor/bootstrap/bootstrap.rtl.min.css" in page
    assert "vendor/bootstrap/bootstrap.min.css" not in page
    assert "تدابیر اعتمادساز" in page and "Confidence Building Measures" not in page
    assert '<option value="fa" lang="fa" selected>دری (فارسی)</option>' in page
    # Back to English the same way.
    _switch(client, "en", "/cbms/")
    assert '<html lang="en" dir="ltr">' in client.get("/cbms/").text


def test_switching_to_pashto_turns_the_next_page_right_to_left_in_pashto(world, client_for):
    """Django ships no Pashto: its direction comes from settings (LANGUAGES_BIDI, LANG_INFO)."""
    client = client_for("anonymous")

    response = _switch(client, "ps", "/cbms/")

    assert response.status_code == 302 and response["Location"] == "/cbms/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ps"
    page = client.get("/cbms/").text
    assert '<html lang="ps" dir="rtl">' in page
    assert "vendor/bootstrap/bootstrap.rtl.min.css" in page
    assert "vendor/bootstrap/bootstrap.min.css" not in page
    assert "د باور جوړونې تدابیر" in page and "Confidence Building Measures" not in page
    assert "ژبه بدله کړئ" in page  # the switcher's button
    assert '<option value="ps" lang="ps" selected>پښتو</option>' in page
    assert '<option value="fa" lang="fa">دری (فارسی)</option>' in page


def test_django_knows_pashto_from_the_settings():
    info = translation.get_language_info("ps")
    assert (info["name"], info["name_local"], info["bidi"]) == ("Pashto", "پښتو", True)
    with translation.override("ps"):
        assert translation.get_language_bidi()


def test_the_dashboard_in_dari_keeps_status_codes_and_its_timeline(world, client_for):
    client = client_for("secretariat")
    _switch(client, "fa", "/dashboard/")

    page = client.get("/dashboard/").text

    assert '<html lang="fa" dir="rtl">' in page
    assert "پابندی به قاعدهٔ RTG" in page
    # The codes in class names stay English; the words a person reads are Dari.
    assert 'class="status status-' in page
    assert '<svg class="timeline"' in page
    assert "اولویت‌بندی" in page


def test_timeline_coordinates_stay_svg_numbers_in_a_decimal_comma_language(
    world, client_for, settings
):
    """Russian writes 12,5 for 12.5; the SVG must not. (Any language with a decimal comma.)"""
    settings.LANGUAGES = [*settings.LANGUAGES, ("ru", "Russian")]
    page = client_for("secretariat").get("/dashboard/", headers={"accept-language": "ru"}).text

    assert '<html lang="ru"' in page

    svg = page[page.index('<svg class="timeline"') : page.index("</svg>")]
    assert re.search(r'\b(x|cx|width)="\d+\.\d+"', svg), "no fractional coordinate to check"
    assert not re.search(r'="-?\d+,\d', svg)


def test_dates_in_dari_use_the_month_names_of_afghanistan(world, client_for):
    """Django's Persian catalogue writes دسامبر (Iran); Afghans write دسمبر (month_names.py)."""
    client = client_for("secretariat")
    _switch(client, "fa", "/dashboard/")

    page = client.get("/dashboard/", {"on": "2015-12-09"}).text

    assert "9 دسمبر 2015" in page
    assert "دسامبر" not in page


def test_dates_in_pashto_use_the_month_names_of_afghanistan(world, client_for):
    """Django has neither Pashto month names nor Pashto formats: locale/ps and
    hoa_portal/formats/ps give them, as Afghanistan writes them."""
    client = client_for("secretariat")
    _switch(client, "ps", "/dashboard/")

    page = client.get("/dashboard/", {"on": "2015-12-09"}).text

    assert '<html lang="ps" dir="rtl">' in page
    assert "9 دسمبر 2015" in page
    assert "December" not in page and "Dec " not in page
    assert "د RTG قاعدې پابندي" in page


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2015, 1, 31), "31 جنوري 2015"),
        (dt.date(2016, 4, 26), "26 اپرېل 2016"),
        (dt.date(2017, 5, 1), "1 می 2017"),
        (dt.date(2019, 7, 14), "14 جولای 2019"),
        (dt.date(2019, 8, 2), "2 اګست 2019"),
        (dt.date(2015, 12, 9), "9 دسمبر 2015"),
    ],
)
def test_a_pashto_date_is_day_month_year_with_the_afghan_month(day, expected):
    with translation.override("ps"):
        assert formats.date_format(day) == expected  # DATE_FORMAT
        assert formats.date_format(day, "j M Y") == expected  # the dashboard's short dates
        assert formats.date_format(day, "j E Y") == expected  # the month as a date's part
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 6  # Saturday, as in Kabul


def test_record_names_read_in_the_language_of_the_page(world, client_for):
    client = client_for("anonymous")
    assert "5th Ministerial Conference (Islamabad 2015)" in client.get("/").text

    _switch(client, "fa", "/")
    page = client.get("/").text

    assert "5مین کنفرانس وزارتی (Islamabad 2015)" in page
    assert "Ministerial Conference (" not in page


def test_a_browser_asking_for_dari_gets_it_without_the_switcher(world, client_for):
    page = client_for("anonymous").get("/", headers={"accept-language": "fa-AF,fa;q=0.9"}).text
    assert '<html lang="fa" dir="rtl">' in page


@pytest.mark.parametrize("accept", ["ps", "ps-AF,ps;q=0.9,en;q=0.5"])
def test_a_browser_asking_for_pashto_gets_it_without_the_switcher(world, client_for, accept):
    page = client_for("anonymous").get("/", headers={"accept-language": accept}).text
    assert '<html lang="ps" dir="rtl">' in page
    assert "د باور جوړونې تدابیر" in page


def test_a_language_outside_the_list_is_refused(world, client_for):
    client = client_for("anonymous")
    _switch(client, "xx", "/")
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert '<html lang="en" dir="ltr">' in client.get("/").text


# --- Django's own strings (hoa_portal/framework_strings.py) ---------------------------------------


@pytest.mark.parametrize(
    ("language", "required"),
    [("en", "This field is required."), ("fa", "این فیلد لازم است."), ("ps", "دا برخه اړینه ده.")],
)
def test_a_form_sent_empty_says_what_is_required_in_the_language_of_the_page(
    world, client_for, language, required
):
    """Django has no Pashto catalogue: our locale/ps carries its messages. Dari keeps Django's."""
    client = client_for("secretariat")
    _switch(client, language, "/countries/new/")

    page = client.post(reverse("members:country_create"), {"code": "", "name": ""}).text

    assert f'<html lang="{language}"' in page
    errors = re.findall(r'class="invalid-feedback d-block" id="id_(\w+)_error">([^<]+)<', page)
    assert errors == [("code", required), ("name", required)]


def test_the_password_rules_speak_pashto(world, client_for):
    """The validators' messages (plural forms, placeholders) and Django's field names."""
    client = client_for("secretariat")
    focal_point = world.users["focal_fr"]
    _switch(client, "ps", "/")

    url = reverse("members:user_password", args=[focal_point.pk])
    page = client.post(url, {"password1": "1234", "password2": "1234"}).text

    assert "دا پټنوم ډېر لنډ دی. باید لږ تر لږه 8 توري ولري." in page
    assert "دا پټنوم یوازې له شمېرو جوړ دی." in page
    assert "This password" not in page
    form = client.get(reverse("members:user_update", args=[focal_point.pk])).text
    assert ">کارن نوم <span" in form and ">تخلص</label>" in form


# --- The API --------------------------------------------------------------------------------------


def test_the_api_answers_in_english_unless_asked(world):
    client = APIClient()
    english = client.post("/api/v1/countries/", {}, format="json")
    dari = client.post("/api/v1/countries/", {}, format="json", HTTP_ACCEPT_LANGUAGE="fa")

    assert english.status_code == dari.status_code == 401
    assert english.json() == {"detail": "Authentication credentials were not provided."}
    assert dari.json()["detail"] != english.json()["detail"]


def test_api_values_stay_codes_in_any_language(world):
    client = APIClient()
    client.force_authenticate(world.users["analyst"])
    url = f"/api/v1/cbms/{world.fr_cbm.code}/compliance/"
    rows = client.get(url, HTTP_ACCEPT_LANGUAGE="fa").json()["obligations"]
    assert rows
    assert {row["status"] for row in rows} <= set(ObligationStatus.values)
    assert {row["kind"] for row in rows} <= {"prioritisation", "review"}


# --- The catalogues -------------------------------------------------------------------------------


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str]:
    return entry.msgid_with_context, entry.msgid_plural or ""


def _value(entry: polib.POEntry | polib.MOEntry) -> tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


def _catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_every_listed_language_has_a_catalogue():
    assert TRANSLATED, "no language besides English is listed"
    for code in TRANSLATED:
        assert (LOCALE / code / "LC_MESSAGES" / "django.po").is_file(), code


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_is_translated_with_its_placeholders(code):
    po = polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))
    assert not po.metadata_is_fuzzy and po.metadata["Language"] == code
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    broken = []
    for entry in po.translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        broken += [
            (entry.msgid, text)
            for text in _value(entry)
            if sorted(PLACEHOLDER.findall(text)) != wanted
        ]
    assert broken == []


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(LOCALE)))
def test_the_committed_mo_is_the_compiled_po(po_path):
    """`make run` reads the .mo files from the tree: each must say what its .po says."""
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.is_file(), f"{mo_path} is missing: run manage.py compilemessages"
    po, mo = polib.pofile(str(po_path)), polib.mofile(str(mo_path))
    expected = {_key(e): _value(e) for e in po.translated_entries()}
    compiled = {_key(e): _value(e) for e in mo if e.msgid}
    assert compiled == expected, f"{mo_path} is stale: run manage.py compilemessages"
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


def _gettext_or_skip() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if not shutil.which(tool)]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install gettext"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _copy_sources(target: Path) -> None:
    """The files makemessages reads, so that it runs on a copy and never writes in the tree."""
    skip = shutil.ignore_patterns(".*", "__pycache__", "locale", *IGNORE)

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = set(skip(directory, names))
        return ignored | {
            name
            for name in names
            if Path(directory, name).is_file() and Path(name).suffix not in {".py", ".html", ".txt"}
        }

    shutil.copytree(settings.BASE_DIR, target, ignore=ignore)


def test_the_catalogue_is_complete(tmp_path, settings, monkeypatch):
    """Every string the code and templates mark has a translation in each catalogue."""
    _gettext_or_skip()
    sources = tmp_path / "src"
    _copy_sources(sources)
    settings.LOCALE_PATHS = [sources / "locale"]
    monkeypatch.chdir(sources)

    call_command(
        "makemessages",
        locale=TRANSLATED,
        ignore_patterns=IGNORE,
        add_location="file",
        keep_pot=True,
        verbosity=0,
    )

    marked = {_key(e) for e in polib.pofile(str(sources / "locale" / "django.pot"))}
    command = MAKEMESSAGES.format(locales=" ".join(f"-l {code}" for code in TRANSLATED))
    for code in TRANSLATED:
        po = polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))
        translated = {_key(e) for e in po.translated_entries()}
        listed = {_key(e) for e in po if not e.obsolete}
        assert sorted(marked - translated) == [], f"locale/{code}: not translated; run {command}"
        assert sorted(listed - marked) == [], f"locale/{code}: no longer marked; run {command}"
