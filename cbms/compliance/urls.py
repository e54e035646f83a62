"""Calendar feeds and the private feed's buttons (cbms.compliance.calendar_views)."""

from django.urls import path

from . import calendar_views

app_name = "calendar"

urlpatterns = [
    # Before the private feed: `meetings` would otherwise be read as a token.
    path("calendar/meetings.ics", calendar_views.MeetingsFeed.as_view(), name="meetings"),
    path("calendar/feed/issue/", calendar_views.CalendarFeedIssue.as_view(), name="feed_issue"),
    path("calendar/feed/revoke/", calendar_views.CalendarFeedRevoke.as_view(), name="feed_revoke"),
    path("calendar/feed/", calendar_views.CalendarFeedIssued.as_view(), name="feed_issued"),
    path("calendar/<str:token>.ics", calendar_views.PrivateFeed.as_view(), name="feed"),
    # A CBM's code may hold any character (DM&EP arrives as DM%26EP), a slash included.
    path("cbms/<path:code>/calendar.ics", calendar_views.CBMFeed.as_view(), name="cbm"),
]
