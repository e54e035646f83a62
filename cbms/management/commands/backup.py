from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from hoa_portal.backup import backup_create


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class Command(BaseCommand):
    help = (
        "Write the whole instance into one .tar.gz archive: every row of every table (history, "
        "users, API tokens, second-factor devices included) as one snapshot, then every file "
        "of the attachments' storage (local disk or the bucket), with a manifest of rows per "
        "table and the sha256 of every member. An existing archive is never replaced. "
        "`restore` puts it back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "archive", type=Path, help="The archive to write, e.g. 2026-11-24.tar.gz"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, **options):
        archive = options["archive"]
        if not archive.parent.is_dir():
            raise CommandError(f"{archive.parent} is not a folder.")
        try:
            manifest = backup_create(archive=archive, using=options["database"])
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        for table in manifest["tables_not_backed_up"]:
            self.stderr.write(self.style.WARNING(f"Not in the archive (no model): {table}"))
        for name in manifest["missing_files"]:
            self.stderr.write(self.style.WARNING(f"A row names a file the storage lacks: {name}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{archive}: {manifest['rows']} rows of {len(manifest['tables'])} tables, "
                f"{len(manifest['files'])} files ({megabytes(manifest['file_bytes'])}); "
                f"{megabytes(manifest['archive_bytes'])} in {manifest['seconds']:.1f} s"
            )
        )
