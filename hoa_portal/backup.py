"""One archive holds a whole instance: every row of every table of the installed apps (history,
users, API tokens and their grants, second-factor devices, sessions, the meeting tally) and
every file of the default storage, local disk or a bucket; `restore` puts both back as they
were, into a migrated database that holds nothing yet.

The archive is a .tar.gz:
    database/<app>.<Model>.jsonl   one JSON array per row, its columns in the manifest's order
    files/<name in the storage>    the stored bytes
    manifest.json                  last: migrations, columns, rows and sha256 per table, size
                                   and sha256 per file; a restore reads it and checks every
                                   member against it before writing anything

Rows are read through the ORM (`values_list`, converted from the database's types) and written
back with the fields' own conversions in multi-row INSERTs, neither `dumpdata` nor per-table
COPY:
- dumpdata's JSON keeps timestamps to the millisecond (DjangoJSONEncoder), so the restored rows
  would not be the backed-up ones; loaddata saves row by row and gives many-to-many links new
  ids.
- COPY (or pg_dump) is PostgreSQL's alone, and its text is that engine's. These rows are the
  same on SQLite and PostgreSQL: `make run`'s SQLite instance restores into PostgreSQL too.

What the database guards itself, a restore must neither trip nor repeat: the frozen content of
published plans (migration cbms 0006), the submitted reports no one changes (cbms 0004) and the
meeting tally kept by triggers (conferences 0004/0005), which would count the restored meetings
on top of the restored tally. So the tables' own triggers are off while the rows go in, and on
again, exactly as they were, before the same transaction commits: PostgreSQL's `ALTER TABLE ...
DISABLE TRIGGER` (the tables' owner may; foreign keys stay checked, at commit), SQLite's
triggers dropped and made again from their own SQL.
"""

import base64
import datetime as dt
import hashlib
import io
import json
import os
import posixpath
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

ARCHIVE_FORMAT = "hoa-portal-backup"
ARCHIVE_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FOLDER = "database/"
FILES_FOLDER = "files/"
# Rows that `migrate` writes into a new database itself (post_migrate): a database holding only
# these is empty. The restore replaces them with the archive's, whose ids the other rows name.
MIGRATE_MADE = frozenset({"contenttypes.ContentType", "auth.Permission"})
INSERT_BATCH = 500
READ_CHUNK = 2000
COPY_CHUNK = 1024 * 1024
# A member or file copied through memory up to this size, through a temporary file beyond.
SPOOL_BYTES = 8 * 1024 * 1024
ENABLE_TRIGGER = {
    "O": "ENABLE TRIGGER",
    "A": "ENABLE ALWAYS TRIGGER",
    "R": "ENABLE REPLICA TRIGGER",
}


class RestoreRefused(Exception):
    """The archive does not go into this instance as it stands; nothing has been written."""


# --- What is backed up ---------------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """Every model with a table of its own, many-to-many links included, by label."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]
    return sorted(found, key=lambda model: model._meta.label)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not field.generated]


def _encode(value: Any) -> Any:
    """A value as read through the ORM, as JSON that the field's `to_python` reads back."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value  # a JSONField's document is JSON already
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # to the microsecond, with the offset
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(value).decode("ascii")  # BinaryField.to_python's own form
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"No archive form for {type(value).__name__} values")


def _decoder(field: models.Field, connection) -> Callable[[Any], Any]:
    """From the archive's JSON to the parameter the database takes for this field."""
    if isinstance(field, models.JSONField) and not field.null:
        # Read back, JSON `null` and SQL NULL are both None; a column that refuses NULL held
        # the former.
        def json_value(value):
            if value is None:
                return connection.ops.adapt_json_value(None, field.encoder)
            return field.get_db_prep_save(value, connection)

        return json_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: field.get_db_prep_save(field.to_python(value), connection)


# --- Backup --------------------------------------------------------------------------------------


