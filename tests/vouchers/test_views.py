"""The staff screens of the voucher stock: each write works through its form, each refusal shows the clerk's
message on the same page with nothing changed, the documents download as PDFs, and the auditor only reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEvent, Job
from vouchers import services
from vouchers.models import (
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
from vouchers.movements import BookRange as R

pytestmark = pytest.mark.django_db

D1 = date(2026, 10, 21)
D2 = date(2026, 10, 25)


def english(client, settings):
    # Assertions read the English msgids; the Japanese catalogue is tested elsewhere.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def clerk(staff_client, bob, settings):
    """Bob, the secretariat clerk, logged in with the second factor."""
    return english(staff_client(bob), settings)


@pytest.fixture
def auditor(staff_client, carol, settings):
    return english(staff_client(carol), settings)


def snapshot() -> tuple:
    """Everything a refused write must leave exactly as it was."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(string_agg(concat_ws(',', number, state, outlet_id, last_moved_on), ';' "
                       "ORDER BY number)) FROM vouchers_book")
        books = cursor.fetchone()[0]
    return (books, Movement.objects.count(), PrintOrder.objects.count(), PrintLot.objects.count(),
            Outlet.objects.count(), OutletOrder.objects.count(), Delivery.objects.count(),
            list(Delivery.objects.values_list("status", flat=True)), SalesReport.objects.count(),
            StockTake.objects.count(), StockTakeLine.objects.filter(resolved_at__isnull=False).count(),
            Collection.objects.count(), Collection.objects.filter(closed_at__isnull=False).count(),
            Destruction.objects.count())


def refused(client, url: str, data: dict, message: str):
    """POST, expect the page again (200) with the message, and the database unchanged."""
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode(), response.content.decode()[-3000:]
    assert snapshot() == before, "a refused write changed the database"
    return response


def states(*numbers) -> list[str]:
    return [Book.objects.get(number=n).state for n in numbers]


def deliver(bob, outlet, *ranges, confirm: bool = True) -> Delivery:
    delivery = services.delivery_dispatch(actor=bob, outlet=outlet, delivery_date=D1, ranges=list(ranges))
    if confirm:
        services.delivery_confirm(actor=bob, delivery=delivery, received_by="店長", confirmed_on=D1)
    return delivery


def url(name: str, **kwargs) -> str:
    return reverse(f"vouchers:{name}", kwargs=kwargs or None)


# --- dashboard and ledger ----------------------------------------------------------------------------------

