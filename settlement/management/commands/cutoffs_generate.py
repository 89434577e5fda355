"""Generate a cutoff schedule from a rule: `manage.py cutoffs_generate --day 10 --pay last-business-day
--from 2020-10 --to 2022-11 --dry-run` prints one "cutoff_date payment_date" line per row."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from settlement.services.cutoffs import (
    CutoffError,
    generate_schedule,
    parse_month,
    parse_pay_rule,
    schedule_save,
)


class Command(BaseCommand):
    help = "Generate cutoffs: day N of each month, paid on the last bank business day or K business days later."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=int, required=True)
        parser.add_argument("--pay", required=True, help="last-business-day or +K")
        parser.add_argument("--from", dest="first", required=True, help="YYYY-MM")
        parser.add_argument("--to", dest="last", required=True, help="YYYY-MM")
        parser.add_argument("--dry-run", action="store_true", help="print the rows without saving")
        parser.add_argument("--campaign", help="campaign code (needed to save)")
        parser.add_argument("--user", help="user name recorded in the audit log (needed to save)")

    def handle(self, *args, **options):
        try:
            rows = generate_schedule(day=options["day"], pay=parse_pay_rule(options["pay"]),
                                     first=parse_month(options["first"]), last=parse_month(options["last"]))
        except CutoffError as exc:
            raise CommandError(str(exc)) from None
        for row in rows:
            self.stdout.write(f"{row.cutoff_date.isoformat()} {row.payment_date.isoformat()}")
        if options["dry_run"]:
            return
        if not options["campaign"] or not options["user"]:
            raise CommandError("To save, give --campaign CODE and --user NAME (or use --dry-run).")
        try:
            campaign = Campaign.objects.get(code=options["campaign"])
            actor = get_user_model().objects.get(username=options["user"])
            schedule_save(actor=actor, campaign=campaign, rows=rows, source="cutoffs_generate")
        except (Campaign.DoesNotExist, get_user_model().DoesNotExist, CutoffError) as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Saved {len(rows)} cutoffs for {campaign.code}.")
