"""A small world for reports: CT led by France from 2012, two held conferences, a plan in force
with two activities, focal points of France (leads) and Germany (does not), the secretariat."""

import datetime as dt
from dataclasses import dataclass

import pytest

from cbms.models import CBM, Activity, ProgressReport
from cbms.reports.services import report_start
from conferences.models import MinisterialConference
from members.models import Country, User
from tests.cbms.factories import (
    ActivityFactory,
    CBMFactory,
    LeadRoleFactory,
    PlanVersionFactory,
    PriorityAreaFactory,
)
from tests.conferences.factories import ConferenceFactory
from tests.members.factories import (
    CountryFactory,
    FocalPointFactory,
    SecretariatFactory,
    UserFactory,
)


@dataclass
class ReportWorld:
    france: Country
    germany: Country
    cbm: CBM
    mc1: MinisterialConference
    mc2: MinisterialConference
    activities: list[Activity]
    fp_fra: User
    fp_deu: User
    staff: User
    staff2: User
    analyst: User

    def start(self, **kwargs) -> ProgressReport:
        return report_start(cbm=self.cbm, conference=self.mc2, actor=self.fp_fra, **kwargs)

    def start_on_mc1(self, **kwargs) -> ProgressReport:
        return report_start(cbm=self.cbm, conference=self.mc1, actor=self.fp_fra, **kwargs)


@pytest.fixture
def rw(db) -> ReportWorld:
    france = CountryFactory(code="FRA", name="France")
    germany = CountryFactory(code="DEU", name="Germany")
    staff = SecretariatFactory(username="desk")
    cbm = CBMFactory(code="CT", name="Counter Terrorism", approved_on=dt.date(2012, 6, 14))
    cbm.desk_officer = staff
    cbm.save()
    LeadRoleFactory(cbm=cbm, country=france, since=dt.date(2012, 6, 14))
    mc1 = ConferenceFactory(number=1, date=dt.date(2011, 11, 2), year=2011, host=france)
    mc2 = ConferenceFactory(number=2, date=dt.date(2013, 4, 26), year=2013, host=france)
    area = PriorityAreaFactory(plan=PlanVersionFactory(cbm=cbm, version=1), number=1)
    activities = [ActivityFactory(priority_area=area, number=n) for n in (1, 2)]
    return ReportWorld(
        france=france,
        germany=germany,
        cbm=cbm,
        mc1=mc1,
        mc2=mc2,
        activities=activities,
        fp_fra=FocalPointFactory(username="fp-fra", country=france),
        fp_deu=FocalPointFactory(username="fp-deu", country=germany),
        staff=staff,
        staff2=SecretariatFactory(username="reviewer2"),
        analyst=UserFactory(username="analyst"),
    )


def minimal_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def office_zip(*parts: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            archive.writestr(part, "<?xml version='1.0'?><x/>")
    return buffer.getvalue()


def minimal_docx() -> bytes:
    return office_zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")


def minimal_xlsx() -> bytes:
    return office_zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