def test_the_dashboard_shows_balanced_figures_and_a_chart(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 100))
    services.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=D2, books=30)
    response = clerk.get(url("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "✓ Balanced" in html
    assert "printed 1,500 = In the vault 1,400 + In transit 0 + At an outlet 70 + Sold 30" in " ".join(html.split())
    assert "<svg" in html and 'role="img"' in html and "<title" in html
    assert "<polygon" in html
    assert "13,000,000" in html  # 1,000 books × 13 tickets × ¥1,000 printed
    for name in ("ledger", "print_order_list", "outlet_list", "delivery_list", "sales_report_list",
                 "stocktake_list", "collection_list", "destruction_list"):
        assert f'href="{url(name)}"' in html


def test_without_a_campaign_the_screens_say_so(clerk):
    response = clerk.get(url("dashboard"))
    assert response.status_code == 200
    assert "No campaign is selected" in response.content.decode()
    assert clerk.get(url("delivery_create")).status_code == 200


def test_the_ledger_of_a_past_day_and_per_outlet(clerk, printed, bob, marui, sanko):
    deliver(bob, marui, R(1, 100))
    deliver(bob, sanko, R(101, 150), confirm=False)
    html = clerk.get(url("ledger"), {"day": "2026-10-19"}).content.decode()
    assert "No books had reached an outlet by this day." in html
    assert 'data-testid="printed-books">0<' in html

    response = clerk.get(url("ledger"), {"day": D1.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="printed-books">1,500<' in html
    assert "✓ Balanced" in html
    assert "スーパーまるい 本店" in html and "山光百貨店" in html
    assert response.context["outlet_rows"][0].books == [0, 100, 0, 0, 0]  # transit, outlet, sold, collected, lost
    assert response.context["outlet_rows"][1].books == [50, 0, 0, 0, 0]


def test_a_future_ledger_day_is_refused_and_today_is_shown(clerk, printed):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = clerk.get(url("ledger"), {"day": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "The ledger cannot show a future date." in response.content.decode()
    assert response.context["day"] == timezone.localdate()


def test_the_ledger_excel_download_starts_a_job(clerk, printed):
    response = clerk.post(url("ledger_export"), {"day": D1.isoformat()})
    job = Job.objects.get(kind="vouchers_ledger")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:job_detail", kwargs={"public_id": job.public_id})
    assert job.params == {"day": "2026-10-21", "campaign": printed.campaign.pk}
    assert job.campaign == printed.campaign


def test_the_auditor_reads_but_never_writes(auditor, printed, marui, thousand):
    assert auditor.get(url("dashboard")).status_code == 200
    assert auditor.get(url("ledger")).status_code == 200
    assert auditor.get(url("delivery_list")).status_code == 200
    html = auditor.get(url("print_order_detail", pk=printed.pk)).content.decode()
    assert "Add the lot" not in html
    before = snapshot()
    assert auditor.get(url("delivery_create")).status_code == 403
    assert auditor.post(url("delivery_create"), {"outlet": marui.pk, "delivery_date": D1.isoformat(),
                                                 "books_1": 10}).status_code == 403
    assert auditor.post(url("lot_create", pk=printed.pk), {}).status_code == 403
    assert snapshot() == before


# --- print orders and lots ---------------------------------------------------------------------------------

def test_a_print_order_is_recorded(clerk, campaign, thousand, five_hundred):
    response = clerk.post(url("print_order_create"), {
        "printer": "鳥取印刷", "ordered_on": "2026-09-01", "requested_delivery": "2026-10-20",
        "books_1": "1000", "books_2": "",
    })
    order = PrintOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == url("print_order_detail", pk=order.pk)
    assert {(line.denomination, line.books) for line in order.lines.all()} == {(thousand, 1000)}
    assert order.created_by.username == "bob"


def test_a_print_order_delivered_before_it_is_ordered_is_refused(clerk, campaign):
    refused(clerk, url("print_order_create"), {
        "printer": "鳥取印刷", "ordered_on": "2026-09-01", "requested_delivery": "2026-08-20", "books_1": "1000",
    }, "The requested delivery date is before the order date.")


def test_a_lot_is_added_to_an_order_and_its_books_are_in_the_vault(clerk, campaign, bob, thousand):
    order = services.print_order_create(actor=bob, campaign=campaign, printer="鳥取印刷", ordered_on=D1,
                                        requested_delivery=D2, books={thousand: 100})
    response = clerk.post(url("lot_create", pk=order.pk), {
        "denomination": thousand.pk, "completed_on": D2.isoformat(), "first_book": 2001, "last_book": 2100,
        "spoiled_sheets": 4,
    })
    lot = PrintLot.objects.get()
    assert response.status_code == 302 and response["Location"] == url("lot_detail", pk=lot.pk)
    assert Book.objects.filter(lot=lot, state=BookState.VAULT).count() == 100
    html = clerk.get(url("lot_detail", pk=lot.pk)).content.decode()
    assert "2001–2100" in html


def test_an_overlapping_lot_is_refused(clerk, printed, thousand):
    printed.lines.filter(denomination=thousand).update(books=5000)
    response = refused(clerk, url("lot_create", pk=printed.pk), {
        "denomination": thousand.pk, "completed_on": D1.isoformat(), "first_book": 990, "last_book": 1100,
        "spoiled_sheets": 0,
    }, "overlap the lot")
    assert response.context["lot_form"].errors


def test_the_numbering_file_is_a_job_and_the_proof_is_a_pdf(clerk, printed):
    lot = PrintLot.objects.order_by("first_book").first()
    response = clerk.post(url("lot_numbering", pk=lot.pk))
    job = Job.objects.get(kind="vouchers_numbering")
    assert response["Location"] == reverse("staff:job_detail", kwargs={"public_id": job.public_id})
    assert job.params == {"lot": lot.pk}

    proof = clerk.get(url("lot_proof", pk=lot.pk))
    assert proof.status_code == 200
    assert proof["Content-Type"] == "application/pdf"
    assert proof.content.startswith(b"%PDF")


# --- outlets and their orders ------------------------------------------------------------------------------

OUTLET = {"code": "S010", "name": "トスク 本店", "kind": "supermarket", "route": "east", "postal_code": "680-0001",
          "address": "鳥取県鳥取市1-2-3", "contact_name": "山田", "phone": "0857-00-0000", "fax": "",
          "is_active": "on"}


def test_an_outlet_is_added_and_edited(clerk, campaign):
    response = clerk.post(url("outlet_create"), OUTLET)
    outlet = Outlet.objects.get(code="S010")
    assert response.status_code == 302 and response["Location"] == url("outlet_detail", pk=outlet.pk)
    assert outlet.campaign == campaign

    response = clerk.post(url("outlet_edit", pk=outlet.pk), {**OUTLET, "route": "central_west"})
    assert response.status_code == 302
    outlet.refresh_from_db()
    assert outlet.route == Outlet.Route.CENTRAL_WEST
    assert clerk.get(url("outlet_detail", pk=outlet.pk)).status_code == 200


def test_an_outlet_code_already_taken_is_refused(clerk, marui):
    refused(clerk, url("outlet_create"), {**OUTLET, "code": marui.code}, "Another outlet already has this code.")


def test_the_outlet_list_filters_by_route_kind_and_name(clerk, marui, sanko):
    html = clerk.get(url("outlet_list"), {"route": "east"}).content.decode()
    assert marui.name in html and sanko.name not in html
    html = clerk.get(url("outlet_list"), {"q": "山光"}).content.decode()
    assert sanko.name in html and marui.name not in html
    html = clerk.get(url("outlet_list"), {"kind": "post_office"}).content.decode()
    assert "No outlets match." in html


def test_the_outlet_page_shows_its_stock(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 40))
    services.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=D2, books=15)
    response = clerk.get(url("outlet_detail", pk=marui.pk))
    assert response.status_code == 200
    row = response.context["stock"][0]
    assert (row.denomination, row.books) == (thousand, [0, 25, 15, 0, 0])
    assert "325,000" in response.content.decode()  # 25 books × 13 × ¥1,000 at the outlet


def test_a_fax_order_is_entered(clerk, campaign, marui, thousand):
    response = clerk.post(url("outlet_order_create", pk=marui.pk), {
        "received_on": "2026-10-15", "order_deadline": "2026-10-16", "delivery_date": "2026-10-21",
        "books_1": "30", "books_2": "10", "note": "午前中",
    })
    assert response.status_code == 302
    order = OutletOrder.objects.get(outlet=marui)
    assert sorted(line.books for line in order.lines.all()) == [10, 30]
    html = clerk.get(url("outlet_order_list")).content.decode()
    assert "午前中" in html and f"?order={order.pk}" in html


def test_a_fax_order_without_books_is_refused(clerk, campaign, marui):
    refused(clerk, url("outlet_order_create", pk=marui.pk), {
        "received_on": "2026-10-15", "order_deadline": "2026-10-16", "delivery_date": "2026-10-21",
        "books_1": "0", "books_2": "",
    }, "Order at least one book.")


# --- deliveries --------------------------------------------------------------------------------------------

def test_a_delivery_by_count_and_by_ranges(clerk, printed, marui, thousand, five_hundred):
    response = clerk.post(url("delivery_create"), {
        "outlet": marui.pk, "delivery_date": D1.isoformat(), "books_1": "20", "ranges_2": "1001-1005, 1010",
    })
    delivery = Delivery.objects.get()
    assert response.status_code == 302 and response["Location"] == url("delivery_detail", pk=delivery.pk)
    assert Book.objects.filter(state=BookState.TRANSIT, outlet=marui).count() == 26
    assert states(1, 20, 21, 1005, 1006, 1010) == ["transit", "transit", "vault", "transit", "vault", "transit"]
    html = clerk.get(url("delivery_detail", pk=delivery.pk)).content.decode()
    assert "1–20" in html and "1,001–1,005" in html and "1,010" in html


def test_a_delivery_prefilled_from_a_fax_order(clerk, printed, bob, marui, thousand):
    order = services.outlet_order_create(actor=bob, outlet=marui, received_on=D1, order_deadline=D1,
                                         delivery_date=D2, books={thousand: 30})
    response = clerk.get(url("delivery_create"), {"order": order.pk})
    form = response.context["form"]
    assert form["outlet"].value() == marui.pk and form["books_1"].value() == 30
    clerk.post(url("delivery_create"), {"outlet": marui.pk, "order": order.pk, "delivery_date": D2.isoformat(),
                                        "books_1": "30"})
    assert Delivery.objects.get().order == order


def test_delivering_books_not_in_the_vault_is_refused(clerk, printed, bob, marui, sanko):
    deliver(bob, marui, R(1, 10))
    refused(clerk, url("delivery_create"), {"outlet": sanko.pk, "delivery_date": D1.isoformat(),
                                            "ranges_1": "5-15"}, "book 5")


def test_ranges_in_the_wrong_denomination_row_are_refused(clerk, printed, marui):
    refused(clerk, url("delivery_create"), {"outlet": marui.pk, "delivery_date": D1.isoformat(),
                                            "ranges_1": "1001-1010"},
            "These ranges hold books of another denomination than 1,000円券.")
    refused(clerk, url("delivery_create"), {"outlet": marui.pk, "delivery_date": D1.isoformat(),
                                            "ranges_1": "10-12a"}, "is not a book number")
    refused(clerk, url("delivery_create"), {"outlet": marui.pk, "delivery_date": D1.isoformat(),
                                            "books_1": "5", "ranges_1": "1-10"}, "not both")


def test_a_delivery_is_confirmed(clerk, printed, bob, marui):
    delivery = deliver(bob, marui, R(1, 10), confirm=False)
    response = clerk.post(url("delivery_confirm", pk=delivery.pk), {"received_by": "店長 山田",
                                                                    "confirmed_on": D2.isoformat()})
    assert response.status_code == 302 and response["Location"] == url("delivery_detail", pk=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.received_by, delivery.confirmed_on) == ("confirmed", "店長 山田", D2)
    assert Book.objects.filter(state=BookState.OUTLET, outlet=marui).count() == 10


def test_a_receipt_dated_before_the_delivery_is_refused(clerk, printed, bob, marui):
    delivery = deliver(bob, marui, R(1, 10), confirm=False)
    response = refused(clerk, url("delivery_confirm", pk=delivery.pk),
                       {"received_by": "店長", "confirmed_on": "2026-10-20"},
                       "The receipt date is before the delivery date.")
    assert response.context["delivery"] == delivery


def test_the_delivery_slip_downloads_as_a_pdf(clerk, printed, bob, marui):
    delivery = deliver(bob, marui, R(1, 10), R(1001, 1003), confirm=False)
    response = clerk.get(url("delivery_slip", pk=delivery.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    from urllib.parse import quote
    assert quote(f"受領書・納品預託書_{delivery.number}.pdf") in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")


# --- sales -------------------------------------------------------------------------------------------------

def test_a_sales_report_marks_books_sold_and_shows_the_remittance(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 100))
    response = clerk.post(url("sales_report_create"), {
        "outlet": marui.pk, "denomination": thousand.pk, "sales_date": D2.isoformat(), "books": "30",
    }, follow=True)
    assert response.redirect_chain[-1][0] == url("sales_report_list")
    assert "remittance due: ¥300,000" in response.content.decode()
    assert states(1, 30, 31) == ["sold", "sold", "outlet"]
    assert SalesReport.objects.get().remittance == 300_000


def test_selling_books_that_are_not_at_the_outlet_is_refused(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 10))
    refused(clerk, url("sales_report_create"), {
        "outlet": marui.pk, "denomination": thousand.pk, "sales_date": D2.isoformat(), "ranges": "5-20",
    }, "book 11")


# --- stock-takes -------------------------------------------------------------------------------------------

def test_a_stocktake_with_a_discrepancy_is_shown_until_resolved(clerk, printed, thousand):
    response = clerk.post(url("stocktake_create"), {
        "counted_on": D2.isoformat(), "outlet": "", "witnesses": "事務局 佐藤、印刷会社 田中",
        "books_1": "998", "books_2": "500",
    })
    stocktake = StockTake.objects.get()
    assert response.status_code == 302 and response["Location"] == url("stocktake_detail", pk=stocktake.pk)
    line = stocktake.lines.get(denomination=thousand)
    assert (line.counted, line.ledger) == (998, 1000)
    dashboard = clerk.get(url("dashboard")).content.decode()
    assert url("stocktake_detail", pk=stocktake.pk) in dashboard and "-2" in dashboard
    assert "1 open discrepancy" in clerk.get(url("stocktake_list")).content.decode()

    refused(clerk, url("stocktake_resolve", pk=line.pk), {"resolution": "  "}, "This field is required.")
    response = clerk.post(url("stocktake_resolve", pk=line.pk), {"resolution": "検品用に2冊抜き取り"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.resolved_at is not None and line.resolved_by.username == "bob"
    assert url("stocktake_detail", pk=stocktake.pk) not in clerk.get(url("dashboard")).content.decode()


def test_a_stocktake_in_the_future_is_refused(clerk, printed):
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused(clerk, url("stocktake_create"), {"counted_on": tomorrow.isoformat(), "witnesses": "佐藤",
                                             "books_1": "1000"}, "cannot be in the future")


# --- collection --------------------------------------------------------------------------------------------

def test_a_collection_book_by_book_then_closed(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 20))
    services.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=D1, books=5)
    response = clerk.post(url("collection_open"), {"outlet": marui.pk, "collected_on": D2.isoformat()})
    collection = Collection.objects.get()
    assert response["Location"] == url("collection_detail", pk=collection.pk)

    response = clerk.post(url("collection_return", pk=collection.pk), {"ranges": "6\n7\n８\n9-10, 11"},
                          follow=True)
    html = response.content.decode()
    assert "6 books returned." in html
    assert 'data-testid="books-returned">6<' in html and 'data-testid="books-still-out">9<' in html
    assert states(6, 11, 12) == ["collected", "collected", "outlet"]

    refused(clerk, url("collection_close", pk=collection.pk), {}, "Tick the box to confirm.")
    response = clerk.post(url("collection_close", pk=collection.pk), {"confirm": "on"}, follow=True)
    assert "9 books not returned and not reported sold are now lost" in response.content.decode()
    collection.refresh_from_db()
    assert collection.closed_at is not None and collection.lost_books == 9
    assert states(5, 6, 12, 20) == ["sold", "collected", "lost", "lost"]


def test_returning_books_that_are_not_at_the_outlet_is_refused(clerk, printed, bob, marui):
    deliver(bob, marui, R(1, 20))
    collection = services.collection_open(actor=bob, outlet=marui, collected_on=D2)
    refused(clerk, url("collection_return", pk=collection.pk), {"ranges": "19-21"}, "book 21")


def test_a_second_open_collection_at_an_outlet_is_refused(clerk, printed, bob, marui):
    services.collection_open(actor=bob, outlet=marui, collected_on=D2)
    refused(clerk, url("collection_open"), {"outlet": marui.pk, "collected_on": D2.isoformat()},
            "A collection at this outlet is already open.")


# --- destruction -------------------------------------------------------------------------------------------

DESTRUCTION = {"destroyed_on": D2.isoformat(), "method": "pulping", "place": "鳥取市 製紙工場",
               "contractor": "因幡製紙", "witnesses": "事務局 佐藤、印刷会社 田中", "spoiled_sheets": "15"}


def test_a_destruction_is_recorded_with_a_certificate(clerk, printed):
    response = clerk.post(url("destruction_create"), {**DESTRUCTION, "ranges": "900-1000, 1500", "confirm": "on"})
    destruction = Destruction.objects.get()
    assert response.status_code == 302 and response["Location"] == url("destruction_detail", pk=destruction.pk)
    assert states(899, 900, 1000, 1500) == ["vault", "destroyed", "destroyed", "destroyed"]
    html = clerk.get(url("destruction_detail", pk=destruction.pk)).content.decode()
    assert "900–1,000" in html and "1,500" in html

    pdf = clerk.get(url("destruction_certificate", pk=destruction.pk))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_destroying_books_at_an_outlet_or_without_confirmation_is_refused(clerk, printed, bob, marui):
    deliver(bob, marui, R(1, 10))
    refused(clerk, url("destruction_create"), {**DESTRUCTION, "ranges": "5-15", "confirm": "on"}, "book 5")
    refused(clerk, url("destruction_create"), {**DESTRUCTION, "ranges": "500-510"}, "Tick the box to confirm.")


# --- every list page renders with data ---------------------------------------------------------------------

def test_every_list_page_renders(clerk, printed, bob, marui, thousand):
    deliver(bob, marui, R(1, 20))
    services.sales_report_record(actor=bob, outlet=marui, denomination=thousand, sales_date=D2, books=5)
    services.collection_open(actor=bob, outlet=marui, collected_on=D2)
    services.destruction_record(actor=bob, campaign=printed.campaign, destroyed_on=D2, method="shredding",
                                place="x", witnesses="y", ranges=[R(999, 1000)])
    for name in ("print_order_list", "outlet_list", "outlet_order_list", "delivery_list", "sales_report_list",
                 "stocktake_list", "collection_list", "destruction_list", "print_order_create", "outlet_create",
                 "delivery_create", "sales_report_create", "stocktake_create", "collection_open",
                 "destruction_create"):
        response = clerk.get(url(name))
        assert response.status_code == 200, name
        assert 'class="table-wrap"' in response.content.decode() or "<form" in response.content.decode(), name


# --- admin -------------------------------------------------------------------------------------------------

def test_the_admin_shows_master_data_and_stock_read_only(staff_client, alice, printed, bob, marui):
    client = staff_client(alice)
    deliver(bob, marui, R(1, 10))
    lot = PrintLot.objects.order_by("first_book").first()
    movement = Movement.objects.filter(kind=Movement.Kind.DISPATCH).first()
    for path in ("/admin/vouchers/outlet/", f"/admin/vouchers/outlet/{marui.pk}/change/", "/admin/vouchers/printorder/",
                 f"/admin/vouchers/printorder/{printed.pk}/change/", "/admin/vouchers/printlot/",
                 f"/admin/vouchers/printlot/{lot.pk}/change/", "/admin/vouchers/book/?q=5",
                 "/admin/vouchers/book/?q=abc", "/admin/vouchers/book/?state=transit",
                 "/admin/vouchers/movement/", f"/admin/vouchers/movement/{movement.pk}/change/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/vouchers/book/add/").status_code == 403
    assert client.get("/admin/vouchers/printlot/add/").status_code == 403
    book = Book.objects.get(number=5)
    before = snapshot()
    client.post(f"/admin/vouchers/book/{book.pk}/change/", {"state": "sold"})
    assert snapshot() == before
    html = client.get(f"/admin/vouchers/movement/{movement.pk}/change/").content.decode()
    assert 'name="_save"' not in html

    response = client.post(f"/admin/vouchers/outlet/{marui.pk}/change/", {
        "campaign": marui.campaign_id, "code": marui.code, "name": "スーパーまるい 駅前店", "kind": "supermarket",
        "postal_code": "", "address": marui.address, "route": "east", "contact_name": "", "phone": "", "fax": "",
        "is_active": "on"})
    assert response.status_code == 302
    marui.refresh_from_db()
    assert marui.name == "スーパーまるい 駅前店"
    assert AuditEvent.objects.filter(action="vouchers.outlet_update", actor=alice).exists()
