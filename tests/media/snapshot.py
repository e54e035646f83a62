"""An instance as its database and storage hold it, to compare before a backup and after a
restore. Read with plain SQL from the database's own list of tables, not through the backup's
list of models: a table the backup forgot shows here. Run as a script (`python -m
tests.media.snapshot`) it prints the snapshot of the instance its environment names, as JSON.
"""

import json
import os

from django.db import connections


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def database_snapshot(using: str = "default") -> dict:
    """Every row of every table (but Django's record of migrations, which `migrate` writes),
    the counters that number new rows, and the triggers, each as text."""
    connection = connections[using]
    quote = connection.ops.quote_name
    tables = sorted(set(connection.introspection.table_names()) - {"django_migrations"})
    snapshot: dict = {"tables": {}}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows = [repr(tuple(_plain(value) for value in row)) for row in cursor.fetchall()]
            snapshot["tables"][table] = sorted(rows)
        if connection.vendor == "postgresql":
            # Not the counter of Django's record of migrations, as not the table: `migrate`
            # writes both, and a test database may have been migrated in more steps.
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = "
                "current_schema() AND sequencename <> 'django_migrations_id_seq' ORDER BY 1"
            )
            snapshot["counters"] = [list(row) for row in cursor.fetchall()]
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
                "WHERE NOT tgisinternal ORDER BY 1, 2"
            )
        else:
            # A counter at 0 and none are the same to SQLite: the next id is 1 either way.
            cursor.execute(
                "SELECT name, seq FROM sqlite_sequence "
                "WHERE seq > 0 AND name <> 'django_migrations' ORDER BY 1"
            )
            snapshot["counters"] = [list(row) for row in cursor.fetchall()]
            cursor.execute(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY 1, 2"
            )
        snapshot["triggers"] = [list(row) for row in cursor.fetchall()]
    return snapshot


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoa_portal.settings.test")
    import django

    django.setup()
    print(json.dumps(database_snapshot()))
