"""Envelopes of used vouchers: declared by the merchant (or staff from a paper slip), then received and opened."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.models import Denomination
from settlement.models import Envelope, EnvelopeLine, Merchant
from settlement.services.merchants import MerchantError
from vouchers.serials import damm_digit

__all__ = ["MAX_TICKETS_PER_DENOMINATION", "envelope_declare", "envelope_receive"]

# More than this in one envelope is a typing error (a whole book is 12–13 tickets).
MAX_TICKETS_PER_DENOMINATION = 100_000


@transaction.atomic
def envelope_declare(*, actor, merchant: Merchant, tickets: dict[Denomination, int], key: str = "",
                     request=None) -> Envelope:
    """A redemption claim: tickets per denomination; the amount is computed, never typed.

    ``key`` is the form's one-time key: a second declaration with the same key (a double click, a resent form, two
    requests at once) returns the envelope the first one declared and declares nothing. The merchant's row lock
    below makes the two take turns; the unique constraint on (merchant, key) is the last guard."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if key:
        earlier = merchant.envelopes.filter(declare_key=key).first()
        if earlier is not None:
            return earlier
    if merchant.status != Merchant.Status.APPROVED:
        raise MerchantError(_("Only approved merchants can claim redemption."))
    if merchant.is_suspended:
        raise MerchantError(_("This merchant is suspended and cannot claim redemption."))
    for denomination, n in tickets.items():
        if n is None or n < 0 or n > MAX_TICKETS_PER_DENOMINATION:
            raise MerchantError(_("%(name)s: the number of tickets must be between 0 and %(max)s.")
                                % {"name": denomination.name, "max": f"{MAX_TICKETS_PER_DENOMINATION:,}"})
    tickets = {d: n for d, n in tickets.items() if n}
    if not tickets:
        raise MerchantError(_("Declare at least one ticket."))
    for denomination in tickets:
        if denomination.campaign_id != merchant.campaign_id:
            raise MerchantError(_("%(name)s belongs to another campaign.") % {"name": denomination.name})
    # Envelope number: merchant number, a 3-digit running number, and a Damm digit (12 digits, barcode-friendly).
    # The running number continues from the merchant's highest one (the merchant row is locked above).
    last = merchant.envelopes.aggregate(last=Max("number"))["last"]
    running = int(last[8:11]) + 1 if last else 1
    if running > 999:
        raise MerchantError(_("This merchant has used all 999 envelope numbers; contact the secretariat."))
    serial = f"{merchant.merchant_number}{running:03d}"
    envelope = Envelope.objects.create(campaign=merchant.campaign, merchant=merchant, number=serial + damm_digit(serial),
                                       declared_by=actor, declare_key=key)
    EnvelopeLine.objects.bulk_create([
        EnvelopeLine(envelope=envelope, denomination=d, declared_tickets=n, declared_amount=n * d.face_value)
        for d, n in tickets.items()])
    audit_log(actor=actor, action="settlement.envelope_declare", target=envelope, campaign=merchant.campaign,
              request=request, data={"tickets": {d.name: n for d, n in tickets.items()}})
    return envelope


@transaction.atomic
def envelope_receive(*, actor, envelope: Envelope, received_on: date, seal_intact: bool, opened_with,
                     counted_tickets: int, confirm_difference: bool = False, request=None) -> Envelope:
    """Record the envelope's arrival and its opening by two people. A count that differs from the slip is refused
    until the clerk confirms it after counting again; it is then kept (and the envelope goes to review when it is
    reconciled)."""
    envelope = Envelope.objects.select_for_update().get(pk=envelope.pk)
    if envelope.status != Envelope.Status.DECLARED:
        raise MerchantError(_("Envelope %(number)s has already been received.") % {"number": envelope.number})
    if received_on > timezone.localdate():
        raise MerchantError(_("The receipt date cannot be in the future."))
    if opened_with is None or opened_with.pk == actor.pk:
        raise MerchantError(_("An envelope is opened by two people: name the second person."))
    declared = sum(envelope.lines.values_list("declared_tickets", flat=True))
    if counted_tickets != declared and not confirm_difference:
        raise MerchantError(_("%(counted)s tickets were counted, but the slip declares %(declared)s. Count again; if "
                              "the count is right, confirm the difference: it is kept and the envelope will go to "
                              "review.") % {"counted": counted_tickets, "declared": declared})
    envelope.status = Envelope.Status.RECEIVED
    envelope.received_on = received_on
    envelope.seal_intact = seal_intact
    envelope.opened_by = actor
    envelope.opened_with = opened_with
    envelope.counted_tickets = counted_tickets
    envelope.save()
    audit_log(actor=actor, action="settlement.envelope_receive", target=envelope, campaign=envelope.campaign,
              request=request, data={"seal_intact": seal_intact, "counted_tickets": counted_tickets,
                                     "declared_tickets": declared, "opened_with": opened_with.get_username()})
    return envelope
