"""Figures for the auditor (実績確認監査): daily and period reports, issued as revisions.

A report is computed from the ledger and the settlement data and frozen as revision 1. When the data is
corrected later (an investigation decided, a late sales report), issuing the same report again creates revision
2 with the reason and a diff to revision 1 — as the EPARK campaign re-uploaded corrected figures on the
auditor's instruction. No revision is ever changed or deleted.

Sections (each a list of rows with a stable ``key``):
- ``outlets``: books delivered to and sold by each outlet, per denomination;
- ``merchants``: tickets redeemed and their face value per merchant (by redemption date);
- ``batches``: batches paid in the period (payment date) with their amounts and what the bank confirmed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign
from settlement.models import AuditReport, PayoutLine, Redemption, SettlementBatch
from vouchers.models import Movement, MovementRange, SalesReport

SECTIONS = ("outlets", "merchants", "batches")


class ReportError(DomainError):
    pass


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def compute_figures(campaign: Campaign, start: date, end: date) -> dict:
    """The report's figures for ``start``–``end`` (inclusive), as JSON-ready data in a stable order."""
    outlets: dict[str, dict] = {}

    def outlet_row(code, name, denomination):
        key = f"{code}/{denomination}"
        return outlets.setdefault(key, {"key": key, "outlet": code, "outlet_name": name, "denomination": denomination,
                                        "books_delivered": 0, "books_sold": 0, "sales_yen": 0})

    for row in (MovementRange.objects.filter(movement__campaign=campaign, movement__kind=Movement.Kind.DISPATCH,
                                             movement__occurred_on__range=(start, end))
                .values("movement__to_outlet__code", "movement__to_outlet__name", "denomination__code")
                .annotate(books=Sum(F("last_book") - F("first_book") + 1)).order_by()):
        outlet_row(row["movement__to_outlet__code"], row["movement__to_outlet__name"],
                   row["denomination__code"])["books_delivered"] += row["books"]
    for row in (SalesReport.objects.filter(campaign=campaign, sales_date__range=(start, end))
                .values("outlet__code", "outlet__name", "denomination__code")
                .annotate(books=Sum("books"), yen=Sum("remittance")).order_by()):
        cell = outlet_row(row["outlet__code"], row["outlet__name"], row["denomination__code"])
        cell["books_sold"] += row["books"]
        cell["sales_yen"] += row["yen"]

    merchants: dict[str, dict] = defaultdict(dict)
    for row in (Redemption.objects.filter(campaign=campaign, by_decision=False, redeemed_at__gte=_moment(start),
                                          redeemed_at__lt=_moment(end + timedelta(days=1)))
                .values("merchant__merchant_number", "merchant__store_name")
                .annotate(tickets=Count("ticket"), yen=Sum("face_value")).order_by()):
        key = row["merchant__merchant_number"] or ""
        merchants[key] = {"key": key, "merchant": key, "store_name": row["merchant__store_name"],
                          "tickets": row["tickets"], "amount_yen": int(row["yen"])}

    batches = []
    for batch in (SettlementBatch.objects.filter(campaign=campaign, cutoff__payment_date__range=(start, end))
                  .exclude(status=SettlementBatch.Status.PREPARED).select_related("cutoff")
                  .order_by("cutoff__cutoff_date", "cutoff__kind")):
        paid = batch.lines.filter(status=PayoutLine.Status.PAID).aggregate(s=Sum("amount"))["s"] or 0
        failed = batch.lines.filter(status=PayoutLine.Status.FAILED).aggregate(s=Sum("amount"))["s"] or 0
        batches.append({"key": f"{batch.cutoff.cutoff_date.isoformat()}/{batch.cutoff.kind}",
                        "cutoff_date": batch.cutoff.cutoff_date.isoformat(),
                        "payment_date": batch.cutoff.payment_date.isoformat(), "kind": batch.cutoff.kind,
                        "status": batch.status, "merchants": batch.merchants, "envelopes": batch.envelopes,
                        "amount_yen": batch.amount, "confirmed_paid_yen": int(paid), "failed_yen": int(failed),
                        "held_yen": batch.held_amount})
    figures = {
        "outlets": [outlets[k] for k in sorted(outlets)],
        "merchants": [merchants[k] for k in sorted(merchants)],
        "batches": batches,
    }
    figures["totals"] = {
        "books_delivered": sum(r["books_delivered"] for r in figures["outlets"]),
        "books_sold": sum(r["books_sold"] for r in figures["outlets"]),
        "sales_yen": sum(r["sales_yen"] for r in figures["outlets"]),
        "tickets_redeemed": sum(r["tickets"] for r in figures["merchants"]),
        "redeemed_yen": sum(r["amount_yen"] for r in figures["merchants"]),
        "paid_yen": sum(r["amount_yen"] for r in figures["batches"]),
    }
    return figures


