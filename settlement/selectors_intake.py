"""Reads for the intake screens: envelopes and their reconciliation, rejected serials, investigations with
their evidence, disposals. The merchant portal and payouts read the same figures from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from campaign.models import Campaign, Denomination
from settlement.models import Disposal, Envelope, Investigation, ReadOutcome, Redemption, SerialRead
from vouchers import selectors as voucher_selectors


def envelopes(campaign: Campaign, *, status: str = "", q: str = "") -> QuerySet[Envelope]:
    qs = Envelope.objects.filter(campaign=campaign).select_related("merchant")
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(number__startswith=q) | Q(merchant__merchant_number__startswith=q)
                       | Q(merchant__store_name__icontains=q))
    return qs.order_by("-declared_at", "-pk")


def envelope_by_number(campaign: Campaign, number: str) -> Envelope | None:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    return (Envelope.objects.filter(campaign=campaign, number=digits)
            .select_related("merchant", "campaign", "opened_by", "opened_with", "reconciled_by").first())


def status_counts(campaign: Campaign) -> dict[str, int]:
    counts = dict(Envelope.objects.filter(campaign=campaign).values("status").annotate(n=Count("id"))
                  .values_list("status", "n"))
    counts["received_today"] = Envelope.objects.filter(campaign=campaign,
                                                       received_on=timezone.localdate()).count()
    counts["open_investigations"] = Investigation.objects.filter(campaign=campaign,
                                                                 status=Investigation.Status.OPEN).count()
    return counts


@dataclass(frozen=True)
class ReconciliationRow:
    denomination: Denomination
    declared: int
    declared_amount: int
    accepted: int
    accepted_amount: int

    @property
    def difference(self) -> int:
        return self.accepted - self.declared


def reconciliation(envelope: Envelope) -> list[ReconciliationRow]:
    """Declared against accepted tickets for each denomination of the campaign (both may be zero)."""
    declared = {line.denomination_id: line for line in envelope.lines.all()}
    accepted = {row["denomination_id"]: row for row in Redemption.objects.filter(envelope=envelope, by_decision=False)
                .values("denomination_id").annotate(n=Count("ticket"), amount=Sum("face_value"))}
    rows = []
    for denomination in Denomination.objects.filter(campaign_id=envelope.campaign_id).order_by("code"):
        line = declared.get(denomination.pk)
        got = accepted.get(denomination.pk, {"n": 0, "amount": 0})
        if line is None and not got["n"]:
            continue
        rows.append(ReconciliationRow(denomination, line.declared_tickets if line else 0,
                                      line.declared_amount if line else 0, got["n"], got["amount"] or 0))
    return rows


def rejected_counts(envelope: Envelope) -> list[tuple[str, str, int]]:
    """(class code, label, serials) of the envelope's rejected serials, most frequent first."""
    labels = dict(ReadOutcome._meta.get_field("verification").choices)
    rows = (ReadOutcome.objects.filter(envelope=envelope).values("verification").annotate(n=Count("id"))
            .order_by("-n", "verification"))
    return [(row["verification"], labels.get(row["verification"], row["verification"]), row["n"]) for row in rows]


def outcomes(envelope: Envelope) -> QuerySet[ReadOutcome]:
    return (ReadOutcome.objects.filter(envelope=envelope)
            .select_related("read", "first_redemption__envelope__merchant", "investigation")
            .order_by("read_id", "line_no"))


def reads(envelope: Envelope) -> QuerySet[SerialRead]:
    return envelope.reads.select_related("read_by").order_by("read_at", "pk")


def payable_amount(envelope: Envelope) -> int:
    """What the envelope pays: its accepted tickets plus accepted investigations."""
    redeemed = Redemption.objects.filter(envelope=envelope, by_decision=False).aggregate(s=Sum("face_value"))["s"] or 0
    adjusted = envelope.investigations.filter(status=Investigation.Status.ACCEPTED).aggregate(
        s=Sum("adjustment"))["s"] or 0
    return redeemed + adjusted


def investigations(campaign: Campaign, *, status: str = Investigation.Status.OPEN,
                   verification: str = "") -> QuerySet[Investigation]:
    qs = Investigation.objects.filter(campaign=campaign).select_related("envelope__merchant", "outcome", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if verification:
        qs = qs.filter(verification=verification)
    return qs.order_by("opened_at", "pk")


@dataclass
class Evidence:
    """What a reviewer sees before deciding: the claim, the first claim of the same ticket, the book's life."""

    investigation: Investigation
    first: Redemption | None
    same_ticket: list[ReadOutcome]
    book: object | None
    history: list


def evidence(investigation: Investigation) -> Evidence:
    outcome = investigation.outcome
    first = None
    same: list[ReadOutcome] = []
    book = None
    history: list = []
    if outcome.book:
        first = (Redemption.objects.filter(campaign_id=investigation.campaign_id, book=outcome.book,
                                           ticket=outcome.ticket)
                 .select_related("envelope", "merchant", "read__read_by").first())
        same = list(ReadOutcome.objects.filter(envelope__campaign_id=investigation.campaign_id, book=outcome.book,
                                               ticket=outcome.ticket).exclude(pk=outcome.pk)
                    .select_related("envelope__merchant", "read"))
        book = voucher_selectors.book_state(investigation.campaign, outcome.book)
        history = voucher_selectors.book_history(investigation.campaign, outcome.book)
    return Evidence(investigation, first, same, book, history)


def disposals(campaign: Campaign) -> QuerySet[Disposal]:
    return (Disposal.objects.filter(campaign=campaign).select_related("recorded_by", "witness")
            .annotate(n_envelopes=Count("envelopes")).order_by("-disposed_on", "-pk"))


def disposable_envelopes(campaign: Campaign) -> QuerySet[Envelope]:
    """Processed envelopes whose paper has not been destroyed yet."""
    return (Envelope.objects.filter(campaign=campaign, status__in=[Envelope.Status.RECONCILED, Envelope.Status.SETTLED],
                                    disposals__isnull=True).select_related("merchant").order_by("received_on", "pk"))
