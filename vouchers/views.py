"""Staff screens of the voucher stock: parse a form, call a service, render. Reads come from ``selectors.py``.

Every write is POST → service → message → redirect. A rule of the stock that the service refuses
(``VoucherError``) comes back as a form error on the same page with nothing changed: the services run in one
transaction each.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaign.decorators import campaign_required as require_campaign
from campaign.decorators import staff_view
from campaign.forms import form_attempt
from campaign.jobs import JobError, job_start
from campaign.roles import has_capability
from vouchers import documents, forms, selectors, services
from vouchers.ledger import ledger_current, ledger_on, ledger_series
from vouchers.models import (
    LEDGER_STATES,
    BookState,
    Collection,
    Delivery,
    Destruction,
    Outlet,
    OutletOrder,
    PrintLot,
    PrintOrder,
    StockTake,
    StockTakeLine,
)

PAGE_SIZE = 30


campaign_required = require_campaign("vouchers/no_campaign.html")


def _can_manage(request) -> bool:
    return has_capability(request.user, "vouchers.manage")


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _pdf(content: bytes, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    return response


def _start_job(request, campaign, *, kind: str, params: dict, back: str):
    try:
        job = job_start(actor=request.user, kind=kind, params=params, campaign=campaign, request=request)
    except (JobError, PermissionError):
        messages.error(request, _("The job could not be started. Please try again or contact the system "
                                  "administrator."))
        return redirect(back)
    return redirect("staff:job_detail", public_id=job.public_id)


# --- dashboard and ledger ----------------------------------------------------------------------------------

# One colour per state; each has at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
STATE_COLOURS = {
    BookState.VAULT: "#0031d8",
    BookState.TRANSIT: "#8a5300",
    BookState.OUTLET: "#197a4b",
    BookState.SOLD: "#6f23d0",
    BookState.COLLECTED: "#0b6e99",
    BookState.LOST: "#ce0000",
    BookState.DESTROYED: "#595959",
}


def ledger_chart(series, *, today, width: int = 640, height: int = 240) -> dict | None:
    """Stacked step areas of books per state over time, as SVG coordinates (no JS library).

    A state's count holds from the day it changed until the next change, so steps, not slopes, tell the truth.
    """
    if not series:
        return None
    left, right, top, bottom = 72, 8, 8, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    start = series[0][0].toordinal()
    end = max(today, series[-1][0]).toordinal() + 1
    span = end - start
    ymax = max(sum(counts.values()) for _day, counts in series) or 1

    def x(ordinal: int) -> float:
        return left + (ordinal - start) / span * plot_w

    def y(books: int) -> float:
        return top + plot_h - books / ymax * plot_h

    edges = [day.toordinal() for day, _counts in series] + [end]
    areas = []
    below = [0] * len(series)
    for state in LEDGER_STATES:
        values = [counts.get(state, 0) for _day, counts in series]
        above = [b + v for b, v in zip(below, values, strict=True)]
        if any(values):
            upper = [(x(edges[i]), y(above[i])) for i in range(len(series))]
            upper = [p for i, (px, py) in enumerate(upper) for p in ((px, py), (x(edges[i + 1]), py))]
            lower = [p for i in reversed(range(len(series)))
                     for p in ((x(edges[i + 1]), y(below[i])), (x(edges[i]), y(below[i])))]
            areas.append({
                "state": state, "label": BookState(state).label, "colour": STATE_COLOURS[state],
                "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in upper + lower),
                "now": values[-1],
            })
        below = above
    gridlines = [{"y": f"{y(v):.1f}", "label": f"{v:,}"} for v in (0, ymax // 2, ymax)]
    return {
        "width": width, "height": height, "left": left, "right": width - right, "bottom": top + plot_h,
        "label_x": left - 6, "areas": areas, "gridlines": gridlines,
        "first_day": series[0][0], "last_day": max(today, series[-1][0]), "axis_y": height - 8,
    }


@staff_view("vouchers.view")
@campaign_required
def dashboard(request, campaign):
    ledger = ledger_current(campaign)
    today = timezone.localdate()
    return render(request, "vouchers/dashboard.html", {
        "ledger": ledger,
        "table": selectors.ledger_table(ledger),
        "chart": ledger_chart(ledger_series(campaign), today=today),
        "discrepancies": selectors.open_discrepancies(campaign)[:20],
        "can_manage": _can_manage(request),
    })


@staff_view("vouchers.view")
@campaign_required
def ledger(request, campaign):
    today = timezone.localdate()
    form = forms.LedgerDayForm(request.GET or None, initial={"day": today})
    day = form.cleaned_data["day"] if form.is_valid() else today
    book_ledger = ledger_on(campaign, day)
    return render(request, "vouchers/ledger.html", {
        "form": form,
        "day": day,
        "ledger": book_ledger,
        "table": selectors.ledger_table(book_ledger),
        "outlet_rows": selectors.ledger_outlet_rows(book_ledger),
        "outlet_states": selectors.outlet_state_labels(),
    })


@staff_view("vouchers.view")
@require_POST
@campaign_required
def ledger_export(request, campaign):
    form = forms.LedgerDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a date that is not in the future."))
        return redirect("vouchers:ledger")
    return _start_job(request, campaign, kind="vouchers_ledger", back="vouchers:ledger",
                      params={"day": form.cleaned_data["day"].isoformat(), "campaign": campaign.pk})


# --- print orders and lots ---------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def print_order_list(request, campaign):
    return render(request, "vouchers/print_order_list.html", {
        "page": _page(request, selectors.print_orders(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def print_order_create(request, campaign):
    form = forms.PrintOrderForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order = form_attempt(form, lambda: services.print_order_create(
            actor=request.user, campaign=campaign, printer=data["printer"], ordered_on=data["ordered_on"],
            requested_delivery=data["requested_delivery"], books=form.denomination_counts(), note=data["note"]))
        if order is not None:
            messages.success(request, _("Print order recorded."))
            return redirect("vouchers:print_order_detail", pk=order.pk)
    return render(request, "vouchers/print_order_form.html", {"form": form})


def _print_order_page(request, order, lot_form=None):
    return render(request, "vouchers/print_order_detail.html", {
        "order": order,
        "progress": selectors.print_order_progress(order),
        "lots": order.lots.select_related("denomination").order_by("first_book"),
        "lot_form": lot_form or forms.LotForm(order=order, initial={"completed_on": timezone.localdate()}),
        "can_manage": _can_manage(request),
    })


@staff_view("vouchers.view")
@campaign_required
def print_order_detail(request, campaign, pk):
    order = get_object_or_404(PrintOrder, pk=pk, campaign=campaign)
    return _print_order_page(request, order)


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def lot_create(request, campaign, pk):
    order = get_object_or_404(PrintOrder, pk=pk, campaign=campaign)
    form = forms.LotForm(request.POST, order=order)
    if form.is_valid():
        data = form.cleaned_data
        lot = form_attempt(form, lambda: services.lot_create(
            actor=request.user, order=order, denomination=data["denomination"], completed_on=data["completed_on"],
            first_book=data["first_book"], last_book=data["last_book"], spoiled_sheets=data["spoiled_sheets"]))
        if lot is not None:
            messages.success(request, _("Lot recorded: %(books)s books are in the vault.") % {"books": f"{lot.books:,}"})
            return redirect("vouchers:lot_detail", pk=lot.pk)
    return _print_order_page(request, order, lot_form=form)


@staff_view("vouchers.view")
@campaign_required
def lot_detail(request, campaign, pk):
    lot = get_object_or_404(PrintLot.objects.select_related("denomination", "order"), pk=pk, campaign=campaign)
    return render(request, "vouchers/lot_detail.html", {
        "lot": lot, "states": selectors.lot_books_by_state(lot), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def lot_numbering(request, campaign, pk):
    lot = get_object_or_404(PrintLot, pk=pk, campaign=campaign)
    return _start_job(request, campaign, kind="vouchers_numbering", params={"lot": lot.pk},
                      back=reverse("vouchers:lot_detail", kwargs={"pk": lot.pk}))


@staff_view("vouchers.view")
@campaign_required
def lot_proof(request, campaign, pk):
    from vouchers.jobs import lot_proof_pdf

    lot = get_object_or_404(PrintLot.objects.select_related("campaign", "denomination"), pk=pk, campaign=campaign)
    buffer = io.BytesIO()
    try:
        lot_proof_pdf(lot, buffer)
    except JobError as exc:  # e.g. no serial key configured for the campaign
        messages.error(request, str(exc))
        return redirect("vouchers:lot_detail", pk=lot.pk)
    return _pdf(buffer.getvalue(), f"校正刷り_ロット{lot.pk}.pdf", attachment=False)


# --- outlets and outlet orders -----------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def outlet_list(request, campaign):
    form = forms.OutletFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.outlets(campaign, route=filters.get("route", ""), kind=filters.get("kind", ""),
                           search=filters.get("q", "").strip())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "vouchers/outlet_list.html", {
        "form": form, "page": _page(request, qs), "query": query.urlencode(), "can_manage": _can_manage(request)})


def _outlet_form(request, campaign, outlet: Outlet):
    form = forms.OutletForm(request.POST or None, instance=outlet, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        created = outlet.pk is None
        try:
            saved = services.outlet_save(actor=request.user, outlet=form.save(commit=False))
        except ValidationError as exc:  # a concurrent save took the code
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Outlet added.") if created else _("Outlet saved."))
            return redirect("vouchers:outlet_detail", pk=saved.pk)
    return render(request, "vouchers/outlet_form.html", {"form": form, "outlet": outlet})


@staff_view("vouchers.manage")
@campaign_required
def outlet_create(request, campaign):
    return _outlet_form(request, campaign, Outlet(campaign=campaign))


@staff_view("vouchers.manage")
@campaign_required
def outlet_edit(request, campaign, pk):
    return _outlet_form(request, campaign, get_object_or_404(Outlet, pk=pk, campaign=campaign))


@staff_view("vouchers.view")
@campaign_required
def outlet_detail(request, campaign, pk):
    outlet = get_object_or_404(Outlet, pk=pk, campaign=campaign)
    return render(request, "vouchers/outlet_detail.html", {
        "outlet": outlet,
        "stock": selectors.outlet_stock(outlet),
        "stock_states": selectors.outlet_state_labels(),
        "orders": selectors.outlet_orders(campaign, outlet)[:20],
        "deliveries": selectors.deliveries(campaign, outlet)[:20],
        "sales": selectors.sales_reports(campaign, outlet)[:20],
        "collections": selectors.collections(campaign, outlet),
        "can_manage": _can_manage(request),
    })


@staff_view("vouchers.view")
@campaign_required
def outlet_order_list(request, campaign):
    return render(request, "vouchers/outlet_order_list.html", {
        "page": _page(request, selectors.outlet_orders(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def outlet_order_create(request, campaign, pk):
    outlet = get_object_or_404(Outlet, pk=pk, campaign=campaign)
    form = forms.OutletOrderForm(request.POST or None, campaign=campaign,
                                 initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        order = form_attempt(form, lambda: services.outlet_order_create(
            actor=request.user, outlet=outlet, received_on=data["received_on"], order_deadline=data["order_deadline"],
            delivery_date=data["delivery_date"], books=form.denomination_counts(), note=data["note"]))
        if order is not None:
            messages.success(request, _("Order from %(outlet)s recorded.") % {"outlet": outlet.name})
            return redirect("vouchers:outlet_detail", pk=outlet.pk)
    return render(request, "vouchers/outlet_order_form.html", {"form": form, "outlet": outlet})


# --- deliveries --------------------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def delivery_list(request, campaign):
    return render(request, "vouchers/delivery_list.html", {
        "page": _page(request, selectors.deliveries(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def delivery_create(request, campaign):
    initial, initial_books = {"delivery_date": timezone.localdate()}, {}
    order_id = request.GET.get("order", "")
    order = OutletOrder.objects.filter(campaign=campaign, pk=order_id).first() if order_id.isdigit() else None
    if order is not None:
        initial.update(order=order, outlet=order.outlet, delivery_date=order.delivery_date)
        initial_books = {line.denomination_id: line.books for line in order.lines.all()}
    elif request.GET.get("outlet", "").isdigit():
        initial["outlet"] = request.GET["outlet"]
    form = forms.DeliveryForm(request.POST or None, campaign=campaign, initial=initial, initial_books=initial_books)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        delivery = form_attempt(form, lambda: services.delivery_dispatch(
            actor=request.user, outlet=data["outlet"], delivery_date=data["delivery_date"], order=data["order"],
            ranges=form.denomination_ranges() or None, books=form.denomination_counts()))
        if delivery is not None:
            messages.success(request, _("Delivery %(number)s dispatched. Print the receipt and deposit slip for "
                                        "signature.") % {"number": delivery.number})
            return redirect("vouchers:delivery_detail", pk=delivery.pk)
    return render(request, "vouchers/delivery_form.html", {"form": form})


def _delivery_lines(delivery: Delivery) -> list[selectors.RangeLine]:
    return [selectors.RangeLine(d, r) for d, r in services.delivery_ranges(delivery)]


def _delivery_page(request, delivery, confirm_form=None):
    lines = _delivery_lines(delivery)
    return render(request, "vouchers/delivery_detail.html", {
        "delivery": delivery,
        "lines": lines,
        "total_books": sum(line.range.books for line in lines),
        "total_yen": sum(line.face_value for line in lines),
        "confirm_form": confirm_form or forms.DeliveryConfirmForm(initial={"confirmed_on": timezone.localdate()}),
        "can_manage": _can_manage(request),
    })


def _delivery(campaign, pk) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("outlet", "order"), pk=pk, campaign=campaign)


@staff_view("vouchers.view")
@campaign_required
def delivery_detail(request, campaign, pk):
    return _delivery_page(request, _delivery(campaign, pk))


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def delivery_confirm(request, campaign, pk):
    delivery = _delivery(campaign, pk)
    form = forms.DeliveryConfirmForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = form_attempt(form, lambda: services.delivery_confirm(
            actor=request.user, delivery=delivery, received_by=data["received_by"], confirmed_on=data["confirmed_on"]))
        if done is not None:
            messages.success(request, _("Delivery %(number)s confirmed: the books are at the outlet.")
                             % {"number": delivery.number})
            return redirect("vouchers:delivery_detail", pk=delivery.pk)
    return _delivery_page(request, delivery, confirm_form=form)


@staff_view("vouchers.view")
@campaign_required
def delivery_slip(request, campaign, pk):
    """The receipt (受領書) and deposit slip (納品預託書) for the outlet to sign."""
    delivery = _delivery(campaign, pk)
    outlet = delivery.outlet
    address = f"〒{outlet.postal_code} {outlet.address}" if outlet.postal_code else outlet.address
    doc = documents.DeliveryDocument(
        campaign_name=campaign.name,
        secretariat_name=f"{campaign.name} 事務局",
        delivery_number=delivery.number,
        outlet_name=outlet.name,
        outlet_address=address,
        route_label=str(outlet.get_route_display()),
        delivery_date=delivery.delivery_date,
        ranges=[documents.BookRange(denomination_name=line.denomination.name, first_book=line.range.first,
                                    last_book=line.range.last,
                                    face_value_per_book=line.denomination.book_face_total)
                for line in _delivery_lines(delivery)],
        note=delivery.order.note if delivery.order else "",
    )
    buffer = io.BytesIO()
    documents.delivery_slip_pdf(buffer, doc)
    return _pdf(buffer.getvalue(), f"受領書・納品預託書_{delivery.number}.pdf")


# --- sales reports -----------------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def sales_report_list(request, campaign):
    return render(request, "vouchers/sales_report_list.html", {
        "page": _page(request, selectors.sales_reports(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def sales_report_create(request, campaign):
    initial = {"sales_date": timezone.localdate()}
    if request.GET.get("outlet", "").isdigit():
        initial["outlet"] = request.GET["outlet"]
    form = forms.SalesReportForm(request.POST or None, campaign=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = form_attempt(form, lambda: services.sales_report_record(
            actor=request.user, outlet=data["outlet"], denomination=data["denomination"],
            sales_date=data["sales_date"], books=data["books"], ranges=data["ranges"] or None))
        if report is not None:
            messages.success(request, _("Sales of %(books)s books recorded; remittance due: ¥%(yen)s.")
                             % {"books": f"{report.books:,}", "yen": f"{report.remittance:,}"})
            return redirect("vouchers:sales_report_list")
    return render(request, "vouchers/sales_report_form.html", {"form": form})


# --- stock-takes -------------------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def stocktake_list(request, campaign):
    return render(request, "vouchers/stocktake_list.html", {
        "page": _page(request, selectors.stocktakes(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def stocktake_create(request, campaign):
    form = forms.StockTakeForm(request.POST or None, campaign=campaign,
                               initial={"counted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stocktake = form_attempt(form, lambda: services.stocktake_record(
            actor=request.user, campaign=campaign, counted_on=data["counted_on"], outlet=data["outlet"],
            witnesses=data["witnesses"], counts=form.denomination_counts(), note=data["note"]))
        if stocktake is not None:
            messages.success(request, _("Stock-take recorded."))
            return redirect("vouchers:stocktake_detail", pk=stocktake.pk)
    return render(request, "vouchers/stocktake_form.html", {"form": form})


def _stocktake_page(request, stocktake, failed_line=None, failed_form=None):
    lines = []
    for line in stocktake.lines.select_related("denomination", "resolved_by").order_by("denomination__code"):
        form = failed_form if line == failed_line else forms.ResolveForm(auto_id=f"id_line{line.pk}_%s")
        lines.append((line, form))
    return render(request, "vouchers/stocktake_detail.html", {
        "stocktake": stocktake, "lines": lines, "can_manage": _can_manage(request)})


@staff_view("vouchers.view")
@campaign_required
def stocktake_detail(request, campaign, pk):
    stocktake = get_object_or_404(StockTake.objects.select_related("outlet"), pk=pk, campaign=campaign)
    return _stocktake_page(request, stocktake)


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def stocktake_resolve(request, campaign, pk):
    line = get_object_or_404(StockTakeLine.objects.select_related("stocktake__outlet", "denomination"), pk=pk,
                             stocktake__campaign=campaign)
    form = forms.ResolveForm(request.POST, auto_id=f"id_line{line.pk}_%s")
    if form.is_valid() and line.resolved_at:
        form.add_error(None, _("This discrepancy has already been resolved."))
    elif form.is_valid():
        done = form_attempt(form, lambda: services.stocktake_resolve(
            actor=request.user, line=line, resolution=form.cleaned_data["resolution"]))
        if done is not None:
            messages.success(request, _("The discrepancy of %(name)s is marked resolved.")
                             % {"name": line.denomination.name})
            return redirect("vouchers:stocktake_detail", pk=line.stocktake_id)
    return _stocktake_page(request, line.stocktake, failed_line=line, failed_form=form)


# --- collection --------------------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def collection_list(request, campaign):
    return render(request, "vouchers/collection_list.html", {
        "page": _page(request, selectors.collections(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def collection_open(request, campaign):
    initial = {"collected_on": timezone.localdate()}
    if request.GET.get("outlet", "").isdigit():
        initial["outlet"] = request.GET["outlet"]
    form = forms.CollectionOpenForm(request.POST or None, campaign=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        collection = form_attempt(form, lambda: services.collection_open(
            actor=request.user, outlet=data["outlet"], collected_on=data["collected_on"]))
        if collection is not None:
            messages.success(request, _("Collection at %(outlet)s opened. Enter the returned books.")
                             % {"outlet": collection.outlet.name})
            return redirect("vouchers:collection_detail", pk=collection.pk)
    return render(request, "vouchers/collection_open.html", {"form": form})


def _collection_page(request, collection, return_form=None, close_form=None):
    return render(request, "vouchers/collection_detail.html", {
        "collection": collection,
        "progress": selectors.collection_progress(collection),
        "return_form": return_form or forms.CollectionReturnForm(),
        "close_form": close_form or forms.ConfirmForm(auto_id="id_close_%s"),
        "can_manage": _can_manage(request),
    })


def _collection(campaign, pk) -> Collection:
    return get_object_or_404(Collection.objects.select_related("outlet"), pk=pk, campaign=campaign)


@staff_view("vouchers.view")
@campaign_required
def collection_detail(request, campaign, pk):
    return _collection_page(request, _collection(campaign, pk))


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def collection_return(request, campaign, pk):
    collection = _collection(campaign, pk)
    form = forms.CollectionReturnForm(request.POST)
    if form.is_valid():
        books = form_attempt(form, lambda: services.collection_return(
            actor=request.user, collection=collection, ranges=form.cleaned_data["ranges"]))
        if books is not None:
            messages.success(request, _("%(books)s books returned.") % {"books": f"{books:,}"})
            return redirect("vouchers:collection_detail", pk=collection.pk)
    return _collection_page(request, collection, return_form=form)


@staff_view("vouchers.manage")
@require_POST
@campaign_required
def collection_close(request, campaign, pk):
    collection = _collection(campaign, pk)
    form = forms.ConfirmForm(request.POST, auto_id="id_close_%s")
    if form.is_valid():
        closed = form_attempt(form, lambda: services.collection_close(actor=request.user, collection=collection))
        if closed is not None:
            messages.success(request, _("Collection closed. %(lost)s books not returned and not reported sold "
                                        "are now lost and blocked for redemption.")
                             % {"lost": f"{closed.lost_books:,}"})
            return redirect("vouchers:collection_detail", pk=collection.pk)
    return _collection_page(request, collection, close_form=form)


# --- destruction -------------------------------------------------------------------------------------------

@staff_view("vouchers.view")
@campaign_required
def destruction_list(request, campaign):
    return render(request, "vouchers/destruction_list.html", {
        "page": _page(request, selectors.destructions(campaign)), "can_manage": _can_manage(request)})


@staff_view("vouchers.manage")
@campaign_required
def destruction_create(request, campaign):
    form = forms.DestructionForm(request.POST or None, initial={"destroyed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        destruction = form_attempt(form, lambda: services.destruction_record(
            actor=request.user, campaign=campaign, destroyed_on=data["destroyed_on"], method=data["method"],
            place=data["place"], witnesses=data["witnesses"], ranges=data["ranges"],
            spoiled_sheets=data["spoiled_sheets"], contractor=data["contractor"]))
        if destruction is not None:
            messages.success(request, _("Destruction %(number)s recorded.") % {"number": destruction.number})
            return redirect("vouchers:destruction_detail", pk=destruction.pk)
    return render(request, "vouchers/destruction_form.html", {
        "form": form, "spoiled_left": selectors.spoiled_sheets_left(campaign)})


def _destruction_lines(destruction: Destruction) -> list[selectors.RangeLine]:
    return selectors.movement_ranges(destruction.movements.all())


@staff_view("vouchers.view")
@campaign_required
def destruction_detail(request, campaign, pk):
    destruction = get_object_or_404(Destruction, pk=pk, campaign=campaign)
    lines = _destruction_lines(destruction)
    return render(request, "vouchers/destruction_detail.html", {
        "destruction": destruction, "lines": lines,
        "total_books": sum(line.range.books for line in lines),
        "total_yen": sum(line.face_value for line in lines),
    })


@staff_view("vouchers.view")
@campaign_required
def destruction_certificate(request, campaign, pk):
    """The destruction certificate (廃棄証明書) with a signature row per witness."""
    destruction = get_object_or_404(Destruction, pk=pk, campaign=campaign)
    doc = documents.DestructionDocument(
        campaign_name=campaign.name,
        secretariat_name=f"{campaign.name} 事務局",
        certificate_number=destruction.number,
        destroyed_on=destruction.destroyed_on,
        method_label=str(destruction.get_method_display()),
        place=destruction.place,
        ranges=[documents.BookRange(denomination_name=line.denomination.name, first_book=line.range.first,
                                    last_book=line.range.last,
                                    face_value_per_book=line.denomination.book_face_total)
                for line in _destruction_lines(destruction)],
        spoiled_sheets=destruction.spoiled_sheets,
        witnesses=forms.split_witnesses(destruction.witnesses),
        operator_company=destruction.contractor,
    )
    buffer = io.BytesIO()
    documents.destruction_certificate_pdf(buffer, doc)
    return _pdf(buffer.getvalue(), f"廃棄証明書_{destruction.number}.pdf")
