"""Reads for the merchant portal's redemption claims: a merchant's envelopes and what became of each one.

Everything here is scoped to one merchant: a merchant never sees another merchant's envelope, nor, for a
ticket that was redeemed before, which other store redeemed it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Denomination
from settlement.explain import explain, payment_status, reason_label
from settlement.models import (
    Envelope,
    EnvelopeLine,
    Investigation,
    Merchant,
    ReadOutcome,
    Redemption,
    SerialRead,
)
from vouchers.serials import group_code

# Statuses after which the tickets have been read and the figures mean something to the merchant.
READ_STATUSES = frozenset({Envelope.Status.VERIFIED, Envelope.Status.REVIEW, Envelope.Status.RECONCILED,
                           Envelope.Status.SETTLED})
# Statuses after which the secretariat has confirmed the amount.
FINAL_STATUSES = frozenset({Envelope.Status.RECONCILED, Envelope.Status.SETTLED})


def status_label(status: str) -> str:
    """The envelope's state in the merchant's words (the staff labels speak of verification and review)."""
    return {
        Envelope.Status.DECLARED: _("Declared (not yet received)"),
        Envelope.Status.RECEIVED: _("Received (tickets not yet checked)"),
        Envelope.Status.VERIFIED: _("Tickets checked (amount not yet confirmed)"),
        Envelope.Status.REVIEW: _("Being reviewed by the secretariat"),
        Envelope.Status.RECONCILED: _("Amount confirmed"),
        Envelope.Status.SETTLED: _("Settled"),
    }.get(status, status)


def _sum_of(queryset: QuerySet, field_name: str) -> Subquery:
    return Coalesce(Subquery(queryset.values("envelope").annotate(total=Sum(field_name)).values("total")[:1],
                             output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class EnvelopeRow:
    number: str
    declared_on: date
    status: str
    status_label: str
    declared_tickets: int
    declared_amount: int
    accepted_amount: int | None  # only once the amount is confirmed


def merchant_envelopes(merchant: Merchant) -> QuerySet[Envelope]:
    """The merchant's envelopes, newest first, annotated with declared and accepted figures (page through
    them, then turn a page into rows with ``envelope_rows``)."""
    lines = EnvelopeLine.objects.filter(envelope=OuterRef("pk"))
    redemptions = Redemption.objects.filter(envelope=OuterRef("pk"), by_decision=False)  # decisions: "adjusted"
    adjustments = Investigation.objects.filter(envelope=OuterRef("pk"), status=Investigation.Status.ACCEPTED)
    return (Envelope.objects.filter(merchant=merchant)
            .annotate(tickets=_sum_of(lines, "declared_tickets"), amount=_sum_of(lines, "declared_amount"),
                      accepted=_sum_of(redemptions, "face_value"), adjusted=_sum_of(adjustments, "adjustment"))
            .order_by("-declared_at", "-pk"))


def envelope_rows(envelopes) -> list[EnvelopeRow]:
    """Rows for the list: the paid amount only once the secretariat has confirmed it."""
    return [EnvelopeRow(number=e.number, declared_on=timezone.localdate(e.declared_at), status=e.status,
                        status_label=status_label(e.status), declared_tickets=e.tickets, declared_amount=e.amount,
                        accepted_amount=e.accepted + e.adjusted if e.status in FINAL_STATUSES else None)
            for e in envelopes]


def merchant_envelope(merchant: Merchant, number: str) -> Envelope | None:
    """The merchant's own envelope with this number, or None (another merchant's envelope is not found)."""
    return (Envelope.objects.filter(merchant=merchant, number=number)
            .select_related("merchant", "campaign").first())


@dataclass
class DenominationResult:
    name: str
    face_value: int
    declared_tickets: int = 0
    declared_amount: int = 0
    accepted_tickets: int = 0
    accepted_amount: int = 0

    @property
    def difference(self) -> int:
        return self.accepted_tickets - self.declared_tickets


@dataclass(frozen=True)
class RejectedTicket:
    line_no: int
    code: str
    denomination: str
    reason: str  # the class, in short
    explanation: str  # the sentence for the merchant
    payment_key: str  # investigating / paid / not_paid
    payment_label: str


@dataclass
class EnvelopeResult:
    envelope: Envelope
    status_label: str
    read: bool  # tickets have been read: the figures below are meaningful
    final: bool  # the secretariat has confirmed the amount
    lines: list[DenominationResult]
    rejected_by_reason: list[tuple[str, int]]  # (reason, tickets)
    rejected_count: int
    investigating_count: int
    paid_after_investigation: int  # yen
    declared_tickets: int = 0
    declared_amount: int = 0
    accepted_tickets: int = 0
    accepted_amount: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def matches_declaration(self) -> bool:
        return all(line.difference == 0 for line in self.lines) and not self.rejected_count


def envelope_result(envelope: Envelope) -> EnvelopeResult:
    """Declared against accepted per denomination, plus the count of rejected tickets by reason.

    Tickets accepted after an investigation count as accepted (they are paid); the rejected list keeps them
    with their "to be paid" status so the merchant sees why the count changed.
    """
    campaign_denoms = {d.pk: d for d in Denomination.objects.filter(campaign_id=envelope.campaign_id)}
    by_code = {d.code: d for d in campaign_denoms.values()}
    rows: dict[int, DenominationResult] = {}

    def row(denomination: Denomination) -> DenominationResult:
        if denomination.pk not in rows:
            rows[denomination.pk] = DenominationResult(name=denomination.name, face_value=denomination.face_value)
        return rows[denomination.pk]

    for line in envelope.lines.select_related("denomination").order_by("denomination__code"):
        r = row(line.denomination)
        r.declared_tickets, r.declared_amount = line.declared_tickets, line.declared_amount
    for item in (Redemption.objects.filter(envelope=envelope, by_decision=False).values("denomination")
                 .annotate(n=Count("ticket"), amount=Sum("face_value"))):
        r = row(campaign_denoms[item["denomination"]])
        r.accepted_tickets += item["n"]
        r.accepted_amount += item["amount"]
    paid_after = 0
    for inv in (Investigation.objects.filter(envelope=envelope, status=Investigation.Status.ACCEPTED)
                .select_related("outcome")):
        paid_after += inv.adjustment
        denomination = _denomination_of(inv.outcome.code, envelope, by_code)
        if denomination is not None:
            r = row(denomination)
            r.accepted_tickets += 1
            r.accepted_amount += inv.adjustment

    final = envelope.status in FINAL_STATUSES
    outcomes = ReadOutcome.objects.filter(envelope=envelope)
    rejected_by_reason = [(reason_label(item["verification"]), item["n"])
                          for item in outcomes.values("verification").annotate(n=Count("pk")).order_by("-n",
                                                                                                        "verification")]
    investigating = sum(
        1 for verification, status in outcomes.values_list("verification", "investigation__status")
        if payment_status(verification, status, final=final)[0] == "investigating")
    lines = sorted(rows.values(), key=lambda r: -r.face_value)
    result = EnvelopeResult(
        envelope=envelope, status_label=status_label(envelope.status),
        read=envelope.status in READ_STATUSES or SerialRead.objects.filter(envelope=envelope).exists(),
        final=final, lines=lines, rejected_by_reason=rejected_by_reason,
        rejected_count=sum(n for _reason, n in rejected_by_reason), investigating_count=investigating,
        paid_after_investigation=paid_after,
        declared_tickets=sum(r.declared_tickets for r in lines), declared_amount=sum(r.declared_amount for r in lines),
        accepted_tickets=sum(r.accepted_tickets for r in lines), accepted_amount=sum(r.accepted_amount for r in lines),
    )
    return result


def _denomination_of(code: str, envelope: Envelope, by_code: dict[int, Denomination]) -> Denomination | None:
    """The denomination a printed code claims to be (digit 3), when the code is of this campaign."""
    if len(code) == 21 and code.isdigit() and int(code[:2]) == envelope.campaign.serial_prefix:
        return by_code.get(int(code[2]))
    return None


def rejected_outcomes(envelope: Envelope) -> QuerySet[ReadOutcome]:
    """The envelope's rejected tickets in reading order (page through them with a Paginator)."""
    return (ReadOutcome.objects.filter(envelope=envelope)
            .select_related("investigation", "first_redemption__envelope")
            .order_by("read_id", "line_no"))


