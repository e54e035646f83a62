import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cbms.compliance.invitations import invitations_send
from cbms.compliance.services import compliance_daily
from members.services import notifications_digest_email, notifications_email


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--on takes a calendar date as YYYY-MM-DD, e.g. 2020-08-09; {value!r} is not one."
        ) from None


class Command(BaseCommand):
    help = (
        "Run the daily compliance sweep now: re-evaluate every CBM's obligations (planning and "
        "retiring their reminders), send the reminders due, the secretariat's missed digest, "
        "the pending RTG invitations, then every pending email and the day's digests. --on "
        "evaluates and sends as if that day were today in Kabul (for drills and tests). "
        "Idempotent: a second run sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on", metavar="YYYY-MM-DD", help="The day to evaluate and send for (default today)."
        )

    def handle(self, *args, **options):
        on = _day(options["on"]) if options["on"] is not None else timezone.localdate()
        report = compliance_daily(on=on)
        sweep, sent, plan = report.sweep, report.sent, report.sweep.plan
        self.stdout.write(f"Compliance sweep as on {on.isoformat()}:")
        self.stdout.write(
            f"  {sweep.cbms} CBMs evaluated, {sweep.obligations} obligations stored, "
            f"{sweep.removed} removed, {sweep.notices} status notices"
        )
        if plan is not None:
            self.stdout.write(
                f"  reminders planned: {plan.created} new, {plan.replanned} re-planned, "
                f"{plan.retired} retired"
            )
        self.stdout.write(
            f"  reminders sent: {sent.sent} ({sent.superseded} earlier steps superseded), "
            f"{sent.notices} notices"
        )
        self.stdout.write(f"  missed digest: {report.digests} notices")
        invitations = invitations_send()
        emails = notifications_email()
        digests = notifications_digest_email(on=on)
        self.stdout.write(
            self.style.SUCCESS(
                f"  emails sent: {emails}, digest emails: {digests}, invitations: {invitations}"
            )
        )
