"""What a merchant is told about a ticket that was not paid, in plain words (the portal's result page).

The class names in ``VerificationClass`` are written for the settlement clerk ("bad check code", "unsold
stock"). A restaurant owner needs to know what happened to the ticket they handed in and whether anything
is still to come, without the secretariat's jargon and without details of another merchant's envelopes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from settlement.models import Investigation, VerificationClass

# Classes that go to the investigation queue: staff look at the evidence and may still pay the ticket.
INVESTIGATED_CLASSES = frozenset({
    VerificationClass.ALREADY_REDEEMED, VerificationClass.UNSOLD, VerificationClass.BAD_CHECK,
})


def explain(verification: str, *, earlier_envelope: str = "") -> str:
    """One sentence for a merchant about why a ticket was not accepted.

    ``earlier_envelope`` is the number of the merchant's *own* envelope in which the same ticket was
    accepted first; leave it empty when the first redemption belongs to another merchant (never disclosed).
    """
    if verification == VerificationClass.ALREADY_REDEEMED and earlier_envelope:
        return _("This ticket has already been redeemed: the same ticket number was accepted earlier in your "
                 "envelope %(number)s.") % {"number": earlier_envelope}
    texts = {
        VerificationClass.VALID: _("Accepted."),
        VerificationClass.BAD_CHECK: _("The check code of the ticket number does not match (the ticket may be "
                                       "forged, or its number was misread)."),
        VerificationClass.NEVER_ISSUED: _("This ticket number was never issued."),
        VerificationClass.UNSOLD: _("This ticket number belongs to stock that has not been sold."),
        VerificationClass.ALREADY_REDEEMED: _("This ticket has already been redeemed (the same ticket number was "
                                              "accepted earlier)."),
        VerificationClass.DUPLICATE_IN_BATCH: _("The same ticket number appears more than once in this envelope; "
                                                "it is counted once."),
        VerificationClass.OTHER_CAMPAIGN: _("This ticket belongs to another campaign and cannot be redeemed "
                                            "here."),
        VerificationClass.OUTSIDE_USAGE_PERIOD: _("The envelope arrived outside the campaign's redemption period, "
                                                  "so the ticket cannot be redeemed."),
        VerificationClass.MERCHANT_SUSPENDED: _("Your store was suspended when the ticket was read, so it cannot "
                                                "be redeemed."),
    }
    try:
        return texts[VerificationClass(verification)]
    except ValueError:
        return _("This ticket could not be accepted. Please contact the secretariat.")


def payment_status(verification: str, investigation_status: str | None, *, final: bool = False) -> tuple[str, str]:
    """(key, label) of what happens to a rejected ticket: under investigation, to be paid, or not paid.

    A ticket of an investigated class without a decision yet is under investigation even before the queue
    entry exists (staff open it from the review list), unless the envelope is final (reconciled or settled);
    every other rejected ticket is not paid.
    """
    if investigation_status == Investigation.Status.ACCEPTED:
        return "paid", _("Will be paid")
    if investigation_status == Investigation.Status.REJECTED:
        return "not_paid", _("Not to be paid")
    if investigation_status == Investigation.Status.OPEN or (verification in INVESTIGATED_CLASSES and not final):
        return "investigating", _("Under investigation")
    return "not_paid", _("Not to be paid")


def reason_label(verification: str) -> str:
    """A short heading for a class of rejected tickets (the result page's summary and table)."""
    labels = {
        VerificationClass.VALID: _("Accepted"),
        VerificationClass.BAD_CHECK: _("Check code does not match"),
        VerificationClass.NEVER_ISSUED: _("Number never issued"),
        VerificationClass.UNSOLD: _("Unsold stock"),
        VerificationClass.ALREADY_REDEEMED: _("Already redeemed"),
        VerificationClass.DUPLICATE_IN_BATCH: _("Twice in this envelope"),
        VerificationClass.OTHER_CAMPAIGN: _("Another campaign's ticket"),
        VerificationClass.OUTSIDE_USAGE_PERIOD: _("Outside the redemption period"),
        VerificationClass.MERCHANT_SUSPENDED: _("Store suspended"),
    }
    try:
        return labels[VerificationClass(verification)]
    except ValueError:
        return _("Not accepted")
