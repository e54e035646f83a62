"""Article 25 reaching a focal point in a real browser: a conference is recorded as held, the
lead country's focal point finds the notice, follows it to the meeting form and schedules the
RTG; the notice is read and the dashboard shows the obligation scheduled."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from cbms.models import Obligation, ObligationKind, ObligationStatus
from conferences.models import ConferenceStatus, Meeting, MeetingStatus
from members.models import Notification, NotificationChannel


def test_a_focal_point_follows_the_cycle_notice_and_schedules_the_rtg(page_as, site, artifacts):
    today = timezone.localdate()
    held_on = today - dt.timedelta(days=5)
    # The secretariat records the sixth conference as held: its edit re-evaluates every CBM
    # after it commits (no broker in tests: the drain runs in-process).
    conference = site.planned
    conference.date, conference.year, conference.status = held_on, held_on.year, "held"
    assert conference.status == ConferenceStatus.HELD
    conference.save()
    notice = Notification.objects.get(
        recipient=site.users["focal_fr"],
        channel=NotificationChannel.PORTAL,
        event_key__startswith=f"cycle-opened:{site.fr_cbm.pk}:",
    )
    assert notice.read_at is None

    page = page_as("focal_fr")
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name=re.compile("Notifications")).click()
    item = page.get_by_role("link", name=re.compile(r"FRX: the prioritisation RTG is due between"))
    expect(item).to_be_visible()
    page.screenshot(path=str(artifacts / "enforcement-notice.png"), full_page=True)

    item.click()
    # The notice leads to the meeting form, filled in for a planned RTG of that CBM.
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule or record an RTG")
    expect(page.get_by_label("CBM")).to_have_value(str(site.fr_cbm.pk))
    expect(page.get_by_label("Status")).to_have_value(MeetingStatus.PLANNED)
    rtg_day = held_on + dt.timedelta(days=30)
    page.get_by_label("Date").fill(rtg_day.isoformat())
    page.get_by_label("City").fill("Lyon")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Lyon").first).to_be_visible()

    meeting = Meeting.objects.get(cbm=site.fr_cbm, city="Lyon")
    assert (meeting.date, meeting.status) == (rtg_day, MeetingStatus.PLANNED)
    notice.refresh_from_db()
    assert notice.read_at is not None  # following it marked it read
    obligation = Obligation.objects.get(
        cbm=site.fr_cbm, conference=conference, kind=ObligationKind.PRIORITISATION
    )
    assert obligation.status == ObligationStatus.SCHEDULED
    # Scheduling stopped the reminders of that obligation.
    assert not obligation.reminders.filter(sent_at__isnull=True).exists()

    page.goto(f"/dashboard/?cbm={site.fr_cbm.pk}")
    explanations = page.locator("ul.explanations")
    expect(explanations.get_by_text(re.compile(r"scheduled: an RTG is planned"))).to_have_count(1)
    page.screenshot(path=str(artifacts / "enforcement-scheduled.png"), full_page=True)
