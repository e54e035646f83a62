"""Reads of a report's submissions and reviews, as far as the reader may see them (SPEC §5).

The secretariat and the reporting country's focal points read every submission of a report and
every review, comments included. Everyone else (the public, analysts, other countries' focal
points) reads the accepted submission alone: not the earlier ones that were returned, not the
secretariat's comments, not even how many there were. The API, its CSV export and the pages all
read through these functions.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from members.permissions import is_focal_point, is_secretariat

from ..models import ProgressReport, ReportReview, ReportSubmission, ReviewDecision


def _review_trail(user, *, report: str) -> Q | None:
    """The reports (reached from the queried model by `report`) whose whole trail the user
    reads: None for all of them, an empty match for none."""
    if is_secretariat(user):
        return None
    if is_focal_point(user):
        return Q(**{f"{report}country_id": user.country_id})
    return Q(pk__in=[])


def submissions_visible_to(user) -> Q:
    """Which submissions the user reads, as a condition on ReportSubmission."""
    trail = _review_trail(user, report="report__")
    if trail is None:
        return Q()
    accepted = ReportReview.objects.filter(
        submission=OuterRef("pk"), decision=ReviewDecision.ACCEPTED
    )
    return Q(Exists(accepted)) | trail


def reviews_visible_to(user) -> Q:
    """Which reviews (decision and comment) the user reads, as a condition on ReportReview."""
    trail = _review_trail(user, report="submission__report__")
    return Q() if trail is None else trail


def report_submissions(*, report: ProgressReport, user) -> QuerySet[ReportSubmission]:
    """The submissions of the report the user reads, oldest first, each with the reviews they
    read (`reviews.all()`)."""
    reviews = ReportReview.objects.filter(reviews_visible_to(user)).order_by("at", "id")
    return (
        ReportSubmission.objects.filter(submissions_visible_to(user), report=report)
        .prefetch_related(Prefetch("reviews", queryset=reviews))
        .order_by("number")
    )


def submission_count(user) -> Coalesce:
    """How many submissions of each report the user reads, for `annotate(versions=…)`: one
    expression, so that the `versions` field, its filter and its ordering agree."""
    counted = (
        ReportSubmission.objects.filter(submissions_visible_to(user), report=OuterRef("pk"))
        .order_by()
        .values("report")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