def backup_create(
    *, archive: Path, using: str = DEFAULT_DB_ALIAS, storage: Storage | None = None
) -> dict:
    """Write the archive (its folder must exist, the file must not) and return its manifest.

    The rows are one snapshot of the database (on PostgreSQL a REPEATABLE READ transaction;
    SQLite's transaction holds its write lock meanwhile). The files are read after it: one
    uploaded since is in the archive without its row (an orphan, swept an hour after a
    restore), one deleted since is missing and named in `missing_files`.
    """
    storage = storage or default_storage
    archive = Path(archive)
    if archive.exists():
        raise FileExistsError(f"{archive} exists: a backup never replaces another")
    started = time.monotonic()
    partial = archive.with_name(f"{archive.name}.partial")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            database = _database_write(tar, connections[using])
            files = _files_write(tar, storage)
            stored = {entry["name"] for entry in files}
            manifest = {
                "format": ARCHIVE_FORMAT,
                "version": ARCHIVE_VERSION,
                "created_at": timezone.now().isoformat(),
                "database_vendor": connections[using].vendor,
                "migrations": database["migrations"],
                "tables": database["tables"],
                "files": files,
                "rows": sum(table["rows"] for table in database["tables"]),
                "file_bytes": sum(entry["size"] for entry in files),
                "tables_not_backed_up": database["tables_not_backed_up"],
                "missing_files": sorted(database["referenced_files"] - stored),
            }
            _member_add(tar, MANIFEST, io.BytesIO(json.dumps(manifest, indent=1).encode()))
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    manifest["seconds"] = round(time.monotonic() - started, 3)
    manifest["archive_bytes"] = archive.stat().st_size
    return manifest


def _database_write(tar: tarfile.TarFile, connection) -> dict:
    tables = []
    referenced: set[str] = set()
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if snapshot:  # before any query of the transaction
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        migrations = sorted(MigrationRecorder(connection).applied_migrations())
        for model in backed_up_models():
            fields = _columns(model)
            files = [i for i, field in enumerate(fields) if isinstance(field, models.FileField)]
            rows = (
                model._base_manager.using(connection.alias)
                .order_by("pk")
                .values_list(*(field.attname for field in fields))
                .iterator(chunk_size=READ_CHUNK)
            )
            member = f"{DATABASE_FOLDER}{model._meta.label}.jsonl"
            with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as dump:
                digest, count = hashlib.sha256(), 0
                for row in rows:
                    line = json.dumps([_encode(value) for value in row], ensure_ascii=False)
                    data = f"{line}\n".encode()
                    dump.write(data)
                    digest.update(data)
                    count += 1
                    referenced.update(row[i] for i in files if row[i])
                dump.seek(0)
                _member_add(tar, member, dump)
            tables.append(
                {
                    "model": model._meta.label,
                    "table": model._meta.db_table,
                    "columns": [field.column for field in fields],
                    "rows": count,
                    "ids_given": _ids_given(connection, model),
                    "member": member,
                    "sha256": digest.hexdigest(),
                }
            )
        known = {table["table"] for table in tables} | {MigrationRecorder.Migration._meta.db_table}
        unknown = sorted(set(connection.introspection.table_names()) - known)
    return {
        "migrations": [list(key) for key in migrations],
        "tables": tables,
        "tables_not_backed_up": unknown,
        "referenced_files": referenced,
    }


def _ids_given(connection, model: type[models.Model]) -> int | None:
    """The highest id the table's counter has given, those of deleted rows included: a restore
    gives none of them again (a link to /reports/22 in an old email stays that report's)."""
    field = model._meta.auto_field
    if field is None:
        return None
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [connection.ops.quote_name(table), field.column],
            )
            (sequence,) = cursor.fetchone()
            if sequence is None:
                return None
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            given = last if called else last - 1
        else:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            given = row[0] if row else 0
    return given or None


def _ids_given_restore(cursor, connection, model: type[models.Model], given: int) -> None:
    """After the counters are reset to the highest id restored: on to `given` if higher."""
    table, column = model._meta.db_table, model._meta.auto_field.column
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"GREATEST(%s, (SELECT coalesce(max({quote(column)}), 0) FROM {quote(table)})))",
            [quote(table), column, given],
        )
    else:
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, %s) WHERE name = %s", [given, table]
        )
        if not cursor.rowcount:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, given]
            )


