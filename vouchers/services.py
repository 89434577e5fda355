"""Every write to the voucher stock: one transaction each, audit-logged, rules enforced before and by the DB."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_log
from campaign.models import Campaign, Denomination
from vouchers.models import (
    BookState,
    Collection,
    Delivery,
    Destruction,
    Movement,
    Outlet,
    OutletOrder,
    OutletOrderLine,
    PrintLot,
    PrintOrder,
    PrintOrderLine,
    SalesReport,
    StockTake,
    StockTakeLine,
)
from vouchers.movements import KEEP_OUTLET, BookRange, Pick, VoucherError, move_books

__all__ = ["VoucherError"]


def _not_future(day: date, what: str) -> None:
    if day > timezone.localdate():
        raise VoucherError(_("%(what)s cannot be in the future (%(date)s).") % {"what": what, "date": day.isoformat()})


def _own(campaign: Campaign, *objects) -> None:
    for obj in objects:
        if obj is not None and getattr(obj, "campaign_id", campaign.pk) != campaign.pk:
            raise VoucherError(_("%(object)s belongs to another campaign.") % {"object": obj})


# --- printing -------------------------------------------------------------------------------------------

@transaction.atomic
def print_order_create(*, actor, campaign: Campaign, printer: str, ordered_on: date, requested_delivery: date,
                       books: dict[Denomination, int], note: str = "") -> PrintOrder:
    """Record an order to the printer: books per denomination."""
    if requested_delivery < ordered_on:
        raise VoucherError(_("The requested delivery date is before the order date."))
    books = {d: n for d, n in books.items() if n}
    if not books:
        raise VoucherError(_("Order at least one book."))
    _own(campaign, *books)
    order = PrintOrder.objects.create(campaign=campaign, printer=printer, ordered_on=ordered_on,
                                      requested_delivery=requested_delivery, note=note, created_by=actor)
    PrintOrderLine.objects.bulk_create([PrintOrderLine(order=order, denomination=d, books=n) for d, n in books.items()])
    audit_log(actor=actor, action="vouchers.print_order_create", target=order, campaign=campaign,
              data={"books": {d.name: n for d, n in books.items()}})
    return order


@transaction.atomic
def lot_create(*, actor, order: PrintOrder, denomination: Denomination, completed_on: date, first_book: int,
               last_book: int, spoiled_sheets: int = 0) -> PrintLot:
    """A completed print lot: its books are created in the vault with one set-based INSERT."""
    campaign = order.campaign
    _own(campaign, denomination)
    _not_future(completed_on, _("The completion date"))
    if first_book < 1 or last_book < first_book or last_book > 9_999_999:
        raise VoucherError(_("The book numbers must run from a smaller to a larger number between 1 and 9,999,999."))
    line = order.lines.filter(denomination=denomination).first()
    if line is None:
        raise VoucherError(_("The order has no line for %(name)s.") % {"name": denomination.name})
    already = sum(lot.books for lot in PrintLot.objects.filter(order=order, denomination=denomination))
    books = last_book - first_book + 1
    if already + books > line.books:
        raise VoucherError(_("This lot would bring %(name)s to %(total)s books, more than the %(ordered)s ordered.")
                           % {"name": denomination.name, "total": f"{already + books:,}",
                              "ordered": f"{line.books:,}"})
    clash = PrintLot.objects.filter(campaign=campaign, first_book__lte=last_book, last_book__gte=first_book).first()
    if clash is not None:
        raise VoucherError(_("Book numbers %(range)s overlap the lot %(lot)s.")
                           % {"range": BookRange(first_book, last_book), "lot": clash})
    try:
        with transaction.atomic():
            lot = PrintLot.objects.create(campaign=campaign, order=order, denomination=denomination,
                                          completed_on=completed_on, first_book=first_book, last_book=last_book,
                                          spoiled_sheets=spoiled_sheets, created_by=actor)
    except IntegrityError as exc:  # a concurrent lot took the range first: the exclusion constraint said no
        raise VoucherError(_("Book numbers %(range)s overlap another lot.")
                           % {"range": BookRange(first_book, last_book)}) from exc
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO vouchers_book (campaign_id, denomination_id, lot_id, number, state, outlet_id, last_moved_on) "
            "SELECT %s, %s, %s, g, 'vault', NULL, %s FROM generate_series(%s::int, %s::int) AS g",
            [campaign.pk, denomination.pk, lot.pk, completed_on, first_book, last_book],
        )
        if books >= 10_000:
            # Fresh statistics now, not when autovacuum gets round to it: without them the planner takes the
            # table for small and scans all of it for every range move that follows.
            cursor.execute("ANALYZE vouchers_book")
    movement = Movement.objects.create(campaign=campaign, kind=Movement.Kind.PRINT, occurred_on=completed_on,
                                       from_state="", to_state=BookState.VAULT, books=books, actor=actor, lot=lot)
    movement.ranges.create(denomination=denomination, first_book=first_book, last_book=last_book)
    audit_log(actor=actor, action="vouchers.lot_create", target=lot, campaign=campaign,
              data={"first_book": first_book, "last_book": last_book, "spoiled_sheets": spoiled_sheets})
    return lot


# --- outlets and deliveries -----------------------------------------------------------------------------

@transaction.atomic
def outlet_save(*, actor, outlet: Outlet) -> Outlet:
    """Create or update an outlet (the form has validated the fields)."""
    created = outlet.pk is None
    outlet.full_clean()
    outlet.save()
    audit_log(actor=actor, action="vouchers.outlet_create" if created else "vouchers.outlet_update",
              target=outlet, campaign=outlet.campaign)
    return outlet


@transaction.atomic
def outlet_order_create(*, actor, outlet: Outlet, received_on: date, order_deadline: date, delivery_date: date,
                        books: dict[Denomination, int], note: str = "") -> OutletOrder:
    """Enter an outlet's FAX order."""
    books = {d: n for d, n in books.items() if n}
    if not books:
        raise VoucherError(_("Order at least one book."))
    _own(outlet.campaign, *books)
    if delivery_date < received_on:
        raise VoucherError(_("The delivery date is before the day the order was received."))
    order = OutletOrder.objects.create(campaign=outlet.campaign, outlet=outlet, received_on=received_on,
                                       order_deadline=order_deadline, delivery_date=delivery_date, note=note,
                                       created_by=actor)
    OutletOrderLine.objects.bulk_create([OutletOrderLine(order=order, denomination=d, books=n) for d, n in books.items()])
    audit_log(actor=actor, action="vouchers.outlet_order_create", target=order, campaign=outlet.campaign,
              data={"books": {d.name: n for d, n in books.items()}})
    return order