def rejected_tickets(envelope: Envelope, outcomes) -> list[RejectedTicket]:
    """Rows for the result page: the code as printed, its denomination, the reason and what happens next."""
    by_code = {d.code: d for d in Denomination.objects.filter(campaign_id=envelope.campaign_id)}
    final = envelope.status in FINAL_STATUSES
    rows = []
    for outcome in outcomes:
        investigation = getattr(outcome, "investigation", None)
        first = outcome.first_redemption
        # The earlier envelope is named only when it is the merchant's own: which other store redeemed a
        # copied ticket first is for the secretariat's investigation, not for this merchant.
        earlier = first.envelope.number if first is not None and first.envelope.merchant_id == envelope.merchant_id \
            else ""
        key, label = payment_status(outcome.verification, investigation.status if investigation else None,
                                    final=final)
        denomination = _denomination_of(outcome.code, envelope, by_code)
        rows.append(RejectedTicket(
            line_no=outcome.line_no,
            code=group_code(outcome.code) if len(outcome.code) == 21 and outcome.code.isdigit() else outcome.code,
            denomination=denomination.name if denomination else "—",
            reason=reason_label(outcome.verification),
            explanation=explain(outcome.verification, earlier_envelope=earlier),
            payment_key=key, payment_label=label,
        ))
    return rows
