"""Write a lot's printer numbering file: one CSV line per ticket, the printed code first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaign.jobs import JobError
from vouchers.jobs import write_lot_numbering
from vouchers.models import PrintLot


class Command(BaseCommand):
    help = "Export the numbering data of a print lot as CSV (streamed; a 300k-book lot is ~4M lines)."

    def add_arguments(self, parser):
        parser.add_argument("--lot", type=int, required=True, help="print lot id")
        parser.add_argument("--out", required=True, help="output CSV path ('-' for standard output)")

    def handle(self, *args, lot, out, **options):
        try:
            print_lot = PrintLot.objects.select_related("campaign", "denomination").get(pk=lot)
        except PrintLot.DoesNotExist:
            raise CommandError(f"No print lot with id {lot}.") from None
        try:
            if out == "-":
                lines = write_lot_numbering(print_lot, self.stdout._out.buffer)
            else:
                with Path(out).open("wb") as handle:
                    lines = write_lot_numbering(print_lot, handle)
        except JobError as exc:
            raise CommandError(str(exc)) from exc
        if out != "-":
            self.stderr.write(f"{lines} tickets written to {out}")
