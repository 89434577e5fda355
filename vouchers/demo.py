"""Demo voucher stock for `manage.py seed_demo`: a printed campaign with deliveries, sales, a stock-take, a
collection and a destruction, so every voucher screen shows real figures. Runs once per campaign."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from vouchers import services
from vouchers.models import Outlet, PrintOrder
from vouchers.movements import BookRange

OUTLETS = [
    ("S001", "スーパーまるい 湖山店", Outlet.Kind.SUPERMARKET, "鳥取県鳥取市湖山町東4丁目", Outlet.Route.EAST),
    ("S002", "トスク 本町店", Outlet.Kind.SUPERMARKET, "鳥取県鳥取市本町2丁目", Outlet.Route.EAST),
    ("D001", "鳥取大丸", Outlet.Kind.DEPARTMENT_STORE, "鳥取県鳥取市今町2丁目151", Outlet.Route.EAST),
    ("S003", "サンマート 倉吉店", Outlet.Kind.SUPERMARKET, "鳥取県倉吉市山根", Outlet.Route.CENTRAL_WEST),
    ("D002", "米子高島屋", Outlet.Kind.DEPARTMENT_STORE, "鳥取県米子市角盤町1丁目30", Outlet.Route.CENTRAL_WEST),
    ("P001", "境港郵便局", Outlet.Kind.POST_OFFICE, "鳥取県境港市本町", Outlet.Route.CENTRAL_WEST),
]


def seed(*, campaign, users: dict, stdout) -> None:
    if not PrintOrder.objects.filter(campaign=campaign).exists():
        _seed(campaign, users)
    from vouchers.models import Book

    stdout.write(f"Demo voucher stock: {Book.objects.filter(campaign=campaign).count():,} books at "
                 f"{Outlet.objects.filter(campaign=campaign).count()} outlets, with deliveries, sales, a stock-take, "
                 "a collection and a destruction.")


def _seed(campaign, users: dict) -> None:
    clerk = users["clerk"]
    today = timezone.localdate()
    day0 = today - timedelta(days=50)
    thousand, five_hundred = campaign.denominations.order_by("code")[:2]
    outlets = []
    for code, name, kind, address, route in OUTLETS:
        outlet, _ = Outlet.objects.get_or_create(
            campaign=campaign, code=code,
            defaults=dict(name=name, kind=kind, address=address, route=route, contact_name="販売担当",
                          phone="0857-00-0000", fax="0857-00-0001"))
        outlets.append(outlet)

    order = services.print_order_create(actor=clerk, campaign=campaign, printer="鳥取印刷株式会社",
                                        ordered_on=day0 - timedelta(days=30), requested_delivery=day0,
                                        books={thousand: 6000, five_hundred: 2000})
    services.lot_create(actor=clerk, order=order, denomination=thousand, completed_on=day0 - timedelta(days=2),
                        first_book=1, last_book=4000, spoiled_sheets=120)
    services.lot_create(actor=clerk, order=order, denomination=thousand, completed_on=day0 + timedelta(days=20),
                        first_book=4001, last_book=6000, spoiled_sheets=64)
    services.lot_create(actor=clerk, order=order, denomination=five_hundred, completed_on=day0 - timedelta(days=2),
                        first_book=6001, last_book=8000, spoiled_sheets=40)

    deliveries = []
    for i, outlet in enumerate(outlets):
        books = {thousand: 400 if outlet.kind != Outlet.Kind.POST_OFFICE else 200, five_hundred: 150}
        outlet_order = services.outlet_order_create(
            actor=clerk, outlet=outlet, received_on=day0 - timedelta(days=5), order_deadline=day0 - timedelta(days=3),
            delivery_date=day0 + timedelta(days=i % 2), books=books)
        deliveries.append(services.delivery_dispatch(actor=clerk, outlet=outlet, delivery_date=day0 + timedelta(days=i % 2),
                                                     books=books, order=outlet_order))
    for delivery in deliveries[:-1]:  # the last delivery is still on its way
        services.delivery_confirm(actor=clerk, delivery=delivery, received_by="店長",
                                  confirmed_on=delivery.delivery_date)
    # A second delivery of the later lot to the department store.
    second = services.delivery_dispatch(actor=clerk, outlet=outlets[2], delivery_date=day0 + timedelta(days=25),
                                        ranges=[BookRange(4001, 4300)])
    services.delivery_confirm(actor=clerk, delivery=second, received_by="売場責任者 森",
                              confirmed_on=day0 + timedelta(days=25))

    for week in range(5):
        sales_day = day0 + timedelta(days=3 + week * 7)
        for i, outlet in enumerate(outlets[:-1]):
            services.sales_report_record(actor=clerk, outlet=outlet, denomination=thousand, sales_date=sales_day,
                                         books=40 + 10 * ((i + week) % 3))
            services.sales_report_record(actor=clerk, outlet=outlet, denomination=five_hundred, sales_date=sales_day,
                                         books=15 + 5 * (i % 2))

    # A monthly stock-take in the vault: the ¥1,000 count comes up two books short (to be explained).
    from vouchers.ledger import place_count

    counted_on = day0 + timedelta(days=30)
    services.stocktake_record(actor=clerk, campaign=campaign, counted_on=counted_on, outlet=None,
                              witnesses="事務局 佐藤、鳥取印刷 田中、鳥取印刷 鈴木",
                              counts={thousand: place_count(campaign, counted_on, thousand, None) - 2,
                                      five_hundred: place_count(campaign, counted_on, five_hundred, None)})

    # The supermarket in Kurayoshi closed its sales early: collection, with two books unaccounted for.
    kurayoshi = outlets[3]
    collection = services.collection_open(actor=clerk, outlet=kurayoshi, collected_on=day0 + timedelta(days=40))
    from vouchers.models import Book, BookState

    still_there = list(Book.objects.filter(outlet=kurayoshi, state=BookState.OUTLET).order_by("number")
                       .values_list("number", flat=True))
    from vouchers.movements import compress

    services.collection_return(actor=clerk, collection=collection, ranges=compress(still_there[:-2]))
    services.collection_close(actor=clerk, collection=collection)

    services.destruction_record(actor=clerk, campaign=campaign, destroyed_on=day0 + timedelta(days=45),
                                method="pulping", place="鳥取市 古紙再生工場", contractor="山陰製紙株式会社",
                                witnesses="事務局 佐藤、事務局 山本", ranges=compress(still_there[:-2]),
                                spoiled_sheets=224)