def storage_names(storage: Storage, folder: str = "") -> list[str]:
    """Every file in the storage (under `folder`), by name."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local MEDIA_ROOT nothing was stored in yet
        return []
    names = [posixpath.join(folder, name) for name in files]
    for sub in folders:
        names += storage_names(storage, posixpath.join(folder, sub))
    return sorted(names)


def _files_write(tar: tarfile.TarFile, storage: Storage) -> list[dict]:
    files = []
    for name in storage_names(storage):
        try:
            source = storage.open(name, "rb")
        except FileNotFoundError:  # deleted since it was listed: its row is gone too, or
            continue  # `missing_files` names it
        with source, tempfile.SpooledTemporaryFile(SPOOL_BYTES) as copy:
            digest, size = _copy(source, copy)
            copy.seek(0)
            _member_add(tar, f"{FILES_FOLDER}{name}", copy)
        files.append({"name": name, "size": size, "sha256": digest})
    return files


def _copy(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(COPY_CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _member_add(tar: tarfile.TarFile, name: str, content: IO[bytes]) -> None:
    """Add `content` from where it stands to its end (seekable: its size goes first)."""
    start = content.tell()
    content.seek(0, io.SEEK_END)
    info = tarfile.TarInfo(name)
    info.size = content.tell() - start
    info.mtime = int(time.time())
    info.mode = 0o600
    content.seek(start)
    tar.addfile(info, content)


# --- Restore -------------------------------------------------------------------------------------


def backup_restore(
    *,
    archive: Path,
    using: str = DEFAULT_DB_ALIAS,
    storage: Storage | None = None,
    force: bool = False,
) -> dict:
    """Put the archive's rows and files back and return its manifest.

    Refused (RestoreRefused, nothing written) when the archive is damaged or not one of ours,
    when this database's migrations are not the archive's, and, unless `force`, when the
    database holds any row but those `migrate` makes or the storage holds any file. With
    `force` the tables are emptied first and the storage's files the archive does not hold
    are deleted after the rows are in.

    Files go first, then every row in one transaction: a restore that fails while writing
    leaves files (the orphan sweep takes them, or `force` replaces them), never half the rows.
    """
    storage = storage or default_storage
    connection = connections[using]
    started = time.monotonic()
    with tarfile.open(archive, "r:gz") as tar:
        manifest, members = _archive_check(tar)
        tables = _tables_match(manifest, connection)
        if not force:
            _refuse_unless_empty(tables, connection, storage)
        for entry in manifest["files"]:
            _file_restore(tar, members[f"{FILES_FOLDER}{entry['name']}"], entry, storage, force)
        _database_restore(tar, members, tables, connection)
    if force:
        kept = {entry["name"] for entry in manifest["files"]}
        for name in storage_names(storage):
            if name not in kept:
                storage.delete(name)
    if apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # its ids are the archive's now
    manifest["seconds"] = round(time.monotonic() - started, 3)
    return manifest


def _archive_check(tar: tarfile.TarFile) -> tuple[dict, dict[str, tarfile.TarInfo]]:
    """Read every member once, hashing it, and hold the result to the manifest."""
    digests: dict[str, tuple[str, int]] = {}
    members: dict[str, tarfile.TarInfo] = {}
    manifest = None
    try:
        for member in tar:
            if not member.isfile() or member.name in members:
                raise RestoreRefused(f"The archive holds an unexpected member: {member.name}")
            members[member.name] = member
            with tar.extractfile(member) as content:
                if member.name == MANIFEST:
                    manifest = json.loads(content.read())
                else:
                    digests[member.name] = _copy(content, _Discard())
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise RestoreRefused(f"The archive cannot be read: {exc}") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != ARCHIVE_FORMAT
        or manifest.get("version") != ARCHIVE_VERSION
    ):
        raise RestoreRefused(f"Not a backup of this portal (format {ARCHIVE_VERSION}).")
    try:
        expected = {table["member"]: (table["sha256"], None) for table in manifest["tables"]} | {
            f"{FILES_FOLDER}{entry['name']}": (entry["sha256"], entry["size"])
            for entry in manifest["files"]
        }
        unsafe = [entry["name"] for entry in manifest["files"] if not _plain_path(entry["name"])]
    except (KeyError, TypeError) as exc:
        raise RestoreRefused(f"The archive's manifest is incomplete: {exc!r}") from exc
    if unsafe:  # the storage would refuse them too, but only after writing the others
        raise RestoreRefused(f"The archive names files outside the storage: {unsafe}")
    damaged = sorted(
        name
        for name in expected.keys() | digests.keys()
        if name not in digests
        or name not in expected
        or digests[name][0] != expected[name][0]
        or expected[name][1] not in (None, digests[name][1])
    )
    if damaged:
        raise RestoreRefused(f"The archive is damaged: these members do not match: {damaged}")
    return manifest, members


def _plain_path(name) -> bool:
    """A relative path of plain names, as storages give them: no `..`, nothing from the root."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return False
    return not name.startswith("/") and all(part not in ("", ".", "..") for part in name.split("/"))


class _Discard(io.RawIOBase):
    def write(self, data) -> int:
        return len(data)


def _tables_match(manifest: dict, connection) -> list[tuple[type[models.Model], dict]]:
    """Each archived table with this code's model for it; refused unless they match exactly."""
    applied = sorted(list(key) for key in MigrationRecorder(connection).applied_migrations())
    if applied != manifest["migrations"]:
        archived = {tuple(key) for key in manifest["migrations"]}
        here = {tuple(key) for key in applied}
        raise RestoreRefused(
            "This database's migrations are not the archive's: migrate to the archive's "
            f"(missing here: {sorted(archived - here)}; not in the archive: "
            f"{sorted(here - archived)})."
        )
    models_here = {model._meta.label: model for model in backed_up_models()}
    archived = {table["model"]: table for table in manifest["tables"]}
    differ = sorted(models_here.keys() ^ archived.keys()) + sorted(
        label
        for label in models_here.keys() & archived.keys()
        if archived[label]["table"] != models_here[label]._meta.db_table
        or archived[label]["columns"] != [field.column for field in _columns(models_here[label])]
    )
    if differ:
        raise RestoreRefused(f"The archive's tables are not this code's: {differ}")
    return [(models_here[label], archived[label]) for label in sorted(archived)]


