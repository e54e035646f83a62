# Meetings and conferences are dated between 2011-01-01 and 2100-12-31 (conferences.models:
# EARLIEST_DAY, LATEST_STORED_DAY; the ten-year planning horizon is the models' validation, as a
# check constraint cannot read today).
#
# A database that already holds a row outside those years is not migrated: the migration stops
# before changing anything and names the rows, for the secretariat to correct or delete (in the
# admin) before migrating again. It never moves a date itself: a guessed date would be a false
# record, and a deleted meeting a lost one.
#
# SQLite has no ALTER TABLE ... ADD CONSTRAINT: Django rebuilds the meeting table, and the
# rebuilt table has none of the old one's triggers. Those of the meeting tally (migration 0004)
# are dropped before and created again after, so the tally keeps counting.

import datetime
import importlib

from django.db import migrations, models
from django.db.models import Q

EARLIEST_DAY = datetime.date(2011, 1, 1)
LATEST_STORED_DAY = datetime.date(2100, 12, 31)
OUT_OF_RANGE = Q(date__lt=EARLIEST_DAY) | Q(date__gt=LATEST_STORED_DAY)

tally = importlib.import_module("conferences.migrations.0004_meeting_tally")


def refuse_dates_out_of_range(apps, schema_editor):
    found = []
    for model_name, label in (("Meeting", "meeting"), ("MinisterialConference", "conference")):
        model = apps.get_model("conferences", model_name)
        rows = model.objects.using(schema_editor.connection.alias).filter(OUT_OF_RANGE)
        found += [f"{label} {pk} dated {day}" for pk, day in rows.values_list("pk", "date")]
    if found:
        raise RuntimeError(
            f"Dates must lie between {EARLIEST_DAY} and {LATEST_STORED_DAY}; correct or delete "
            f"these rows (in the admin), then migrate again: {'; '.join(found)}."
        )


def sqlite_only(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


def plausible_dates(name):
    return models.CheckConstraint(
        condition=models.Q(date__isnull=True)
        | models.Q(date__gte=EARLIEST_DAY, date__lte=LATEST_STORED_DAY),
        name=name,
        violation_error_message="The date lies outside the years the process can be in.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0004_meeting_tally"),
    ]

    operations = [
        migrations.RunPython(refuse_dates_out_of_range, migrations.RunPython.noop),
        migrations.RunPython(sqlite_only(tally.SQLITE_DROP), sqlite_only(tally.SQLITE_TRIGGERS)),
        migrations.AddConstraint(
            model_name="meeting", constraint=plausible_dates("meeting_date_plausible")
        ),
        migrations.AddConstraint(
            model_name="ministerialconference",
            constraint=plausible_dates("conference_date_plausible"),
        ),
        migrations.RunPython(sqlite_only(tally.SQLITE_TRIGGERS), sqlite_only(tally.SQLITE_DROP)),
    ]