@transaction.atomic
def delivery_dispatch(*, actor, outlet: Outlet, delivery_date: date, ranges: list[BookRange] | None = None,
                      books: dict[Denomination, int] | None = None, order: OutletOrder | None = None) -> Delivery:
    """Take books out of the vault for one outlet: by ranges, or the lowest-numbered N per denomination."""
    campaign = outlet.campaign
    _own(campaign, order)
    if order is not None and order.outlet_id != outlet.pk:
        raise VoucherError(_("The order belongs to another outlet."))
    delivery = Delivery.objects.create(campaign=campaign, outlet=outlet, order=order, delivery_date=delivery_date,
                                       created_by=actor)
    common = dict(campaign=campaign, kind=Movement.Kind.DISPATCH, actor=actor, occurred_on=delivery_date,
                  from_states=(BookState.VAULT,), to_state=BookState.TRANSIT, to_outlet=outlet,
                  refs={"delivery": delivery})
    moved = 0
    if ranges:
        moved += sum(m.books for m in move_books(ranges=ranges, **common))
    for denomination, count in (books or {}).items():
        if count:
            _own(campaign, denomination)
            moved += sum(m.books for m in move_books(pick=Pick(denomination, count), **common))
    if not moved:
        raise VoucherError(_("A delivery needs at least one book."))
    audit_log(actor=actor, action="vouchers.delivery_dispatch", target=delivery, campaign=campaign,
              data={"outlet": outlet.name, "books": moved})
    return delivery


