"""axe-core on every page type, for each role that sees it: no serious or critical violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe

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
        ],
        "secretariat": [
            "/records/",
            "/dashboard/",
            f"/cbms/{site.fr_cbm.pk}/",
            "/cbms/new/",
            f"/cbms/{site.fr_cbm.pk}/history/",
            f"/cbms/{site.fr_cbm.pk}/delete/",
            f"/countries/{site.france.pk}/delete/",
            f"/conferences/{site.beijing.pk}/",
            "/meetings/new/",
            "/roles/",
        ],
        "focal_fr": [
            "/my-country/",
            "/notifications/",
            f"/cbms/{site.de_cbm.pk}/edit/",  # 403
            "/meetings/new/",
        ],
    }


@pytest.mark.parametrize("role", ["anonymous", "secretariat", "focal_fr"])
def test_no_serious_or_critical_violations(page_as, site, role):
    page = page_as(role)
    found = []
    for path in _paths(site)[role]:
        page.goto(path)
        found += _violations(page)
    assert found == [], "\n".join(found)


def test_a_form_with_errors_is_accessible(page_as, site):
    page = page_as("secretariat")
    page.goto("/cbms/new/")
    page.get_by_role("button", name="Save").click()
    assert _violations(page) == []
