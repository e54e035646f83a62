from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from hoa_portal.backup import RestoreRefused, backup_restore


class Command(BaseCommand):
    help = (
        "Put an archive written by `backup` back: its files into the attachments' storage, "
        "then every row in one transaction, sequences reset. The database must be migrated to "
        "the archive's migrations and hold nothing but what `migrate` writes, the storage no "
        "file; --force replaces whatever they hold. The archive is checked whole (sha256 of "
        "every member) before anything is written. Stop the web, worker and beat processes "
        "first, and start them again after: they would write meanwhile, and they remember ids "
        "(content types) the restore may change."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="An archive written by `backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete every row of the database and every file of the storage first.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to fill.")

    def handle(self, *args, **options):
        archive = options["archive"]
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            manifest = backup_restore(
                archive=archive, using=options["database"], force=options["force"]
            )
        except RestoreRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{archive}: {manifest['rows']} rows of {len(manifest['tables'])} tables and "
                f"{len(manifest['files'])} files restored in {manifest['seconds']:.1f} s "
                f"(backed up {manifest['created_at']})"
            )
        )
