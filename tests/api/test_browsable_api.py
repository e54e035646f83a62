"""No browsable API (issue #15): its pages need inline styles, which the Content-Security-Policy
refuses. A browser asking for HTML gets the API's JSON; the interactive docs stay at /api/docs/."""

import pytest

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("role", ["anonymous", "secretariat"])
def test_a_browser_gets_json_from_the_api(client_for, role):
    response = client_for(role).get("/api/v1/meetings/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] >= 1


def test_html_alone_is_not_acceptable(client_for):
    response = client_for("secretariat").get("/api/v1/meetings/", HTTP_ACCEPT="text/html")

    assert response.status_code == 406


def test_the_browsable_format_is_gone(client_for):
    response = client_for("secretariat").get("/api/v1/meetings/", {"format": "api"})

    assert response.status_code == 404


def test_the_docs_are_still_a_page(db, client):
    response = client.get("/api/docs/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
