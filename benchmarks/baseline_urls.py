"""The portal's URLs plus, for `make bench-api` only, plain Django views that return the same
100 rows as the API lists, read with `.values()`: no DRF, no serializer, no count, no auth, and,
like the API's reads, no transaction (ATOMIC_REQUESTS would wrap them in one).

What the analyst sees: held meetings newest first; obligations in the API's order.
"""

from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.urls import path

from cbms.models import Obligation
from conferences.models import Meeting, MeetingStatus
from hoa_portal.urls import urlpatterns as portal_urlpatterns

PAGE = 100


@transaction.non_atomic_requests
def meetings_baseline(request):
    rows = (
        Meeting.objects.filter(status=MeetingStatus.HELD)
        .order_by("-date", "id")
        .values(
            "id",
            "kind",
            "date",
            "status",
            "city",
            cbm_code=F("cbm__code"),
            host_code=F("host__code"),
        )[:PAGE]
    )
    return JsonResponse({"results": list(rows)})


@transaction.non_atomic_requests
def obligations_baseline(request):
    rows = Obligation.objects.order_by("cbm__code", "conference__number", "kind").values(
        "id",
        "kind",
        "window_start",
        "deadline",
        "estimated",
        "status",
        "met_by",
        "evaluated_on",
        cbm_code=F("cbm__code"),
        conference_number=F("conference__number"),
    )[:PAGE]
    return JsonResponse({"results": list(rows)})


urlpatterns = [
    path("bench/baseline/meetings/", meetings_baseline),
    path("bench/baseline/obligations/", obligations_baseline),
    *portal_urlpatterns,
]
