"""axe-core on every page type, for each role that sees it, in each of the portal's languages: no
serious or critical violation."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from cbms.models import CBMName

BLOCKING = {"serious", "critical"}


def _violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def _paths(site) -> dict[str, list[str]]:
    return {
        "anonymous": [
            "/",
            "/accounts/login/",
            "/cbms/",
            f"/cbms/{site.fr_cbm.pk}/",
            f"/plans/{site.fr_plan.pk}/",
            "/countries/",
            f"/countries/{site.afghanistan.pk}/",
            f"/organizations/{site.organization.pk}/",
            "/conferences/",
            f"/conferences/{site.beijing.pk}/",
            "/meetings/",
            f"/meetings/{site.fr_rtg.pk}/",
            "/no-such-page/",
            "/accounts/password-reset/",
            "/accounts/password-reset/sent/",
            "/accounts/reset/MQ/no-such-token/",
            "/accounts/reset/done/",
            "/accounts/invitation/MQ/no-such-token/",
        ],
        "secretariat": [
            "/records/",
            "/dashboard/",
            "/account/",
            "/account/password/",
            "/reminder-schedule/",
            "/reports/overview/",
            f"/cbms/{site.fr_cbm.pk}/",
            "/cbms/new/",
            f"/cbms/{site.fr_cbm.pk}/history/",
            f"/cbms/{site.fr_cbm.pk}/delete/",
            f"/countries/{site.france.pk}/delete/",
            f"/conferences/{site.beijing.pk}/",
            "/meetings/new/",
            "/roles/",
            "/users/",
            "/users/new/",
            f"/users/{site.users['focal_fr'].pk}/",
            f"/users/{site.users['focal_fr'].pk}/edit/",
            f"/users/{site.users['focal_fr'].pk}/password/",
            f"/users/{site.users['focal_fr'].pk}/deactivate/",
            f"/users/{site.users['focal_fr'].pk}/delete/",
            f"/users/{site.users['focal_fr'].pk}/history/",
            f"/plans/{site.fr_plan.pk}/",
            f"/plans/{site.fr_draft.pk}/",
            f"/plans/{site.fr_draft.pk}/publish/",
            f"/activities/{site.activity.pk}/edit/",  # 403: the plan in force is frozen
            f"/cbms/{site.fr_cbm.pk}/names/new/",
            f"/roles/{site.fr_role.pk}/end/",
        ],
        "focal_fr": [
            "/my-country/",
            "/reports/",
            "/notifications/",
            "/account/",
            "/account/password/",
            f"/cbms/{site.de_cbm.pk}/edit/",  # 403
            "/meetings/new/",
        ],
    }


def _former_name(site) -> None:
    """The CBM page with a former name, as the public and the secretariat see it."""
    CBMName.objects.create(
        cbm=site.fr_cbm,
        code="FM",
        name="Former Measure",
        since=dt.date(2012, 6, 14),
        until=dt.date(2015, 12, 8),
        decided_at=site.beijing,
    )


def _in_language(page, language: str, base_url: str) -> None:
    """The switcher's choice, as its cookie: every page the browser opens next is in it."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )


# Right to left (fa, ps) moves and mirrors the layout and changes the words' lengths; each
# language gets one browser page per role, walked through every page type.
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("role", ["anonymous", "secretariat", "focal_fr"])
def test_no_serious_or_critical_violations(page_as, site, live_server, role, language):
    _former_name(site)
    page = page_as(role)
    _in_language(page, language, live_server.url)
    found = []
    for path in _paths(site)[role]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language, path
        found += _violations(page)
    assert found == [], "\n".join(found)


def _report_with_two_versions(site):
    """France's Beijing-cycle report: submitted, returned, resubmitted, a file attached since."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cbms.reports.services import (
        attachment_add,
        report_return,
        report_start,
        report_submit,
        report_update_draft,
    )
    from tests.reports.conftest import minimal_pdf

    focal_point = site.users["focal_fr"]
    activity = [{"activity": site.activity.pk, "status": "in_progress", "percent": 30}]
    report = report_start(
        cbm=site.fr_cbm,
        conference=site.beijing,
        actor=focal_point,
        narrative="Two trainings.\nOne workshop.",
        activities=activity,
    )
    report = report_submit(report=report, actor=focal_point)
    report = report_return(report=report, actor=site.users["secretariat"], comment="Dates?")
    report_update_draft(
        report=report,
        actor=focal_point,
        narrative="Two trainings, in May.\nOne workshop.",
        activities=[{**activity[0], "status": "completed", "percent": 100}],
    )
    report = report_submit(report=report, actor=focal_point)
    report = report_return(report=report, actor=site.users["secretariat"], comment="Budget?")
    attachment_add(
        report=report,
        actor=focal_point,
        uploaded_file=SimpleUploadedFile("budget.pdf", minimal_pdf()),
    )
    return report


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_report_pages_are_accessible(page_as, site, live_server, settings, tmp_path, language):
    """The two versions side by side, the edit page with a file to remove, the confirmation."""
    settings.MEDIA_ROOT = tmp_path
    report = _report_with_two_versions(site)
    found = []
    for role, paths in {
        "focal_fr": ["", "edit/", "submit/"],
        "secretariat": ["", "?before=1&after=2"],
    }.items():
        page = page_as(role)
        _in_language(page, language, live_server.url)
        for path in paths:
            page.goto(f"/reports/{report.pk}/{path}")
            found += _violations(page)
    assert page.locator("table.comparison td.table-warning").count() > 0
    assert found == [], "\n".join(found)


def test_a_form_with_errors_is_accessible(page_as, site):
    page = page_as("secretariat")
    page.goto("/cbms/new/")
    page.get_by_role("button", name="Save").click()
    assert _violations(page) == []


def test_inline_forms_are_accessible_open_and_with_errors(page_as, site):
    """The rows edited in place: forms open side by side, then refused input shown."""
    page = page_as("secretariat")
    page.goto(f"/plans/{site.fr_draft.pk}/")
    page.get_by_role("link", name="Add an activity to 1. Border security").click()
    add = page.get_by_role("form", name="New activity for 1. Border security")
    add.get_by_label("Title").wait_for()
    page.get_by_role("link", name="Edit 1.1 Joint training").click()
    page.get_by_role("form", name="Edit 1.1 Joint training").wait_for()
    page.get_by_role("link", name="Add a priority area").click()
    page.get_by_role("form", name="New priority area for").wait_for()
    assert _violations(page) == []
    add.get_by_label("Number").fill("1")  # taken
    add.get_by_role("button", name="Save").click()
    page.get_by_role("form", name="New activity for 1. Border security").get_by_role(
        "alert"
    ).wait_for()
    assert _violations(page) == []

    page.goto(f"/cbms/{site.fr_cbm.pk}/")
    page.get_by_role("link", name="Add a role").click()
    page.get_by_role("form", name="New CBM role for").wait_for()
    page.get_by_role("link", name=f"End {site.fr_role}").click()
    page.get_by_role("form", name=f"End: {site.fr_role}").wait_for()
    assert _violations(page) == []