def delivery_ranges(delivery: Delivery) -> list[tuple[Denomination, BookRange]]:
    dispatch = Movement.objects.filter(delivery=delivery, kind=Movement.Kind.DISPATCH)
    rows = []
    for movement in dispatch.prefetch_related("ranges__denomination"):
        for r in movement.ranges.all():
            rows.append((r.denomination, BookRange(r.first_book, r.last_book)))
    return sorted(rows, key=lambda row: row[1])


@transaction.atomic
def delivery_confirm(*, actor, delivery: Delivery, received_by: str, confirmed_on: date) -> Delivery:
    """The outlet signed the receipt: the delivered books are now at the outlet."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != Delivery.Status.DISPATCHED:
        raise VoucherError(_("This delivery has already been confirmed."))
    if confirmed_on < delivery.delivery_date:
        raise VoucherError(_("The receipt date is before the delivery date."))
    ranges = [r for _d, r in delivery_ranges(delivery)]
    move_books(campaign=delivery.campaign, kind=Movement.Kind.RECEIVE, actor=actor, occurred_on=confirmed_on,
               from_states=(BookState.TRANSIT,), from_outlet=delivery.outlet, to_state=BookState.OUTLET,
               to_outlet=KEEP_OUTLET, ranges=ranges, refs={"delivery": delivery})
    delivery.status = Delivery.Status.CONFIRMED
    delivery.received_by = received_by
    delivery.confirmed_on = confirmed_on
    delivery.save(update_fields=["status", "received_by", "confirmed_on"])
    audit_log(actor=actor, action="vouchers.delivery_confirm", target=delivery, campaign=delivery.campaign,
              data={"received_by": received_by})
    return delivery


# --- sales, stock-takes, collection, destruction ---------------------------------------------------------

@transaction.atomic
def sales_report_record(*, actor, outlet: Outlet, denomination: Denomination, sales_date: date,
                        books: int | None = None, ranges: list[BookRange] | None = None) -> SalesReport:
    """An outlet's sales of one denomination on one day; the books become sold."""
    _own(outlet.campaign, denomination)
    _not_future(sales_date, _("The sales date"))
    if ranges:
        count = sum(r.books for r in ranges)
        if books not in (None, count):
            raise VoucherError(_("The ranges hold %(ranges)s books but %(books)s were reported.")
                               % {"ranges": f"{count:,}", "books": f"{books:,}"})
        books = count
    if not books or books < 1:
        raise VoucherError(_("Report at least one book sold."))
    report = SalesReport.objects.create(campaign=outlet.campaign, outlet=outlet, denomination=denomination,
                                        sales_date=sales_date, books=books,
                                        remittance=books * denomination.sale_price_per_book, created_by=actor)
    move_books(campaign=outlet.campaign, kind=Movement.Kind.SALE, actor=actor, occurred_on=sales_date,
               from_states=(BookState.OUTLET,), from_outlet=outlet, to_state=BookState.SOLD, to_outlet=KEEP_OUTLET,
               denomination=denomination, ranges=ranges or None,
               pick=None if ranges else Pick(denomination, books), refs={"sales_report": report})
    audit_log(actor=actor, action="vouchers.sales_report", target=report, campaign=outlet.campaign,
              data={"books": books, "remittance": report.remittance})
    return report


