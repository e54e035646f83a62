"""Every moment the API writes has one form: ISO 8601 in UTC, whole seconds, `Z`
(`2026-12-03T06:30:00Z`). Dates stay `YYYY-MM-DD` (REST_FRAMEWORK["DATE_FORMAT"]).

DRF would write a model's DateTimeField in the current time zone (Asia/Kabul, `+04:30`) with
microseconds only when there are some, so two rows of one list could differ in length and no
client could compare them as text. `use_utc_timestamps()` (called once, from
members.apps.MembersConfig.ready) maps every model DateTimeField of every ModelSerializer to
`UTCDateTimeField`; values a view writes itself go through `api_timestamp`.
"""

import datetime as dt

from django.db import models
from django.utils import timezone
from rest_framework import serializers


def api_timestamp(value: dt.datetime | None) -> str | None:
    """`value` as the API writes every moment. isoformat, not strftime: it pads the year."""
    if value is None:
        return None
    if timezone.is_naive(value):  # a naive moment is one of the project's time zone
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class UTCDateTimeField(serializers.DateTimeField):
    """A DateTimeField that reads and writes UTC: a time sent without an offset is taken as UTC,
    as the API writes them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(*args, **kwargs)

    def to_representation(self, value):
        if not value:
            return None
        if isinstance(value, str):
            return value
        return api_timestamp(value)


def use_utc_timestamps() -> None:
    serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = UTCDateTimeField
