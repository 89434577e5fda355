"""After the reading: reconciling an envelope with its slip, investigations of suspicious serials, and the
shredding of processed tickets.

    reading done → envelope_reconcile
        declared = accepted per denomination, nothing rejected, nothing skipped → RECONCILED (payable)
        otherwise → REVIEW with its reasons; repeats, unsold-stock hits and bad check codes open investigations
    investigation_decide: accept (the face value is paid on top: ``adjustment``) or reject, with a reason
    envelope_clear_review: a reviewer releases a REVIEW envelope once its investigations are decided
    disposal_record: the paper of processed envelopes is shredded in front of a witness
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.errors import DomainError
from campaign.models import Campaign, Denomination
from settlement.intake import redemptions_take_turn
from settlement.models import Disposal, Envelope, Investigation, ReadOutcome, Redemption, VerificationClass
from vouchers.selectors import book_state

__all__ = [
    "INVESTIGATED_CLASSES",
    "ReviewError",
    "disposal_record",
    "envelope_clear_review",
    "envelope_reconcile",
    "investigation_decide",
]

# Outcomes a person must look at: a copy or a second claim, stock that was never sold, a forged check code.
INVESTIGATED_CLASSES = (
    VerificationClass.ALREADY_REDEEMED,
    VerificationClass.DUPLICATE_IN_BATCH,
    VerificationClass.UNSOLD,
    VerificationClass.BAD_CHECK,
)


class ReviewError(DomainError):
    """A reconciliation, decision or disposal was refused; nothing changed."""


def _face_values(campaign: Campaign) -> dict[int, int]:
    return dict(Denomination.objects.filter(campaign=campaign).values_list("code", "face_value"))


@transaction.atomic
def envelope_reconcile(*, actor, envelope: Envelope, request=None) -> Envelope:
    """Close the reading of an envelope: compare declared and accepted tickets per denomination, open an
    investigation for every suspicious serial, and mark the envelope reconciled or for review."""
    envelope = (Envelope.objects.select_for_update(no_key=True, of=("self",)).select_related("campaign")
                .get(pk=envelope.pk))
    if envelope.status not in (Envelope.Status.VERIFIED, Envelope.Status.REVIEW):
        raise ReviewError(_("Envelope %(number)s has no reading to reconcile (status: %(status)s).")
                          % {"number": envelope.number, "status": envelope.get_status_display()})
    if envelope.reconciled_at is not None:
        raise ReviewError(_("Envelope %(number)s is already reconciled.") % {"number": envelope.number})
    declared = {line.denomination_id: line for line in envelope.lines.select_related("denomination")}
    # What the readings accepted (a reviewer's accepted claims are counted among the rejected lines they came from).
    accepted = dict(Redemption.objects.filter(envelope=envelope, by_decision=False).values("denomination_id")
                    .annotate(n=Count("ticket")).values_list("denomination_id", "n"))
    reasons: list[dict] = []
    for denomination in Denomination.objects.filter(campaign=envelope.campaign).order_by("code"):
        want = declared[denomination.pk].declared_tickets if denomination.pk in declared else 0
        got = accepted.get(denomination.pk, 0)
        if want != got:
            reasons.append({"kind": "mismatch", "denomination": denomination.name, "declared": want, "accepted": got})
    if envelope.counted_tickets is not None:
        read_total = (sum(accepted.values())
                      + ReadOutcome.objects.filter(envelope=envelope).count())
        if read_total != envelope.counted_tickets:
            reasons.append({"kind": "count", "counted": envelope.counted_tickets, "read": read_total})
    rejected = dict(ReadOutcome.objects.filter(envelope=envelope).values("verification")
                    .annotate(n=Count("id")).values_list("verification", "n"))
    for cls, n in sorted(rejected.items()):
        reasons.append({"kind": "rejected", "class": cls, "count": n})
    skipped = envelope.reads.aggregate(n=Sum("skipped_lines"))["n"] or 0
    if skipped:
        reasons.append({"kind": "skipped", "count": skipped})

    # One investigation per suspicious serial (set-based: an envelope can hold thousands).
    face = _face_values(envelope.campaign)
    pending = ReadOutcome.objects.filter(envelope=envelope, verification__in=INVESTIGATED_CLASSES,
                                         investigation__isnull=True).only("pk", "code", "verification")
    new = []
    for outcome in pending.iterator(chunk_size=2000):
        # The code's third digit names the denomination (vouchers.serials): the amount at stake.
        denomination = int(outcome.code[2]) if len(outcome.code) == 21 and outcome.code.isdigit() else 0
        new.append(Investigation(campaign=envelope.campaign, envelope=envelope, outcome=outcome,
                                 verification=outcome.verification, face_value=face.get(denomination, 0)))
    Investigation.objects.bulk_create(new, batch_size=2000)

    envelope.review_reasons = reasons
    if reasons:
        envelope.status = Envelope.Status.REVIEW
    else:
        envelope.status = Envelope.Status.RECONCILED
        envelope.reconciled_at = timezone.now()
        envelope.reconciled_by = actor
    envelope.save(update_fields=["status", "review_reasons", "reconciled_at", "reconciled_by"])
    audit_log(actor=actor, action="settlement.envelope_reconcile", target=envelope, campaign=envelope.campaign,
              request=request, data={"status": envelope.status, "reasons": reasons, "investigations": len(new)})
    return envelope


@transaction.atomic
def envelope_clear_review(*, actor, envelope: Envelope, reason: str, request=None) -> Envelope:
    """Release an envelope from review: its differences are explained, every investigation is decided, and the
    releaser is a second person (neither a reader of its tickets nor a decider of its claims)."""
    envelope = Envelope.objects.select_for_update(no_key=True).get(pk=envelope.pk)
    reason = (reason or "").strip()
    if envelope.status != Envelope.Status.REVIEW or not envelope.review_reasons:
        raise ReviewError(_("Envelope %(number)s is not waiting for review. Reconcile it first.")
                          % {"number": envelope.number})
    if not reason:
        raise ReviewError(_("Give the reason for releasing the envelope."))
    still_open = envelope.investigations.filter(status=Investigation.Status.OPEN).count()
    if still_open:
        raise ReviewError(_("%(n)s investigations of this envelope are still open; decide them first.")
                          % {"n": still_open})
    # Four eyes: a short or disputed envelope becomes payable only when somebody who neither read its tickets nor
    # decided its claims releases it.
    involved = (set(envelope.reads.values_list("read_by_id", flat=True))
                | set(envelope.investigations.values_list("decided_by_id", flat=True)))
    if actor.pk in involved:
        raise ReviewError(_("You read this envelope's tickets or decided its claims: a second person must release "
                            "it."))
    envelope.status = Envelope.Status.RECONCILED
    envelope.reconciled_at = timezone.now()
    envelope.reconciled_by = actor
    envelope.save(update_fields=["status", "reconciled_at", "reconciled_by"])
    audit_log(actor=actor, action="settlement.envelope_release", target=envelope, campaign=envelope.campaign,
              request=request, data={"reason": reason, "reasons": envelope.review_reasons})
    return envelope


def _record_decided_ticket(investigation: Investigation) -> None:
    """An accepted claim pays the ticket: record it as redeemed by this envelope (``by_decision``), so that the
    ticket is paid once whatever comes after — the same code in another envelope, or read again once its book is
    reported sold, is a repeat of this redemption. The ticket's primary key refuses a second payment; the
    refusal names the envelope that holds the first."""
    outcome, envelope = investigation.outcome, investigation.envelope
    campaign = envelope.campaign
    code = outcome.code
    book = None
    if (len(code) == 21 and code.isdigit() and int(code[:2]) == campaign.serial_prefix and outcome.book
            and outcome.ticket):
        book = book_state(campaign, outcome.book)
    if (book is None or book.denomination.code != int(code[2]) or outcome.ticket > book.denomination.tickets_per_book
            or book.denomination.face_value != investigation.face_value):
        raise ReviewError(_("The code %(code)s names no issued ticket of this campaign; it cannot be paid.")
                          % {"code": code})
    # Readings of the campaign take turns with this insert: a reading in progress finishes first, the next one's
    # probe sees this row.
    redemptions_take_turn(campaign.pk)
    first = (Redemption.objects.filter(campaign=campaign, book=outcome.book, ticket=outcome.ticket)
             .select_related("envelope").first())
    if first is not None:
        raise ReviewError(_("Ticket %(code)s was already paid through envelope %(number)s; a ticket is paid once. "
                            "Reject this claim.") % {"code": code, "number": first.envelope.number})
    Redemption.objects.create(campaign=campaign, denomination=book.denomination, book=outcome.book,
                              ticket=outcome.ticket, face_value=book.denomination.face_value, envelope=envelope,
                              read_id=outcome.read_id, merchant_id=envelope.merchant_id, by_decision=True)


@transaction.atomic
def investigation_decide(*, actor, investigation: Investigation, accept: bool, reason: str,
                         request=None) -> Investigation:
    """Accept (pay the ticket's face value, once: see _record_decided_ticket) or reject (pay nothing) a suspicious
    serial. Final. Only while its envelope is under review: once reconciled, in a batch or settled, the
    envelope's figures are closed."""
    envelope_id = Investigation.objects.values_list("envelope_id", flat=True).get(pk=investigation.pk)
    # The envelope first, as every writer of an envelope's figures locks it (reading, reconciling, releasing).
    envelope = (Envelope.objects.select_for_update(no_key=True, of=("self",)).select_related("campaign")
                .get(pk=envelope_id))
    investigation = (Investigation.objects.select_for_update(of=("self",)).select_related("outcome")
                     .get(pk=investigation.pk))
    investigation.envelope = envelope
    reason = (reason or "").strip()
    if investigation.status != Investigation.Status.OPEN:
        raise ReviewError(_("This investigation was already decided (%(status)s).")
                          % {"status": investigation.get_status_display()})
    if not reason:
        raise ReviewError(_("Give the reason for the decision; it is kept in the audit log."))
    if envelope.status == Envelope.Status.SETTLED:
        raise ReviewError(_("The envelope is already settled; record a correction in the next batch instead."))
    if envelope.status != Envelope.Status.REVIEW:
        raise ReviewError(_("Envelope %(number)s is no longer under review (status: %(status)s); its decisions are "
                            "closed.") % {"number": envelope.number, "status": envelope.get_status_display()})
    if accept and investigation.face_value <= 0:
        raise ReviewError(_("The code names no denomination of this campaign; it cannot be paid."))
    if accept:
        _record_decided_ticket(investigation)
    investigation.status = Investigation.Status.ACCEPTED if accept else Investigation.Status.REJECTED
    investigation.adjustment = investigation.face_value if accept else 0
    investigation.reason = reason
    investigation.decided_by = actor
    investigation.decided_at = timezone.now()
    investigation.save()
    audit_log(actor=actor, action="settlement.investigation_" + ("accept" if accept else "reject"),
              target=envelope, campaign=investigation.campaign, request=request,
              data={"investigation": investigation.pk, "code": investigation.outcome.code,
                    "class": investigation.verification, "adjustment": investigation.adjustment,
                    "reason": reason})
    return investigation


@transaction.atomic
def disposal_record(*, actor, campaign: Campaign, disposed_on: date, method: str, envelopes: list[Envelope],
                    witness, note: str = "", request=None) -> Disposal:
    """Record the shredding of processed envelopes' tickets. Only reconciled or settled envelopes, each once."""
    method = (method or "").strip()
    if not method:
        raise ReviewError(_("Say how the tickets were destroyed (e.g. shredded on site)."))
    if disposed_on > timezone.localdate():
        raise ReviewError(_("The disposal date cannot be in the future."))
    if witness is None or witness.pk == actor.pk:
        raise ReviewError(_("A disposal is witnessed by a second person: name the witness."))
    if not envelopes:
        raise ReviewError(_("Choose the envelopes whose tickets were destroyed."))
    locked = list(Envelope.objects.select_for_update().filter(pk__in=[e.pk for e in envelopes]).order_by("pk"))
    for envelope in locked:
        if envelope.campaign_id != campaign.pk:
            raise ReviewError(_("Envelope %(number)s belongs to another campaign.") % {"number": envelope.number})
        if envelope.status not in (Envelope.Status.RECONCILED, Envelope.Status.SETTLED):
            raise ReviewError(_("Envelope %(number)s is not processed yet (status: %(status)s); its tickets are "
                                "evidence until it is reconciled.")
                              % {"number": envelope.number, "status": envelope.get_status_display()})
    already = Envelope.objects.filter(pk__in=[e.pk for e in locked], disposals__isnull=False).values_list(
        "number", flat=True)
    if already:
        raise ReviewError(_("The tickets of envelope %(number)s were already destroyed.") % {"number": already[0]})
    disposal = Disposal.objects.create(campaign=campaign, disposed_on=disposed_on, method=method, recorded_by=actor,
                                       witness=witness, note=note.strip())
    disposal.envelopes.set(locked)
    audit_log(actor=actor, action="settlement.disposal_record", target=disposal, campaign=campaign, request=request,
              data={"disposed_on": disposed_on.isoformat(), "method": method, "witness": witness.get_username(),
                    "envelopes": [e.number for e in locked]})
    return disposal