def figures_diff(before: dict, after: dict) -> dict:
    """Rows added, removed and changed per section (by key), and the totals that moved."""
    diff: dict = {}
    for section in SECTIONS:
        old = {row["key"]: row for row in before.get(section, [])}
        new = {row["key"]: row for row in after.get(section, [])}
        changes = {
            "added": [new[k] for k in sorted(set(new) - set(old))],
            "removed": [old[k] for k in sorted(set(old) - set(new))],
            "changed": [{"key": k, "before": {f: v for f, v in old[k].items() if new[k].get(f) != v},
                         "after": {f: v for f, v in new[k].items() if old[k].get(f) != v}}
                        for k in sorted(set(old) & set(new)) if old[k] != new[k]],
        }
        if any(changes.values()):
            diff[section] = changes
    totals = {name: {"before": before.get("totals", {}).get(name), "after": value}
              for name, value in after.get("totals", {}).items() if before.get("totals", {}).get(name) != value}
    if totals:
        diff["totals"] = totals
    return diff


def latest(campaign: Campaign, kind: str, start: date, end: date) -> AuditReport | None:
    return (AuditReport.objects.filter(campaign=campaign, kind=kind, period_start=start, period_end=end)
            .order_by("-revision").first())


@transaction.atomic
def report_issue(*, actor, campaign: Campaign, kind: str, start: date, end: date | None = None, reason: str = "",
                 request=None) -> AuditReport:
    """Issue a report, or a corrected revision of it (with a reason and the diff). Unchanged figures are refused."""
    if kind == AuditReport.Kind.DAILY:
        end = start
    if kind not in AuditReport.Kind.values:
        raise ReportError(_("Unknown report kind."))
    if end is None or end < start:
        raise ReportError(_("The end of the period must not be before its start."))
    if end >= timezone.localdate() + timedelta(days=1):
        raise ReportError(_("A report cannot cover days in the future."))
    figures = compute_figures(campaign, start, end)
    previous = latest(campaign, kind, start, end)
    diff = {}
    if previous is not None:
        diff = figures_diff(previous.figures, figures)
        if not diff:
            raise ReportError(_("The figures have not changed since revision %(n)d; there is nothing to correct.")
                              % {"n": previous.revision})
        if not reason.strip():
            raise ReportError(_("A corrected revision needs the reason for the correction."))
    try:
        with transaction.atomic():
            report = AuditReport.objects.create(
                campaign=campaign, kind=kind, period_start=start, period_end=end,
                revision=previous.revision + 1 if previous else 1, figures=figures, diff=diff,
                reason=reason.strip() if previous else reason.strip(), created_by=actor)
    except IntegrityError:
        raise ReportError(_("Someone issued this report at the same moment; reload and try again.")) from None
    audit_log(actor=actor, action="settlement.report_issue", target=report, campaign=campaign, request=request,
              data={"kind": kind, "start": start, "end": end, "revision": report.revision, "reason": reason,
                    "changed_sections": sorted(diff)})
    return report


TABLE_HEADER = ["section", "key", "name", "denomination", "books_delivered", "books_sold", "sales_yen", "tickets",
                "amount_yen", "payment_date", "confirmed_paid_yen", "failed_yen", "held_yen"]


def table_rows(report: AuditReport):
    """One flat table of a revision for CSV/Excel: a row per figure row, then the totals."""
    figures = report.figures
    for row in figures["outlets"]:
        yield ["outlets", row["key"], row["outlet_name"], row["denomination"], row["books_delivered"],
               row["books_sold"], row["sales_yen"], "", "", "", "", "", ""]
    for row in figures["merchants"]:
        yield ["merchants", row["key"], row["store_name"], "", "", "", "", row["tickets"], row["amount_yen"], "", "",
               "", ""]
    for row in figures["batches"]:
        yield ["batches", row["key"], row["status"], "", "", "", "", "", row["amount_yen"], row["payment_date"],
               row["confirmed_paid_yen"], row["failed_yen"], row["held_yen"]]
    totals = figures["totals"]
    yield ["totals", "", "", "", totals["books_delivered"], totals["books_sold"], totals["sales_yen"],
           totals["tickets_redeemed"], totals["redeemed_yen"], "", totals["paid_yen"], "", ""]
