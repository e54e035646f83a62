"""An import re-evaluates compliance once, for the CBMs it touched, and the dashboard shows it."""

import datetime as dt
import io

import openpyxl
from django.urls import reverse

from cbms.compliance import services as compliance
from cbms.imports.services import import_confirm
from cbms.models import ComplianceOutbox, ObligationStatus
from conferences.models import Meeting

from .conftest import preview


def _rtg_rows(cbm_code: str, days: list[dt.date]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["kind", "cbm", "date", "status", "city"])
    for day in days:
        sheet.append(["rtg", cbm_code, day, "held", f"City {day.isoformat()}"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_imported_rtgs_meet_the_obligation_after_one_evaluation(
    compliance_scenario, django_capture_on_commit_callbacks, client
):
    scenario = compliance_scenario()
    compliance.obligations_recompute()  # today: the review RTG was never held
    assert scenario.obligation("review").status == ObligationStatus.MISSED
    ComplianceOutbox.objects.all().delete()
    missed_before = _missed_cells(client, scenario)
    assert missed_before > 0

    days = [dt.date(2015, 6, 15), dt.date(2015, 7, 20), dt.date(2015, 8, 2)]
    batch = preview("meetings", _rtg_rows(scenario.cbm.code, days), scenario.focal_point)
    assert (batch.created, batch.errors) == (3, 0)
    assert not ComplianceOutbox.objects.exists()  # a preview asks for nothing

    with django_capture_on_commit_callbacks(execute=False):
        import_confirm(spreadsheet_import=batch, actor=scenario.focal_point)
    # Three meetings, one CBM: one request to re-evaluate it, not one per row.
    assert list(ComplianceOutbox.objects.values_list("cbm_pk", flat=True)) == [scenario.cbm.pk]

    compliance.compliance_outbox_drain()
    review = scenario.obligation("review")
    assert review.status == ObligationStatus.MET
    assert review.met_by in Meeting.objects.filter(date__in=days)
    assert not ComplianceOutbox.objects.exists()

    assert _missed_cells(client, scenario) == 0 < missed_before


def _missed_cells(client, scenario) -> int:
    client.force_login(scenario.desk_officer)
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    matrix = dashboard.text.split('id="matrix-heading"', 1)[1]
    return matrix.count("status-missed")
