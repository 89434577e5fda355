"""Voucher background jobs: the printer's numbering file for a lot, and the issuance ledger as Excel."""

from __future__ import annotations

from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.jobs import JobError, job_kind
from campaign.models import Campaign
from vouchers.ledger import ledger_on
from vouchers.ledger_excel import ledger_file_name, write_ledger_workbook
from vouchers.models import Book, PrintLot
from vouchers.numbering import numbering_rows, proof_pdf, write_numbering_csv
from vouchers.serials import keys_by_prefix


def campaign_key(campaign: Campaign) -> bytes:
    key = keys_by_prefix([(campaign.serial_prefix, campaign.code)]).get(campaign.serial_prefix)
    if key is None:
        raise JobError(_("No serial key is configured for campaign %(code)s (VOUCHER_MAC_KEYS).")
                       % {"code": campaign.code})
    return key


def lot_rows(lot: PrintLot, first_book: int | None = None, last_book: int | None = None):
    return numbering_rows(prefix=lot.campaign.serial_prefix, denomination=lot.denomination.code,
                          tickets_per_book=lot.denomination.tickets_per_book,
                          first_book=first_book or lot.first_book, last_book=last_book or lot.last_book,
                          key=campaign_key(lot.campaign))


def write_lot_numbering(lot: PrintLot, out, progress=None) -> int:
    """Stream one CSV line per ticket of the lot (first column the printed code); returns the line count."""
    total = lot.books * lot.denomination.tickets_per_book
    return write_numbering_csv(out, lot_rows(lot), progress=progress, total=total)


def lot_proof_pdf(lot: PrintLot, fileobj) -> None:
    """A one-page proof with sample tickets from the start, middle and end of the lot."""
    books = sorted({lot.first_book, (lot.first_book + lot.last_book) // 2, lot.last_book})
    tickets = lot.denomination.tickets_per_book
    samples = []
    for book in books:
        rows = list(lot_rows(lot, book, book))
        samples.extend([rows[0], rows[-1]] if tickets > 1 else rows[:1])
    proof_pdf(fileobj, title=_("Numbering proof"), campaign_name=lot.campaign.name,
              denomination_name=lot.denomination.name, face_value=lot.denomination.face_value,
              lot_label=f"{lot.first_book:,}–{lot.last_book:,} ({lot.completed_on:%Y-%m-%d})", samples=samples[:8])


@job_kind("vouchers_numbering", label=gettext_lazy("Printer numbering data"), capability="vouchers.manage")
def numbering_job(job, out, progress) -> str:
    lot = PrintLot.objects.select_related("campaign", "denomination").get(pk=job.params["lot"])
    lines = write_lot_numbering(lot, out, progress=lambda pct: progress(pct, _("Writing ticket codes")))
    progress(100, _("%(lines)s ticket codes") % {"lines": f"{lines:,}"})
    return f"numbering-{lot.campaign.code}-{lot.denomination.code}-{lot.first_book:07d}-{lot.last_book:07d}.csv"


@job_kind("vouchers_ledger", label=gettext_lazy("Issuance ledger (Excel)"), capability="vouchers.view")
def ledger_job(job, out, progress) -> str:
    campaign = Campaign.objects.get(pk=job.params["campaign"])
    day = date.fromisoformat(job.params["day"])
    progress(10, _("Summing the movements"))
    ledger = ledger_on(campaign, day)
    write_ledger_workbook(out, campaign=campaign, ledger=ledger,
                          prepared_at=timezone.localtime().replace(tzinfo=None))
    return ledger_file_name(ledger.day)


def lot_state_counts(lot: PrintLot) -> dict[str, int]:
    return dict(Book.objects.filter(lot=lot).values_list("state").annotate(n=Count("id")).order_by())
