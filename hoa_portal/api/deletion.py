"""DELETE through the API removes a record only when no other record refers to it.

The database already refuses some deletes (PROTECT: a country that hosts a conference, a CBM
with meetings). Others it would carry out by deleting the referring rows too (CASCADE: a
conference's declaration and its articles, Article 25 among them; a CBM's roles and plans). The
portal's delete page lists those and asks first; an API call has no such step, so here either
kind is a 409 naming what refers to the record (hoa_portal.api.exceptions), and nothing goes.
"""

from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.db.models import Model, ProtectedError

# Rows that go with the record they point to without being records of their own: its parts,
# shown and written as its fields, or what the RTG rule computes from it and computes again.
GO_WITH_THE_RECORD = frozenset(
    {
        "members.participation",  # a country's `participation`, `since` and `until`
        "cbms.cbmname",  # the names a CBM had before its current one
        "cbms.obligation",  # the rule's evaluation, re-run after every delete
        "cbms.reminder",  # planned from an obligation
    }
)


def referring_records(instance: Model) -> list[Model]:
    """Every row a delete of `instance` would be refused for or would delete with it, other
    than its own parts (GO_WITH_THE_RECORD)."""
    collector = NestedObjects(using=router.db_for_write(type(instance)))
    collector.collect([instance])
    referring = list(collector.protected)
    for model, objects in collector.model_objs.items():
        if model._meta.label_lower in GO_WITH_THE_RECORD:
            continue
        referring += [obj for obj in objects if not (model is type(instance) and obj == instance)]
    return referring


def record_delete(instance: Model) -> None:
    referring = referring_records(instance)
    if referring:
        raise ProtectedError(f"{instance!r} is referred to by other records.", set(referring))
    instance.delete()
