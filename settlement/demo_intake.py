"""Demo envelopes for `manage.py seed_demo`: claims waiting to arrive, received envelopes waiting to be read,
reconciled ones ready for payment, and envelopes on the review list whose serials cover every verification
class, with open and decided investigations and a disposal. Made through the same services the screens use;
runs once per campaign (called from ``settlement.demo``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from settlement import services
from settlement.intake import envelope_read
from settlement.models import Envelope, EnvelopeLine, Investigation, Merchant, ReadOutcome
from vouchers.models import Book, BookState
from vouchers.serials import TicketId, damm_digit, make_code


def seed(*, campaign, users: dict, stdout) -> None:
    create(campaign=campaign, users=users)
    summary(campaign=campaign, stdout=stdout)


def create(*, campaign, users: dict) -> None:
    if not Envelope.objects.filter(campaign=campaign).exists():
        _seed(campaign, users)


def summary(*, campaign, stdout) -> None:
    """One line about every envelope of the campaign (the payouts demo adds older ones after ``create``)."""
    envelopes = Envelope.objects.filter(campaign=campaign)
    counts = {s: envelopes.filter(status=s).count() for s in Envelope.Status.values}
    classes = sorted(set(ReadOutcome.objects.filter(envelope__campaign=campaign)
                         .values_list("verification", flat=True)) | ({"valid"} if counts["reconciled"] else set()))
    stdout.write(f"Demo envelopes: {envelopes.count()} ({counts['declared']} declared, {counts['received']} received, "
                 f"{counts['review']} on the review list, {counts['reconciled']} reconciled), "
                 f"{Investigation.objects.filter(campaign=campaign, status='open').count()} open investigations; "
                 f"verification classes shown: {', '.join(classes)}.")


def _seed(campaign, users: dict) -> None:
    key = settings.VOUCHER_MAC_KEYS.get(campaign.code)
    if key is None:
        return
    clerk, second = users["settlement"], users["manager"]
    today = timezone.localdate()
    merchants = list(Merchant.objects.filter(campaign=campaign, status=Merchant.Status.APPROVED,
                                             suspended_at__isnull=True).order_by("merchant_number")[:12])
    if len(merchants) < 12:
        return
    denominations = {d.code: d for d in campaign.denominations.all()}
    sold = {code: list(Book.objects.filter(campaign=campaign, state=BookState.SOLD, denomination__code=code)
                       .order_by("number").values_list("number", flat=True)[:200]) for code in denominations}
    vault = Book.objects.filter(campaign=campaign, state=BookState.VAULT).order_by("number").first()
    if not sold.get(1) or vault is None:
        return

    def code(book: int, ticket: int, denomination: int = 1) -> str:
        return make_code(TicketId(campaign.serial_prefix, denomination, book, ticket), key)

    def claim(merchant, tickets: dict[int, int], received_days_ago: int | None, counted: int | None = None):
        envelope = services.envelope_declare(actor=merchant.portal_user or clerk, merchant=merchant,
                                             tickets={denominations[c]: n for c, n in tickets.items()})
        if received_days_ago is not None:
            envelope = services.envelope_receive(
                actor=clerk, envelope=envelope, received_on=today - timedelta(days=received_days_ago),
                seal_intact=True, opened_with=second, counted_tickets=counted or sum(tickets.values()),
                confirm_difference=counted is not None)  # a count that differs was checked twice and is kept
        return envelope

    def whole_books(books: list[int], denomination: int = 1) -> list[str]:
        per_book = denominations[denomination].tickets_per_book
        return [code(b, t, denomination) for b in books for t in range(1, per_book + 1)]

    # Reconciled envelopes: whole books of ¥1,000 and ¥500 tickets, exactly as declared.
    thousand, five_hundred = sold[1], sold.get(2, [])
    reconciled = []
    for i, merchant in enumerate(merchants[:5]):
        books = thousand[i * 4:(i + 1) * 4]
        small = five_hundred[i * 2:(i + 1) * 2]
        codes = whole_books(books) + whole_books(small, 2)
        envelope = claim(merchant, {1: len(books) * denominations[1].tickets_per_book,
                                    2: len(small) * denominations[2].tickets_per_book if small else 0},
                         received_days_ago=20 - i)
        envelope_read(actor=clerk, envelope=envelope, source="scanner",
                      content="\r\n".join(codes).encode() + b"\r\n", file_name=f"scan-{envelope.number}.csv")
        reconciled.append(services.envelope_reconcile(actor=clerk, envelope=envelope))

    # On the review list: one envelope whose file holds every kind of bad serial.
    repeated = code(thousand[0], 1)  # paid in the first reconciled envelope
    genuine = code(thousand[30], 2)
    forged_head = genuine[:12] + ("0" if genuine[12] != "0" else "1") + genuine[13:20]
    other_campaign_head = code(thousand[30], 3)[:20].replace(f"{campaign.serial_prefix:02d}", "98", 1)
    mixed = [code(thousand[30], t) for t in range(3, 11)] + [
        forged_head + damm_digit(forged_head),                        # bad check code (forged)
        repeated,                                                     # already redeemed elsewhere
        code(thousand[30], 3),                                        # twice in this file
        code(vault.number, 1),                                        # unsold stock (still in the vault)
        code(9_999_000, 1),                                           # never issued
        other_campaign_head + damm_digit(other_campaign_head),        # another campaign
    ]
    envelope = claim(merchants[5], {1: 12}, received_days_ago=6, counted=14)
    envelope_read(actor=clerk, envelope=envelope, source="scanner", content="\n".join(mixed).encode() + b"\n",
                  file_name="scan-mixed.csv")
    # Two tickets the scanner could not read, keyed by hand.
    envelope_read(actor=clerk, envelope=envelope, source="manual", codes=[code(thousand[31], 1), code(thousand[31], 2)])
    services.envelope_reconcile(actor=clerk, envelope=envelope)

    # A copy of a ticket already paid, brought by another store: decided (rejected), envelope released.
    copied = claim(merchants[6], {1: 3}, received_days_ago=8)
    envelope_read(actor=clerk, envelope=copied, source="manual",
                  codes=[code(thousand[32], 1), code(thousand[32], 2), code(thousand[1], 5)])
    services.envelope_reconcile(actor=clerk, envelope=copied)
    for investigation in Investigation.objects.filter(envelope=copied):
        services.investigation_decide(actor=second, investigation=investigation, accept=False,
                                      reason="カラーコピーと判明（透かしなし）。加盟店に連絡済み。")
    # Released by a third person: neither the reader nor the decider (four eyes on a short envelope).
    services.envelope_clear_review(actor=users["admin"], envelope=copied,
                                   reason="コピー券1枚を不受理とし、残りを支払対象とする。")

    # Brought in before the usage period started: every ticket is outside the period.
    early = claim(merchants[7], {1: 2}, received_days_ago=(today - campaign.usage_start).days + 1)
    envelope_read(actor=clerk, envelope=early, source="manual", codes=[code(thousand[33], 1), code(thousand[33], 2)])
    services.envelope_reconcile(actor=clerk, envelope=early)

    # The suspended merchant's envelope (declared before the suspension): read and held as evidence, unpaid.
    suspended = Merchant.objects.filter(campaign=campaign, suspended_at__isnull=False).first()
    if suspended is not None:
        serial = f"{suspended.merchant_number}{suspended.envelopes.count() + 1:03d}"
        held = Envelope.objects.create(campaign=campaign, merchant=suspended, number=serial + damm_digit(serial),
                                       declared_by=clerk)
        EnvelopeLine.objects.create(envelope=held, denomination=denominations[1], declared_tickets=2,
                                    declared_amount=2 * denominations[1].face_value)
        held = services.envelope_receive(actor=clerk, envelope=held, received_on=today - timedelta(days=3),
                                         seal_intact=True, opened_with=second, counted_tickets=2)
        envelope_read(actor=clerk, envelope=held, source="manual", hold_suspended=True,
                      codes=[code(thousand[34], 1), code(thousand[34], 2)])
        services.envelope_reconcile(actor=clerk, envelope=held)

    # Still to do: received and waiting to be read; declared and not arrived yet.
    claim(merchants[8], {1: 26}, received_days_ago=1)
    claim(merchants[9], {1: 13, 2: 12}, received_days_ago=None)
    claim(merchants[10], {1: 39}, received_days_ago=None)

    # The paper of the first two reconciled envelopes has been shredded.
    services.disposal_record(actor=clerk, campaign=campaign, disposed_on=today - timedelta(days=2),
                             method="シュレッダー（事務局内）", envelopes=reconciled[:2], witness=second,
                             note="精算センター内にて裁断")
