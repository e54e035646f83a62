"""The Django admin: every model is registered, its pages render, edits are recorded in history,
bad input is refused, and changelists do not query once per row."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from cbms.models import (
    CBM,
    Activity,
    CBMName,
    CBMRole,
    ComplianceOutbox,
    ImplementationPlanVersion,
    Invitation,
    InvitationDelivery,
    InvitationMethod,
    Obligation,
    ObligationKind,
    ObligationStatus,
    PlanStatus,
    PriorityArea,
    ProgressReport,
    Reminder,
    ReminderPolicy,
    ReportActivityUpdate,
    ReportAttachment,
    ReportReview,
    ReportSubmission,
    RoleKind,
    SpreadsheetImport,
)
from cbms.records.services import plan_version_publish
from cbms.reports.services import attachment_add, report_return, report_start, report_submit
from conferences.models import (
    Article,
    ConferenceStatus,
    Declaration,
    Meeting,
    MeetingKind,
    MeetingStatus,
    MeetingTally,
    MinisterialConference,
)
from members.models import (
    CalendarFeed,
    Country,
    Notification,
    NotificationChannel,
    Participation,
    ParticipationKind,
    Role,
    TokenGrant,
    User,
)
from members.services import api_token_issue
from organizations.models import Membership, MembershipStatus, Organization, OrganizationKind

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("members", "organizations", "conferences", "cbms")

# Every model of the project, in the order of the parametrized tests.
MODELS = [
    Country,
    Participation,
    User,
    Notification,
    Organization,
    Membership,
    MinisterialConference,
    Declaration,
    Article,
    Meeting,
    MeetingTally,
    CBM,
    CBMName,
    CBMRole,
    ImplementationPlanVersion,
    PriorityArea,
    Activity,
    Obligation,
    ComplianceOutbox,
    ProgressReport,
    ReportSubmission,
    ReportReview,
    ReportActivityUpdate,
    ReportAttachment,
    ReminderPolicy,
    Reminder,
    Invitation,
    InvitationDelivery,
    CalendarFeed,
    TokenGrant,
    SpreadsheetImport,
]
# Written by the system, or only through the report workflow: viewable, never added, changed or
# deleted in the admin.
REPORTS = {ProgressReport, ReportSubmission, ReportReview, ReportActivityUpdate, ReportAttachment}
ENFORCEMENT = {Reminder, Invitation, InvitationDelivery, CalendarFeed}
READ_ONLY = (
    {Obligation, ComplianceOutbox, Notification, MeetingTally, TokenGrant, SpreadsheetImport}
    | REPORTS
    | ENFORCEMENT
)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(response, **overrides):
    """The POST data a browser would send back for the admin form in `response`, unchanged.

    Includes the inline formsets (management forms and rows), so a test only states what it
    changes.
    """
    forms = [(response.context["adminform"].form, "")]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        forms += [(form, form.prefix + "-") for form in formset.forms]
    for form, prefix in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[f"{prefix}{name}"] = "on" if value is True else value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "pass-word-123")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def rows(superuser, settings, tmp_path):
    """One row of every model, as the secretariat would have entered them."""
    settings.MEDIA_ROOT = tmp_path
    afghanistan = Country.objects.create(code="AFG", name="Afghanistan")
    turkey = Country.objects.create(code="TUR", name="Turkey")
    participation = Participation.objects.create(
        country=afghanistan,
        kind=ParticipationKind.PARTICIPATING,
        since=dt.date(2011, 11, 2),
        source="hoa-ip-about.txt",
    )
    organization = Organization.objects.create(
        acronym="SCO", name="Shanghai Cooperation Organisation", kind=OrganizationKind.REGIONAL
    )
    membership = Membership.objects.create(
        organization=organization, country=afghanistan, status=MembershipStatus.OBSERVER
    )
    conference = MinisterialConference.objects.create(
        number=1,
        date=dt.date(2011, 11, 2),
        year=2011,
        city="Istanbul",
        host=turkey,
        status=ConferenceStatus.HELD,
    )
    declaration = Declaration.objects.create(conference=conference, title="Istanbul Declaration")
    article = Article.objects.create(
        declaration=declaration,
        number=25,
        text="The lead countries should convene at least two RTGs each year.",
        is_rtg_rule=True,
        effective_from=dt.date(2014, 10, 31),
    )
    cbm = CBM.objects.create(
        code="CT",
        name="Counter Terrorism",
        approved_on=dt.date(2012, 6, 14),
        desk_officer=superuser,
    )
    cbm_name = CBMName.objects.create(
        cbm=cbm, code="CT", name="Counter Terrorism", since=dt.date(2012, 6, 14)
    )
    role = CBMRole.objects.create(
        cbm=cbm, country=afghanistan, role=RoleKind.LEAD, since=dt.date(2012, 6, 14)
    )
    # Written while a draft, then published: its content is frozen from then on.
    plan = ImplementationPlanVersion.objects.create(
        cbm=cbm, version=1, title="CT Implementation Plan", status=PlanStatus.DRAFT
    )
    area = PriorityArea.objects.create(plan=plan, number=1, title="Information sharing")
    activity = Activity.objects.create(priority_area=area, number=1, title="Workshop")
    plan = plan_version_publish(plan=plan, actor=superuser, adopted_on=dt.date(2013, 4, 26))
    meeting = Meeting.objects.create(
        kind=MeetingKind.RTG,
        cbm=cbm,
        date=dt.date(2015, 3, 1),
        status=MeetingStatus.HELD,
        city="Kabul",
        host=afghanistan,
    )
    obligation = Obligation.objects.create(
        cbm=cbm,
        conference=conference,
        kind=ObligationKind.PRIORITISATION,
        window_start=dt.date(2014, 10, 31),
        deadline=dt.date(2015, 10, 31),
        status=ObligationStatus.MET,
        met_by=meeting,
        evaluated_on=dt.date(2016, 1, 1),
    )
    notification = Notification.objects.create(
        recipient=superuser,
        channel=NotificationChannel.PORTAL,
        event_key=f"obligation:{obligation.pk}:met",
        subject="CT prioritisation RTG met",
        body="The RTG of 1 March 2015 met the obligation.",
    )
    outbox = ComplianceOutbox.objects.create(cbm_pk=cbm.pk)
    invitation = Invitation.objects.create(
        meeting_pk=meeting.pk,
        sequence=0,
        method=InvitationMethod.REQUEST,
        event={"cbm": "CT", "date": "2015-03-01", "city": "Kabul"},
    )
    reports = _report_rows(cbm=cbm, conference=conference, activity=activity, reviewer=superuser)
    return {
        **reports,
        Country: afghanistan,
        Notification: notification,
        ComplianceOutbox: outbox,
        Participation: participation,
        User: superuser,
        Organization: organization,
        Membership: membership,
        MinisterialConference: conference,
        Declaration: declaration,
        Article: article,
        Meeting: meeting,
        MeetingTally: MeetingTally.objects.get(status=MeetingStatus.HELD),
        CBM: cbm,
        CBMName: cbm_name,
        CBMRole: role,
        ImplementationPlanVersion: plan,
        PriorityArea: area,
        Activity: activity,
        Obligation: obligation,
        ReminderPolicy: ReminderPolicy.objects.create(pk=1),
        Reminder: Reminder.objects.create(
            obligation=obligation, days_before=30, due_on=dt.date(2015, 12, 1)
        ),
        Invitation: invitation,
        InvitationDelivery: InvitationDelivery.objects.create(
            invitation=invitation, recipient=superuser
        ),
        CalendarFeed: CalendarFeed.objects.create(user=superuser, token_hash="0" * 64),
        TokenGrant: api_token_issue(user=superuser, second_factor=True)[0].grant,
        SpreadsheetImport: SpreadsheetImport.objects.create(
            kind="meetings",
            source="file",
            file_name="meetings.xlsx",
            file_format="xlsx",
            content=b"",
            created_by=superuser,
            status="previewed",
        ),
    }


def _report_rows(*, cbm, conference, activity, reviewer) -> dict:
    """A report through its workflow: drafted with an attachment, submitted, returned."""
    focal_point = User.objects.create_user(
        "fp-afg", role=Role.FOCAL_POINT, country=cbm.roles.get().country
    )
    report = report_start(
        cbm=cbm,
        conference=conference,
        actor=focal_point,
        narrative="Two workshops held.",
        activities=[{"activity": activity, "status": "in_progress", "percent": 50, "note": ""}],
    )
    attachment = attachment_add(
        report=report,
        actor=focal_point,
        uploaded_file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    report = report_submit(report=report, actor=focal_point)
    report = report_return(report=report, actor=reviewer, comment="Please date the workshops.")
    return {
        ProgressReport: report,
        ReportSubmission: report.submissions.get(),
        ReportReview: ReportReview.objects.get(),
        ReportActivityUpdate: report.activity_updates.get(),
        ReportAttachment: attachment,
    }


def test_every_project_model_is_registered():
    project_models = {
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    }
    assert project_models == set(MODELS)
    assert project_models <= set(admin.site._registry)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_renders(admin_client, rows, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() >= 1


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_search_works(admin_client, rows, model):
    if not admin.site._registry[model].search_fields:
        pytest.skip("no search")
    response = admin_client.get(_url(model, "changelist"), {"q": "a 1"})
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_add_page(admin_client, model):
    response = admin_client.get(_url(model, "add"))
    assert response.status_code == (403 if model in READ_ONLY else 200)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_change_and_history_pages_render(admin_client, rows, model):
    obj = rows[model]
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    response = admin_client.get(_url(model, "history", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m not in READ_ONLY])
def test_models_with_history_use_the_simple_history_admin(model):
    assert isinstance(admin.site._registry[model], SimpleHistoryAdmin)


@pytest.mark.parametrize(
    ("target", "app_label", "model_name", "field_name", "term"),
    [
        (Country, "cbms", "cbmrole", "country", "afg"),
        (Organization, "cbms", "cbmrole", "organization", "sco"),
        (CBM, "conferences", "meeting", "cbm", "ct"),
        (MinisterialConference, "cbms", "cbmname", "decided_at", "istanbul"),
    ],
    ids=lambda p: getattr(getattr(p, "_meta", None), "label", ""),
)
def test_autocomplete_finds_the_target(
    admin_client, rows, target, app_label, model_name, field_name, term
):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(rows[target].pk)]


# --- history ---------------------------------------------------------------------------------


def test_editing_a_country_records_who_changed_what(admin_client, superuser, rows):
    country = rows[Country]
    url = _url(Country, "change", country.pk)
    data = _form_data(admin_client.get(url), name="Islamic Republic of Afghanistan")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    country.refresh_from_db()
    assert country.name == "Islamic Republic of Afghanistan"
    latest = country.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == superuser
    assert latest.prev_record.name == "Afghanistan"

    history = admin_client.get(_url(Country, "history", country.pk))
    assert history.status_code == 200
    content = history.content.decode()
    assert "Islamic Republic of Afghanistan" in content
    assert superuser.username in content
    record = history.context["page_obj"].object_list[0]
    assert record.history_delta_changes == [
        {"field": "Name", "old": "Afghanistan", "new": "Islamic Republic of Afghanistan"}
    ]


def test_editing_an_inline_records_the_user(admin_client, superuser, rows):
    country, participation = rows[Country], rows[Participation]
    url = _url(Country, "change", country.pk)
    data = _form_data(admin_client.get(url), **{"participations-0-source": "2016 study"})

    response = admin_client.post(url, data)

    assert response.status_code == 302
    participation.refresh_from_db()
    assert participation.source == "2016 study"
    assert participation.history.latest().history_user == superuser


def test_adding_a_meeting_records_the_user(admin_client, superuser, rows):
    url = _url(Meeting, "add")
    data = _form_data(
        admin_client.get(url),
        kind=MeetingKind.RTG,
        cbm=rows[CBM].pk,
        date="2016-05-10",
        status=MeetingStatus.HELD,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    meeting = Meeting.objects.get(date=dt.date(2016, 5, 10))
    assert meeting.history.get().history_user == superuser


def test_adding_a_focal_point_sets_role_and_country(admin_client, rows):
    url = _url(User, "add")
    page = admin_client.get(url)
    assert "role" in page.context["adminform"].form.fields
    assert "country" in page.context["adminform"].form.fields
    data = _form_data(
        page,
        username="fp",
        password1="a-long-pass-phrase-9",
        password2="a-long-pass-phrase-9",
        role=Role.FOCAL_POINT,
        country=rows[Country].pk,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="fp")
    assert (user.role, user.country) == (Role.FOCAL_POINT, rows[Country])


# --- validation ------------------------------------------------------------------------------


def test_rtg_without_cbm_is_refused(admin_client, rows):
    url = _url(Meeting, "add")
    data = _form_data(
        admin_client.get(url), kind=MeetingKind.RTG, date="2016-05-10", status=MeetingStatus.HELD
    )
    before = Meeting.objects.count()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["cbm"] == ["An RTG belongs to a CBM: choose one."]
    assert Meeting.objects.count() == before


def test_held_meeting_in_the_future_is_refused(admin_client, rows):
    meeting = rows[Meeting]
    url = _url(Meeting, "change", meeting.pk)
    data = _form_data(admin_client.get(url), date="2999-01-01")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.date == dt.date(2015, 3, 1)
    assert meeting.history.count() == 1


def test_held_conference_without_date_is_refused(admin_client, rows):
    url = _url(MinisterialConference, "add")
    data = _form_data(
        admin_client.get(url),
        number=2,
        year=2012,
        city="Kabul",
        host=rows[Country].pk,
        status=ConferenceStatus.HELD,
        **{"declaration-0-title": "Kabul Declaration"},
    )
    before = (MinisterialConference.objects.count(), Declaration.objects.count())

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A held conference needs its date." in response.context["adminform"].form.errors["date"]
    assert (MinisterialConference.objects.count(), Declaration.objects.count()) == before


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=str), ids=lambda m: m._meta.label)
def test_system_written_rows_are_read_only(admin_client, rows, model):
    obj = rows[model]
    url = _url(model, "change", obj.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert admin_client.post(url, {"status": ObligationStatus.MISSED}).status_code == 403
    assert admin_client.post(_url(model, "add"), {}).status_code == 403
    assert admin_client.get(_url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(
        _url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk]}
    ).status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists()
    if model is Obligation:
        obj.refresh_from_db()
        assert obj.status == ObligationStatus.MET


# --- query counts ----------------------------------------------------------------------------


def _make_meeting(i):
    cbm = CBM.objects.create(code=f"M{i}", name=f"Measure {i}", approved_on=dt.date(2012, 1, 1))
    host = Country.objects.create(code=f"Q{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"Q{i}")
    Meeting.objects.create(
        kind=MeetingKind.RTG,
        cbm=cbm,
        date=dt.date(2015, 1, 1) + dt.timedelta(days=i),
        status=MeetingStatus.HELD,
        host=host,
    )


def _make_role(i):
    cbm = CBM.objects.create(code=f"R{i}", name=f"Measure {i}", approved_on=dt.date(2012, 1, 1))
    if i % 2:
        organization = Organization.objects.create(
            acronym=f"O{i}", name=f"Org {i}", kind=OrganizationKind.REGIONAL
        )
        CBMRole.objects.create(
            cbm=cbm,
            organization=organization,
            role=RoleKind.SUPPORTING,
            since=dt.date(2012, 1, 1),
        )
    else:
        country = Country.objects.create(
            code=f"R{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"R{i}"
        )
        CBMRole.objects.create(
            cbm=cbm, country=country, role=RoleKind.LEAD, since=dt.date(2012, 1, 1)
        )


def _make_participation(i):
    country = Country.objects.create(code=f"P{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"P{i}")
    Participation.objects.create(
        country=country, kind=ParticipationKind.SUPPORTING, source="test", since=None
    )


def _make_obligation(i):
    cbm = CBM.objects.create(code=f"B{i}", name=f"Measure {i}", approved_on=dt.date(2012, 1, 1))
    host = Country.objects.create(code=f"B{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"B{i}")
    conference = MinisterialConference.objects.create(
        number=i + 1, year=2030, city=f"City {i}", host=host, status=ConferenceStatus.PLANNED
    )
    meeting = Meeting.objects.create(
        kind=MeetingKind.RTG, cbm=cbm, date=dt.date(2015, 1, 1), status=MeetingStatus.HELD
    )
    Obligation.objects.create(
        cbm=cbm,
        conference=conference,
        kind=ObligationKind.REVIEW,
        window_start=dt.date(2015, 1, 1),
        deadline=dt.date(2015, 12, 31),
        status=ObligationStatus.MET,
        met_by=meeting,
        evaluated_on=dt.date(2016, 1, 1),
    )


def _make_activity(i):
    cbm = CBM.objects.create(code=f"A{i}", name=f"Measure {i}", approved_on=dt.date(2012, 1, 1))
    plan = ImplementationPlanVersion.objects.create(cbm=cbm, version=1, title="IP")
    area = PriorityArea.objects.create(plan=plan, number=1, title="Area")
    Activity.objects.create(priority_area=area, number=1, title="Activity")


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Meeting, _make_meeting),
        (CBMRole, _make_role),
        (Participation, _make_participation),
        (Activity, _make_activity),
        (Obligation, _make_obligation),
    ],
    ids=lambda p: getattr(getattr(p, "_meta", None), "label", ""),
)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model, make):
    url = _url(model, "changelist")

    def count_queries():
        admin_client.get(url)  # warm caches (content types, session) out of the count
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.context["cl"].result_count

    make(0)
    one, rows_one = count_queries()
    for i in range(1, 20):
        make(i)
    twenty, rows_twenty = count_queries()

    assert (rows_one, rows_twenty) == (1, 20)
    assert twenty == one


# --- implementation plans: a published version is frozen (cbms.models.plans) -----------------


@pytest.fixture
def published(superuser):
    """A CBM whose version 1, written as a draft, was published: nothing refers to it."""
    cbm = CBM.objects.create(code="CN", name="Counter Narcotics", approved_on=dt.date(2012, 6, 14))
    plan = ImplementationPlanVersion.objects.create(cbm=cbm, version=1, title="CN plan")
    area = PriorityArea.objects.create(plan=plan, number=1, title="Border control")
    activity = Activity.objects.create(priority_area=area, number=1, title="Joint patrols")
    plan = plan_version_publish(plan=plan, actor=superuser, adopted_on=dt.date(2013, 4, 26))
    return plan, area, activity


def test_a_published_versions_content_is_read_only_its_status_moves_on(admin_client, published):
    plan, area, _activity = published
    url = _url(ImplementationPlanVersion, "change", plan.pk)
    page = admin_client.get(url)
    form = page.context["adminform"].form
    assert not set(ImplementationPlanVersion.CONTENT_FIELDS) & set(form.fields)
    assert PlanStatus.DRAFT not in dict(form.fields["status"].choices)
    (areas,) = page.context["inline_admin_formsets"]
    assert (areas.has_add_permission, areas.has_change_permission) == (False, False)
    assert areas.has_delete_permission is False

    # A crafted post rewriting the area through the read-only inline changes nothing.
    data = _form_data(page, status=PlanStatus.SUPERSEDED, **{"priority_areas-0-title": "Hacked"})
    data.update({"priority_areas-0-id": area.pk, "priority_areas-0-number": 1})
    response = admin_client.post(url, data)

    assert response.status_code == 302
    plan.refresh_from_db()
    area.refresh_from_db()
    assert (plan.status, plan.title, area.title) == ("superseded", "CN plan", "Border control")


def test_a_drafts_areas_are_edited_in_its_inline(admin_client, published):
    plan, _area, _activity = published
    draft = ImplementationPlanVersion.objects.create(cbm=plan.cbm, version=2, title="CN 2")
    url = _url(ImplementationPlanVersion, "change", draft.pk)
    page = admin_client.get(url)
    (areas,) = page.context["inline_admin_formsets"]
    assert areas.has_add_permission and areas.has_change_permission
    data = _form_data(
        page,
        **{
            "priority_areas-TOTAL_FORMS": 1,
            "priority_areas-0-number": 1,
            "priority_areas-0-title": "Information sharing",
        },
    )
    assert admin_client.post(url, data).status_code == 302
    assert draft.priority_areas.get().title == "Information sharing"


@pytest.mark.parametrize("model", [PriorityArea, Activity], ids=lambda m: m._meta.label)
def test_a_published_versions_rows_are_view_only_and_kept(admin_client, published, model):
    plan, area, activity = published
    obj = area if model is PriorityArea else activity
    url = _url(model, "change", obj.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert _url(model, "delete", obj.pk) not in page.text
    assert admin_client.post(url, {"title": "Hacked", "number": 1}).status_code == 403

    delete = admin_client.get(_url(model, "delete", obj.pk))
    assert "published plan version (frozen)" in delete.text
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 403)
    # Nor through the history's revert form.
    record = obj.history.earliest()
    revert = reverse(
        f"admin:cbms_{model._meta.model_name}_simple_history", args=[obj.pk, record.history_id]
    )
    admin_client.post(revert, {"title": "Hacked", "number": 1})

    assert model.objects.filter(pk=obj.pk, title=obj.title).exists()


def test_new_rows_go_to_drafts_only(admin_client, published):
    plan, area, _activity = published
    draft = ImplementationPlanVersion.objects.create(cbm=plan.cbm, version=2, title="CN 2")
    url = _url(PriorityArea, "add")
    page = admin_client.get(url)
    assert list(page.context["adminform"].form.fields["plan"].queryset) == [draft]
    refused = admin_client.post(url, _form_data(page, plan=plan.pk, number=5, title="Late"))
    assert refused.status_code == 200
    assert "plan" in refused.context["adminform"].form.errors
    saved = admin_client.post(url, _form_data(page, plan=draft.pk, number=5, title="New"))
    assert saved.status_code == 302
    activities = admin_client.get(_url(Activity, "add")).context["adminform"].form
    assert area not in activities.fields["priority_area"].queryset


def test_a_cbm_with_a_published_plan_is_still_deleted(admin_client, published):
    plan, area, activity = published
    url = _url(CBM, "delete", plan.cbm_id)
    page = admin_client.get(url)
    assert page.status_code == 200 and not page.context["perms_lacking"]
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not CBM.objects.filter(pk=plan.cbm_id).exists()
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_a_published_version_is_still_deleted_with_its_rows(admin_client, published):
    plan, area, activity = published
    url = _url(ImplementationPlanVersion, "delete", plan.pk)
    assert not admin_client.get(url).context["perms_lacking"]
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not PriorityArea.objects.filter(pk=area.pk).exists()
