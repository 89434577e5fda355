"""Data for the payout tests: approved merchants and reconciled envelopes with their redemptions.

Envelopes are made directly through the ORM in the state the intake leaves them in (RECONCILED, with accepted
``Redemption`` rows), so the payout tests do not depend on reading serial files.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.utils import timezone

from settlement import services
from settlement.models import Envelope, Investigation, ReadOutcome, Redemption, SerialRead
from tests.conftest import make_staff
from tests.settlement.fixtures import apply

_books = itertools.count(100_000)
_envelopes = itertools.count(1)


def merchant(campaign, approver, n: int = 0, **overrides):
    m = apply(campaign, email=f"m{n}@example.jp", **overrides)
    return services.merchant_approve(actor=approver, merchant=m)


def reconciled_envelope(m, *, actor, tickets: dict, received_on: date = date(2026, 11, 2),
                        status: str = Envelope.Status.RECONCILED) -> Envelope:
    """An envelope of merchant ``m`` with ``tickets`` ({denomination: n}) accepted as redemptions."""
    envelope = Envelope.objects.create(campaign=m.campaign, merchant=m, number=f"E{next(_envelopes):011d}",
                                       status=status, declared_by=actor, received_on=received_on,
                                       reconciled_at=timezone.now(), reconciled_by=actor)
    read = SerialRead.objects.create(envelope=envelope, source=SerialRead.Source.SCANNER, read_by=actor, lines=0)
    rows = []
    for denomination, n in tickets.items():
        book = next(_books)
        rows += [Redemption(campaign=m.campaign, denomination=denomination, book=book, ticket=t + 1,
                            face_value=denomination.face_value, envelope=envelope, read=read, merchant=m)
                 for t in range(n)]
    Redemption.objects.bulk_create(rows)
    return envelope


def investigation(envelope, *, status="open", face_value=1000, decided_by=None):
    outcome = ReadOutcome.objects.create(read=envelope.reads.first(), envelope=envelope, line_no=99,
                                         code="0" * 21, verification="already_redeemed")
    accepted = status == "accepted"
    return Investigation.objects.create(
        campaign=envelope.campaign, envelope=envelope, outcome=outcome, verification="already_redeemed",
        face_value=face_value, status=status, adjustment=face_value if accepted else 0,
        reason="" if status == "open" else "確認済み", decided_by=None if status == "open" else decided_by,
        decided_at=None if status == "open" else timezone.now())


@pytest.fixture
def manager(db):
    """Mallory is the secretariat manager: she approves batches."""
    return make_staff("mallory", "secretariat_manager")


@pytest.fixture
def clerk(db):
    """Sam is a settlement clerk: he closes cutoffs and prepares batches."""
    return make_staff("sam", "settlement_clerk")