def _refuse_unless_empty(tables, connection, storage: Storage) -> None:
    holding = [
        model._meta.label
        for model, _table in tables
        if model._meta.label not in MIGRATE_MADE
        and model._base_manager.using(connection.alias).exists()
    ]
    if holding:
        raise RestoreRefused(
            f"The database is not empty (rows in {len(holding)} tables: "
            f"{', '.join(holding[:5])}{', ...' if len(holding) > 5 else ''}): restore into a "
            "new migrated database, or pass --force to replace everything in it."
        )
    stored = storage_names(storage)
    if stored:
        raise RestoreRefused(
            f"The storage is not empty ({len(stored)} files, e.g. {stored[0]}): restore into "
            "an empty one, or pass --force to replace its files."
        )


def _file_restore(
    tar: tarfile.TarFile, member: tarfile.TarInfo, entry: dict, storage: Storage, force: bool
) -> None:
    name = entry["name"]
    with tar.extractfile(member) as source, tempfile.SpooledTemporaryFile(SPOOL_BYTES) as copy:
        _copy(source, copy)  # checked already; the storage may read it more than once
        copy.seek(0)
        if force and storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(copy, name=posixpath.basename(name)))
    if saved != name:
        raise RuntimeError(f"The storage stored {name} as {saved}")


def _database_restore(tar, members, tables, connection) -> None:
    names = [model._meta.db_table for model, _table in tables]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        with _triggers_off(cursor, connection, names):
            for statement in connection.ops.sql_flush(no_style(), names):
                cursor.execute(statement)
            if connection.vendor == "sqlite":  # its counters as if the tables were new
                cursor.execute(
                    f"DELETE FROM sqlite_sequence WHERE name IN ({', '.join(['%s'] * len(names))})",
                    names,
                )
            for model, table in tables:
                with tar.extractfile(members[table["member"]]) as content:
                    _rows_insert(cursor, connection, model, _lines(content))
        for statement in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in tables]):
            cursor.execute(statement)
        for model, table in tables:
            if table["ids_given"] and model._meta.auto_field is not None:
                _ids_given_restore(cursor, connection, model, table["ids_given"])


def _lines(content: IO[bytes]) -> Iterator[list]:
    for line in io.TextIOWrapper(content, encoding="utf-8"):
        yield json.loads(line)


def _rows_insert(cursor, connection, model: type[models.Model], rows: Iterator[list]) -> None:
    fields = _columns(model)
    decoders = [_decoder(field, connection) for field in fields]
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    one_row = f"({', '.join(['%s'] * len(fields))})"
    batch_size = max(1, min(INSERT_BATCH, connection.ops.bulk_batch_size(fields, [None] * 500)))
    batch: list = []
    for row in rows:
        batch.append([decode(value) for decode, value in zip(decoders, row, strict=True)])
        if len(batch) == batch_size:
            _insert(cursor, head, one_row, batch)
            batch = []
    if batch:
        _insert(cursor, head, one_row, batch)


def _insert(cursor, head: str, one_row: str, batch: list[list]) -> None:
    cursor.execute(
        head + ", ".join([one_row] * len(batch)), [value for row in batch for value in row]
    )


@contextmanager
def _triggers_off(cursor, connection, tables: list[str]) -> Iterator[None]:
    """The tables' own triggers off, then on again as they were, in the same transaction. If
    the block fails, the transaction's rollback puts them back."""
    quote = connection.ops.quote_name
    restore = []
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
            "AND pg_table_is_visible(c.oid) AND c.relname = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        for table, trigger, enabled in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
            restore.append(f"ALTER TABLE {quote(table)} {ENABLE_TRIGGER[enabled]} {quote(trigger)}")
    elif connection.vendor == "sqlite":
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            f"({', '.join(['%s'] * len(tables))}) ORDER BY name",
            tables,
        )
        for trigger, sql in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {quote(trigger)}")
            restore.append(sql)  # as SQLite keeps it: the statement that made it
    else:
        raise NotImplementedError(f"No restore for {connection.vendor}")
    yield
    if connection.vendor == "postgresql":
        # Now, not at commit: PostgreSQL alters no table with foreign key checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for statement in restore:
        cursor.execute(statement)
