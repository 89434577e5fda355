"""The issuance ledger (発行台帳): where every book is, per denomination and place, on any date.

Today's figures are counted from the books themselves; a past date's are summed from the movements up to
that date (each movement adds its books to the place they went and takes them from the place they left).
Both must give the same answer for today — a test holds them to it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from campaign.models import Campaign, Denomination
from vouchers.models import LEDGER_STATES, Book, BookState, Outlet

Key = tuple[int, str, int | None]  # (denomination id, state, outlet id)


@dataclass
class LedgerRow:
    denomination: Denomination
    books: dict[str, int] = field(default_factory=dict)  # state → books
    printed: int = 0

    @property
    def balanced(self) -> bool:
        return self.printed == sum(self.books.values())

    def face_value(self, state: str | None = None) -> int:
        books = self.printed if state is None else self.books.get(state, 0)
        return books * self.denomination.face_value * self.denomination.tickets_per_book


@dataclass
class Ledger:
    day: date
    rows: list[LedgerRow]
    by_outlet: dict[int, dict[tuple[int, str], int]]  # outlet id → (denomination id, state) → books
    outlets: dict[int, Outlet]

    @property
    def balanced(self) -> bool:
        return all(row.balanced for row in self.rows)

    def total(self, state: str | None = None) -> int:
        return sum(row.printed if state is None else row.books.get(state, 0) for row in self.rows)

    def total_face_value(self, state: str | None = None) -> int:
        return sum(row.face_value(state) for row in self.rows)


def _build(campaign: Campaign, day: date, counts: dict[Key, int], printed: dict[int, int]) -> Ledger:
    denominations = list(Denomination.objects.filter(campaign=campaign).order_by("code"))
    rows = {d.pk: LedgerRow(denomination=d, books={s: 0 for s in LEDGER_STATES}, printed=printed.get(d.pk, 0))
            for d in denominations}
    by_outlet: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for (denomination_id, state, outlet_id), n in counts.items():
        if not n:
            continue
        rows[denomination_id].books[state] += n
        if outlet_id is not None:
            by_outlet[outlet_id][(denomination_id, state)] = n
    outlets = {o.pk: o for o in Outlet.objects.filter(pk__in=by_outlet.keys())}
    return Ledger(day=day, rows=list(rows.values()), by_outlet=dict(by_outlet), outlets=outlets)


def ledger_current(campaign: Campaign) -> Ledger:
    """Today's ledger, counted from the books (one grouped query)."""
    counts: dict[Key, int] = {}
    printed: dict[int, int] = defaultdict(int)
    grouped = (Book.objects.filter(campaign=campaign).values_list("denomination_id", "state", "outlet_id")
               .annotate(n=Count("id")).order_by())
    for denomination_id, state, outlet_id, n in grouped:
        counts[(denomination_id, state, outlet_id)] = n
        printed[denomination_id] += n
    return _build(campaign, timezone.localdate(), counts, printed)


def ledger_as_of(campaign: Campaign, day: date) -> Ledger:
    """The ledger at the end of ``day``, summed from the movements (two grouped queries)."""
    counts: dict[Key, int] = defaultdict(int)
    printed: dict[int, int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.denomination_id, m.to_state, m.to_outlet_id, m.from_state, m.from_outlet_id,
                   SUM(r.last_book - r.first_book + 1)
            FROM vouchers_movementrange r JOIN vouchers_movement m ON m.id = r.movement_id
            WHERE m.campaign_id = %s AND m.occurred_on <= %s
            GROUP BY 1, 2, 3, 4, 5
            """,
            [campaign.pk, day],
        )
        for denomination_id, to_state, to_outlet, from_state, from_outlet, n in cursor.fetchall():
            counts[(denomination_id, to_state, _outlet_key(to_state, to_outlet))] += n
            if from_state:
                counts[(denomination_id, from_state, _outlet_key(from_state, from_outlet))] -= n
            else:
                printed[denomination_id] += n
    return _build(campaign, day, dict(counts), printed)


def _outlet_key(state: str, outlet_id: int | None) -> int | None:
    # Destroyed books have no outlet; the others keep the outlet they were last at (if any).
    return None if state == BookState.DESTROYED else outlet_id


def ledger_on(campaign: Campaign, day: date | None) -> Ledger:
    if day is None or day >= timezone.localdate():
        return ledger_current(campaign)
    return ledger_as_of(campaign, day)


def place_count(campaign: Campaign, day: date, denomination: Denomination, outlet: Outlet | None) -> int:
    """Books the ledger says are at the vault (outlet None) or at an outlet, at the end of ``day``."""
    ledger = ledger_on(campaign, day)
    if outlet is None:
        row = next(r for r in ledger.rows if r.denomination.pk == denomination.pk)
        return row.books[BookState.VAULT]
    return ledger.by_outlet.get(outlet.pk, {}).get((denomination.pk, BookState.OUTLET), 0)


def ledger_series(campaign: Campaign) -> list[tuple[date, dict[str, int]]]:
    """Books per state at the end of every day that had a movement: the dashboard chart."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT m.occurred_on, m.from_state, m.to_state, SUM(r.last_book - r.first_book + 1)
            FROM vouchers_movementrange r JOIN vouchers_movement m ON m.id = r.movement_id
            WHERE m.campaign_id = %s GROUP BY 1, 2, 3 ORDER BY 1
            """,
            [campaign.pk],
        )
        rows = cursor.fetchall()
    series: list[tuple[date, dict[str, int]]] = []
    current = {state: 0 for state in LEDGER_STATES}
    for day, from_state, to_state, n in rows:
        if not series or series[-1][0] != day:
            series.append((day, {}))
        current[to_state] += n
        if from_state:
            current[from_state] -= n
        series[-1] = (day, dict(current))
    return series
