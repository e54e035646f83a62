from django.core.management.base import BaseCommand

from cbms.records.loading import load_hoa_data


class Command(BaseCommand):
    help = (
        "Load the real data of the Heart of Asia – Istanbul Process (countries, organizations, "
        "conferences, declarations, CBMs, implementation plans). Idempotent: a second run "
        "changes nothing."
    )

    def handle(self, *args, **options):
        report = load_hoa_data()
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"HoA-IP data loaded: {report.total_created} created, "
                    f"{report.total_updated} updated."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS("HoA-IP data already up to date: 0 created, 0 updated.")
            )