@transaction.atomic
def counter_sale_record(*, actor, outlet: Outlet, sales_date: date, ranges: list[BookRange]) -> list[SalesReport]:
    """Books sold by number to one buyer at a counter (窓口販売), possibly of several denominations: one sales
    report per denomination, each moving exactly the named books from the outlet to sold. All or nothing."""
    from vouchers.movements import compress, normalise

    ranges = normalise(ranges)
    if not ranges:
        raise VoucherError(_("No book numbers were given."))
    _not_future(sales_date, _("The sales date"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.denomination_id, b.number FROM vouchers_book b "
            "JOIN unnest(%s::int[], %s::int[]) AS r(lo, hi) ON b.number BETWEEN r.lo AND r.hi "
            "WHERE b.campaign_id = %s ORDER BY b.denomination_id, b.number",
            [[r.first for r in ranges], [r.last for r in ranges], outlet.campaign_id],
        )
        rows = cursor.fetchall()
    wanted = sum(r.books for r in ranges)
    if len(rows) != wanted:
        found = {number for _d, number in rows}
        missing = [n for r in ranges for n in range(r.first, r.last + 1) if n not in found][:5]
        raise VoucherError(_("Some of these books were never printed: %(books)s. Nothing was changed.")
                           % {"books": ", ".join(f"{n:,}" for n in missing)})
    by_denomination: dict[int, list[int]] = {}
    for denomination_id, number in rows:
        by_denomination.setdefault(denomination_id, []).append(number)
    denominations = {d.pk: d for d in Denomination.objects.filter(pk__in=list(by_denomination))}
    return [sales_report_record(actor=actor, outlet=outlet, denomination=denominations[pk], sales_date=sales_date,
                                ranges=compress(numbers))
            for pk, numbers in sorted(by_denomination.items())]


@transaction.atomic
def stocktake_record(*, actor, campaign: Campaign, counted_on: date, outlet: Outlet | None, witnesses: str,
                     counts: dict[Denomination, int], note: str = "") -> StockTake:
    """A counted stock-take; the ledger figure for the same day and place is stored beside each count."""
    from vouchers.ledger import place_count

    _own(campaign, outlet, *counts)
    _not_future(counted_on, _("A stock-take"))
    if not witnesses.strip():
        raise VoucherError(_("Name the witnesses of the stock-take."))
    stocktake = StockTake.objects.create(campaign=campaign, counted_on=counted_on, outlet=outlet,
                                         witnesses=witnesses.strip(), note=note, created_by=actor)
    lines = [StockTakeLine(stocktake=stocktake, denomination=d, counted=n,
                           ledger=place_count(campaign, counted_on, d, outlet)) for d, n in counts.items()]
    StockTakeLine.objects.bulk_create(lines)
    audit_log(actor=actor, action="vouchers.stocktake", target=stocktake, campaign=campaign,
              data={"lines": {line.denomination.name: [line.counted, line.ledger] for line in lines}})
    return stocktake


@transaction.atomic
def stocktake_resolve(*, actor, line: StockTakeLine, resolution: str) -> StockTakeLine:
    """Close a discrepancy with an explanation (it stays visible, marked resolved)."""
    if not resolution.strip():
        raise VoucherError(_("Explain how the discrepancy was resolved."))
    line.resolution = resolution.strip()
    line.resolved_at = timezone.now()
    line.resolved_by = actor
    line.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    audit_log(actor=actor, action="vouchers.stocktake_resolve", target=line.stocktake,
              campaign=line.stocktake.campaign, data={"denomination": line.denomination.name,
                                                      "resolution": line.resolution})
    return line


@transaction.atomic
def collection_open(*, actor, outlet: Outlet, collected_on: date) -> Collection:
    _not_future(collected_on, _("The collection date"))
    if Collection.objects.filter(outlet=outlet, closed_at__isnull=True).exists():
        raise VoucherError(_("A collection at this outlet is already open."))
    collection = Collection.objects.create(campaign=outlet.campaign, outlet=outlet, collected_on=collected_on,
                                           created_by=actor)
    audit_log(actor=actor, action="vouchers.collection_open", target=collection, campaign=outlet.campaign)
    return collection


@transaction.atomic
def collection_return(*, actor, collection: Collection, ranges: list[BookRange]) -> int:
    """Books handed back by the outlet, scanned or typed book by book (or as ranges)."""
    if collection.closed_at:
        raise VoucherError(_("This collection is closed."))
    moved = move_books(campaign=collection.campaign, kind=Movement.Kind.COLLECT, actor=actor,
                       occurred_on=collection.collected_on, from_states=(BookState.OUTLET,),
                       from_outlet=collection.outlet, to_state=BookState.COLLECTED, to_outlet=KEEP_OUTLET,
                       ranges=ranges, refs={"collection": collection})
    books = sum(m.books for m in moved)
    audit_log(actor=actor, action="vouchers.collection_return", target=collection, campaign=collection.campaign,
              data={"ranges": [str(r) for r in ranges], "books": books})
    return books


@transaction.atomic
def collection_close(*, actor, collection: Collection) -> Collection:
    """Close the collection: books still at the outlet (neither returned nor reported sold) become lost, so
    their tickets are refused at redemption."""
    from vouchers.models import Book

    collection = Collection.objects.select_for_update().get(pk=collection.pk)
    if collection.closed_at:
        raise VoucherError(_("This collection is already closed."))
    lost = 0
    remaining = (Book.objects.filter(outlet=collection.outlet, state=BookState.OUTLET)
                 .values_list("denomination", flat=True).distinct())
    for denomination in Denomination.objects.filter(pk__in=list(remaining)):
        count = Book.objects.filter(outlet=collection.outlet, state=BookState.OUTLET,
                                    denomination=denomination).count()
        moved = move_books(campaign=collection.campaign, kind=Movement.Kind.LOSE, actor=actor,
                           occurred_on=collection.collected_on, from_states=(BookState.OUTLET,),
                           from_outlet=collection.outlet, to_state=BookState.LOST, to_outlet=KEEP_OUTLET,
                           pick=Pick(denomination, count), refs={"collection": collection})
        lost += sum(m.books for m in moved)
    collection.closed_at = timezone.now()
    collection.lost_books = lost
    collection.save(update_fields=["closed_at", "lost_books"])
    audit_log(actor=actor, action="vouchers.collection_close", target=collection, campaign=collection.campaign,
              data={"lost_books": lost})
    return collection


@transaction.atomic
def destruction_record(*, actor, campaign: Campaign, destroyed_on: date, method: str, place: str, witnesses: str,
                       ranges: list[BookRange], spoiled_sheets: int = 0, contractor: str = "") -> Destruction:
    """Pulping/shredding under witness. Only books in the vault or collected back can be destroyed, and
    destroyed books can never move again."""
    _not_future(destroyed_on, _("The destruction date"))
    if not witnesses.strip():
        raise VoucherError(_("Name the witnesses of the destruction."))
    printed_spoiled = PrintLot.objects.filter(campaign=campaign).aggregate(n=Sum("spoiled_sheets"))["n"] or 0
    destroyed_spoiled = Destruction.objects.filter(campaign=campaign).aggregate(n=Sum("spoiled_sheets"))["n"] or 0
    if destroyed_spoiled + spoiled_sheets > printed_spoiled:
        raise VoucherError(_("Only %(left)s spoiled sheets are left to destroy.")
                           % {"left": f"{printed_spoiled - destroyed_spoiled:,}"})
    destruction = Destruction.objects.create(campaign=campaign, destroyed_on=destroyed_on, method=method, place=place,
                                             contractor=contractor, witnesses=witnesses.strip(),
                                             spoiled_sheets=spoiled_sheets, created_by=actor)
    books = 0
    if ranges:
        moved = move_books(campaign=campaign, kind=Movement.Kind.DESTROY, actor=actor, occurred_on=destroyed_on,
                           from_states=(BookState.VAULT, BookState.COLLECTED), to_state=BookState.DESTROYED,
                           to_outlet=None, ranges=ranges, refs={"destruction": destruction})
        books = sum(m.books for m in moved)
    elif not spoiled_sheets:
        raise VoucherError(_("Give the books or the spoiled sheets that were destroyed."))
    audit_log(actor=actor, action="vouchers.destruction", target=destruction, campaign=campaign,
              data={"books": books, "spoiled_sheets": spoiled_sheets, "method": method})
    return destruction
