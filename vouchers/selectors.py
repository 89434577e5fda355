"""Reads of the voucher stock for the staff screens: lists with their figures, the ledger as tables, stock per
outlet. Writes live in ``services.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from campaign.models import Campaign, Denomination
from vouchers.ledger import Ledger
from vouchers.models import (
    LEDGER_STATES,
    Book,
    BookState,
    Collection,
    Delivery,
    Destruction,
    Movement,
    Outlet,
    OutletOrder,
    PrintLot,
    PrintOrder,
    SalesReport,
    StockTake,
    StockTakeLine,
)
from vouchers.movements import BookRange, compress

STATE_LABELS = dict(BookState.choices)

# The columns of the per-outlet ledger table, in the order the clerk reads a delivery's life.
OUTLET_STATES = [BookState.TRANSIT, BookState.OUTLET, BookState.SOLD, BookState.COLLECTED, BookState.LOST]


# --- the ledger as tables ----------------------------------------------------------------------------------

@dataclass
class Figure:
    books: int
    yen: int


@dataclass
class LedgerTableRow:
    denomination: Denomination | None  # None for the totals row
    cells: list[Figure]  # one per LEDGER_STATES entry
    printed: Figure


@dataclass
class LedgerTable:
    states: list[tuple[str, str]]  # (state, label)
    rows: list[LedgerTableRow]
    total: LedgerTableRow
    balanced: bool

    @property
    def terms(self) -> list[tuple[str, Figure]]:
        """(state label, total) pairs: the right-hand side of printed = vault + transit + … + destroyed."""
        return [(label, cell) for (_state, label), cell in zip(self.states, self.total.cells, strict=True)]


def ledger_table(ledger: Ledger) -> LedgerTable:
    """Books and face value per denomination × state, with a totals row, ready for a template."""
    rows = [
        LedgerTableRow(
            denomination=row.denomination,
            cells=[Figure(row.books.get(state, 0), row.face_value(state)) for state in LEDGER_STATES],
            printed=Figure(row.printed, row.face_value()),
        )
        for row in ledger.rows
    ]
    total = LedgerTableRow(
        denomination=None,
        cells=[Figure(ledger.total(state), ledger.total_face_value(state)) for state in LEDGER_STATES],
        printed=Figure(ledger.total(), ledger.total_face_value()),
    )
    return LedgerTable(states=[(s, STATE_LABELS[s]) for s in LEDGER_STATES], rows=rows, total=total,
                       balanced=ledger.balanced)


@dataclass
class OutletLedgerRow:
    outlet: Outlet
    denomination: Denomination
    books: list[int]  # one per OUTLET_STATES entry


def ledger_outlet_rows(ledger: Ledger) -> list[OutletLedgerRow]:
    """Per outlet and denomination: books in transit to it, at it, sold, collected back and lost."""
    denominations = {row.denomination.pk: row.denomination for row in ledger.rows}
    rows = []
    for outlet_id, counts in ledger.by_outlet.items():
        outlet = ledger.outlets[outlet_id]
        for denomination_id in sorted({d for d, _state in counts}, key=lambda pk: denominations[pk].code):
            books = [counts.get((denomination_id, state), 0) for state in OUTLET_STATES]
            if any(books):
                rows.append(OutletLedgerRow(outlet=outlet, denomination=denominations[denomination_id], books=books))
    rows.sort(key=lambda r: (r.outlet.code, r.denomination.code))
    return rows


def outlet_state_labels() -> list[str]:
    return [STATE_LABELS[s] for s in OUTLET_STATES]


# --- printing ----------------------------------------------------------------------------------------------

def print_orders(campaign: Campaign) -> QuerySet[PrintOrder]:
    return (PrintOrder.objects.filter(campaign=campaign)
            .annotate(ordered_books=Coalesce(Sum("lines__books"), 0), lot_count=Count("lots", distinct=True))
            .order_by("-ordered_on", "-id"))


@dataclass
class OrderLineProgress:
    denomination: Denomination
    ordered: int
    printed: int

    @property
    def outstanding(self) -> int:
        return self.ordered - self.printed


def print_order_progress(order: PrintOrder) -> list[OrderLineProgress]:
    """Books ordered and printed so far, per denomination of the order."""
    printed: dict[int, int] = {}
    for lot in order.lots.all():
        printed[lot.denomination_id] = printed.get(lot.denomination_id, 0) + lot.books
    return [OrderLineProgress(denomination=line.denomination, ordered=line.books,
                              printed=printed.get(line.denomination_id, 0))
            for line in order.lines.select_related("denomination").order_by("denomination__code")]


def lot_books_by_state(lot: PrintLot) -> list[tuple[str, str, int]]:
    """(state, label, books) for every state, in ledger order."""
    counts = dict(Book.objects.filter(lot=lot).values_list("state").annotate(n=Count("id")).order_by())
    return [(state, STATE_LABELS[state], counts.get(state, 0)) for state in LEDGER_STATES]


# --- outlets -----------------------------------------------------------------------------------------------

def outlets(campaign: Campaign, *, route: str = "", kind: str = "", search: str = "") -> QuerySet[Outlet]:
    qs = Outlet.objects.filter(campaign=campaign)
    if route:
        qs = qs.filter(route=route)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("code")


@dataclass
class StockRow:
    denomination: Denomination
    books: list[int]  # one per OUTLET_STATES entry
    face_value_at_outlet: int = 0


def outlet_stock(outlet: Outlet) -> list[StockRow]:
    """Books per denomination and state that are, or were last, at this outlet."""
    counts = {(d, s): n for d, s, n in Book.objects.filter(outlet=outlet)
              .values_list("denomination", "state").annotate(n=Count("id")).order_by()}
    rows = []
    for denomination in Denomination.objects.filter(campaign_id=outlet.campaign_id).order_by("code"):
        books = [counts.get((denomination.pk, state), 0) for state in OUTLET_STATES]
        at_outlet = counts.get((denomination.pk, BookState.OUTLET), 0)
        rows.append(StockRow(denomination=denomination, books=books,
                             face_value_at_outlet=at_outlet * denomination.book_face_total))
    return rows


def outlet_orders(campaign: Campaign, outlet: Outlet | None = None) -> QuerySet[OutletOrder]:
    qs = OutletOrder.objects.filter(campaign=campaign).select_related("outlet").prefetch_related(
        "lines__denomination").annotate(delivery_count=Count("deliveries"))
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    return qs.order_by("-delivery_date", "-id")


# --- deliveries, sales, stock-takes, collections, destructions ---------------------------------------------

def deliveries(campaign: Campaign, outlet: Outlet | None = None) -> QuerySet[Delivery]:
    qs = (Delivery.objects.filter(campaign=campaign).select_related("outlet")
          .annotate(books=Coalesce(Sum("movements__books", filter=Q(movements__kind=Movement.Kind.DISPATCH)), 0)))
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    return qs.order_by("-delivery_date", "-id")


@dataclass
class RangeLine:
    denomination: Denomination
    range: BookRange

    @property
    def face_value(self) -> int:
        return self.range.books * self.denomination.book_face_total


def movement_ranges(movements: QuerySet[Movement]) -> list[RangeLine]:
    """The book ranges of some movements, joined where they touch, per denomination."""
    numbers: dict[int, list[int]] = {}
    denominations: dict[int, Denomination] = {}
    lines: list[RangeLine] = []
    for movement in movements.prefetch_related("ranges__denomination"):
        for r in movement.ranges.all():
            denominations[r.denomination_id] = r.denomination
            numbers.setdefault(r.denomination_id, []).append((r.first_book, r.last_book))
    for denomination_id, pairs in numbers.items():
        merged: list[BookRange] = []
        for first, last in sorted(pairs):
            if merged and first == merged[-1].last + 1:
                merged[-1] = BookRange(merged[-1].first, last)
            else:
                merged.append(BookRange(first, last))
        lines += [RangeLine(denominations[denomination_id], r) for r in merged]
    return sorted(lines, key=lambda line: line.range)


def sales_reports(campaign: Campaign, outlet: Outlet | None = None) -> QuerySet[SalesReport]:
    qs = SalesReport.objects.filter(campaign=campaign).select_related("outlet", "denomination")
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    return qs.order_by("-sales_date", "-id")


_OPEN_DISCREPANCY = Q(lines__resolved_at__isnull=True) & ~Q(lines__counted=F("lines__ledger"))


def stocktakes(campaign: Campaign) -> QuerySet[StockTake]:
    return (StockTake.objects.filter(campaign=campaign).select_related("outlet")
            .annotate(open_discrepancies=Count("lines", filter=_OPEN_DISCREPANCY),
                      discrepancies=Count("lines", filter=~Q(lines__counted=F("lines__ledger"))))
            .order_by("-counted_on", "-id"))


def open_discrepancies(campaign: Campaign) -> QuerySet[StockTakeLine]:
    """Stock-take lines whose count differs from the ledger and that nobody has resolved yet."""
    return (StockTakeLine.objects.filter(stocktake__campaign=campaign, resolved_at__isnull=True)
            .exclude(counted=F("ledger")).select_related("stocktake__outlet", "denomination")
            .order_by("stocktake__counted_on", "stocktake_id", "denomination__code"))


def collections(campaign: Campaign, outlet: Outlet | None = None) -> QuerySet[Collection]:
    qs = (Collection.objects.filter(campaign=campaign).select_related("outlet")
          .annotate(returned=Coalesce(Sum("movements__books", filter=Q(movements__kind=Movement.Kind.COLLECT)), 0)))
    if outlet is not None:
        qs = qs.filter(outlet=outlet)
    return qs.order_by("-collected_on", "-id")


@dataclass
class CollectionProgress:
    returned: int  # books handed back in this collection
    still_out: int  # books still at the outlet (neither returned nor reported sold)
    sold: int
    still_out_ranges: list[BookRange] = field(default_factory=list)


def collection_progress(collection: Collection, *, max_ranges: int = 50) -> CollectionProgress:
    returned = (Movement.objects.filter(collection=collection, kind=Movement.Kind.COLLECT)
                .aggregate(n=Coalesce(Sum("books"), 0))["n"])
    out = Book.objects.filter(outlet=collection.outlet, state=BookState.OUTLET)
    still_out = out.count()
    ranges = compress(list(out.order_by("number").values_list("number", flat=True)[:5000]))[:max_ranges]
    sold = Book.objects.filter(outlet=collection.outlet, state=BookState.SOLD).count()
    return CollectionProgress(returned=returned, still_out=still_out, sold=sold, still_out_ranges=ranges)


def destructions(campaign: Campaign) -> QuerySet[Destruction]:
    return (Destruction.objects.filter(campaign=campaign)
            .annotate(books=Coalesce(Sum("movements__books"), 0)).order_by("-destroyed_on", "-id"))


def spoiled_sheets_left(campaign: Campaign) -> int:
    printed = PrintLot.objects.filter(campaign=campaign).aggregate(n=Coalesce(Sum("spoiled_sheets"), 0))["n"]
    destroyed = Destruction.objects.filter(campaign=campaign).aggregate(n=Coalesce(Sum("spoiled_sheets"), 0))["n"]
    return printed - destroyed


def books_of_other_denominations(campaign: Campaign, denomination: Denomination, ranges: list[BookRange]) -> int:
    """How many books in the ranges belong to another denomination (a clerk typed them in the wrong row)."""
    if not ranges:
        return 0
    in_ranges = Q()
    for r in ranges:
        in_ranges |= Q(number__range=(r.first, r.last))
    return Book.objects.filter(in_ranges, campaign=campaign).exclude(denomination=denomination).count()


def book_history(campaign: Campaign, number: int) -> list[Movement]:
    """Every movement a book went through, oldest first (for investigations of a redeemed ticket)."""
    return list(
        Movement.objects.filter(campaign=campaign, ranges__first_book__lte=number, ranges__last_book__gte=number)
        .select_related("from_outlet", "to_outlet", "actor").order_by("occurred_on", "pk").distinct()
    )


def book_state(campaign: Campaign, number: int) -> Book | None:
    return Book.objects.filter(campaign=campaign, number=number).select_related("outlet", "denomination").first()
