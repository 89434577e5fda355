"""Voucher stock: print orders and lots, books, outlets, movements, and the documents that move books.

A *book* (冊) is the unit of inventory; its tickets are numbered 1..tickets_per_book inside it. Every change
of a book's state is a ``Movement`` naming book ranges, who and when; the issuance ledger (発行台帳) for any
date is the sum of movements up to that date, and today's is also the plain count of books by state — the two
must always agree.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import IntegerRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Denomination


class BookState(models.TextChoices):
    VAULT = "vault", _("In the vault")
    TRANSIT = "transit", _("In transit")
    OUTLET = "outlet", _("At an outlet")
    SOLD = "sold", _("Sold")
    COLLECTED = "collected", _("Collected back")
    LOST = "lost", _("Lost")
    DESTROYED = "destroyed", _("Destroyed")


# Ledger columns, in the order the issuance ledger shows them.
LEDGER_STATES = [s.value for s in BookState]


class Outlet(models.Model):
    """A sales outlet (販売所): a supermarket, department store or post office that sells books."""

    class Kind(models.TextChoices):
        SUPERMARKET = "supermarket", _("Supermarket")
        DEPARTMENT_STORE = "department_store", _("Department store")
        POST_OFFICE = "post_office", _("Post office")
        OTHER = "other", _("Other")

    class Route(models.TextChoices):
        EAST = "east", _("East route")
        CENTRAL_WEST = "central_west", _("Central-west route")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="outlets",
                                 verbose_name=_("campaign"))
    code = models.CharField(_("outlet code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=300)
    route = models.CharField(_("delivery route"), max_length=20, choices=Route.choices)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    fax = models.CharField(_("FAX"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sales outlet")
        verbose_name_plural = _("sales outlets")
        ordering = ["campaign", "code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="outlet_code_unique")]

    def __str__(self) -> str:
        return self.name


class PrintOrder(models.Model):
    """An order to the printer (印刷発注): books per denomination."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="print_orders",
                                 verbose_name=_("campaign"))
    printer = models.CharField(_("printer"), max_length=200)
    ordered_on = models.DateField(_("ordered on"))
    requested_delivery = models.DateField(_("requested delivery"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("print order")
        verbose_name_plural = _("print orders")
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(requested_delivery__gte=F("ordered_on")),
                                   name="printorder_delivery_after_order"),
        ]

    def __str__(self) -> str:
        return f"{self.printer} {self.ordered_on:%Y-%m-%d}"


class PrintOrderLine(models.Model):
    order = models.ForeignKey(PrintOrder, on_delete=models.CASCADE, related_name="lines")
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    books = models.PositiveIntegerField(_("books"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "denomination"], name="printorderline_unique"),
            models.CheckConstraint(condition=Q(books__gt=0), name="printorderline_books_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.denomination} × {self.books}"


def _book_range(first: str, last: str) -> Func:
    return Func(F(first), F(last), Value("[]"), function="int4range", output_field=IntegerRangeField())


class PrintLot(models.Model):
    """A completed print lot (印刷ロット): one denomination, a contiguous range of book numbers."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="print_lots",
                                 verbose_name=_("campaign"))
    order = models.ForeignKey(PrintOrder, on_delete=models.PROTECT, related_name="lots", verbose_name=_("order"))
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    completed_on = models.DateField(_("completed on"))
    first_book = models.PositiveIntegerField(_("first book number"))
    last_book = models.PositiveIntegerField(_("last book number"))
    spoiled_sheets = models.PositiveIntegerField(_("spoiled sheets"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("print lot")
        verbose_name_plural = _("print lots")
        ordering = ["campaign", "first_book"]
        constraints = [
            models.CheckConstraint(condition=Q(first_book__gte=1, last_book__gte=F("first_book"),
                                               last_book__lte=9_999_999), name="printlot_range_valid"),
            # Two lots of one campaign never share a book number.
            ExclusionConstraint(
                name="printlot_ranges_do_not_overlap",
                expressions=[(_book_range("first_book", "last_book"), RangeOperators.OVERLAPS),
                             ("campaign", RangeOperators.EQUAL)],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.denomination.name} {self.first_book}–{self.last_book}"

    @property
    def books(self) -> int:
        return self.last_book - self.first_book + 1


class Book(models.Model):
    """One voucher book (冊). Its state and outlet change only through movements (set-based)."""

    # Every index on this table is rewritten by each move of 300k books, so the foreign keys carry no index of
    # their own: (campaign, number), (campaign, state, denomination) and (outlet, ...) below cover the lookups.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", db_index=False)
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, related_name="+", db_index=False)
    lot = models.ForeignKey(PrintLot, on_delete=models.PROTECT, related_name="book_set", db_index=False)
    number = models.PositiveIntegerField(_("book number"))
    state = models.CharField(_("state"), max_length=10, choices=BookState.choices, default=BookState.VAULT)
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_index=False)
    last_moved_on = models.DateField(_("last moved on"))

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="book_number_unique"),
            # Books on a delivery, at an outlet or sold there always name the outlet.
            models.CheckConstraint(
                condition=~Q(state__in=["transit", "outlet", "sold"]) | Q(outlet__isnull=False),
                name="book_outlet_when_out",
            ),
            models.CheckConstraint(condition=~Q(state="vault") | Q(outlet__isnull=True), name="book_vault_no_outlet"),
        ]
        # State is deliberately in no index: then a move that keeps the outlet (receive, sale, collection)
        # rewrites no index entry at all (a HOT update), which is most of the writes of a campaign.
        indexes = [models.Index(fields=["outlet", "number"], name="book_outlet_idx")]

    def __str__(self) -> str:
        return f"#{self.number} ({self.get_state_display()})"


class OutletOrder(models.Model):
    """An outlet's order for books, entered from its FAX form (注文書)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="orders", verbose_name=_("outlet"))
    received_on = models.DateField(_("received on"))
    order_deadline = models.DateField(_("order deadline"))
    delivery_date = models.DateField(_("delivery date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outlet order")
        verbose_name_plural = _("outlet orders")
        ordering = ["-delivery_date", "-id"]

    def __str__(self) -> str:
        return f"{self.outlet} {self.delivery_date:%Y-%m-%d}"


class OutletOrderLine(models.Model):
    order = models.ForeignKey(OutletOrder, on_delete=models.CASCADE, related_name="lines")
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    books = models.PositiveIntegerField(_("books"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "denomination"], name="outletorderline_unique"),
            models.CheckConstraint(condition=Q(books__gt=0), name="outletorderline_books_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.denomination} × {self.books}"


class Delivery(models.Model):
    """Books dispatched from the vault to one outlet; confirmed when the outlet signs the receipt."""

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched")
        CONFIRMED = "confirmed", _("Confirmed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="deliveries",
                               verbose_name=_("outlet"))
    order = models.ForeignKey(OutletOrder, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="deliveries", verbose_name=_("outlet order"))
    delivery_date = models.DateField(_("delivery date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DISPATCHED)
    received_by = models.CharField(_("received by"), max_length=100, blank=True)
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivery_date", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"D-{self.delivery_date:%Y}-{self.pk:05d}"


class SalesReport(models.Model):
    """An outlet's daily sales of one denomination (販売報告); remittance = books × sale price."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="sales_reports",
                               verbose_name=_("outlet"))
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    sales_date = models.DateField(_("sales date"))
    books = models.PositiveIntegerField(_("books sold"))
    remittance = models.BigIntegerField(_("remittance (yen)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sales report")
        verbose_name_plural = _("sales reports")
        ordering = ["-sales_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(books__gt=0), name="salesreport_books_positive"),
            models.CheckConstraint(condition=Q(remittance__gte=0), name="salesreport_remittance_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.outlet} {self.sales_date:%Y-%m-%d} {self.books}"


class StockTake(models.Model):
    """A stock-take (棚卸し) at the vault or an outlet: counted books per denomination against the ledger."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    counted_on = models.DateField(_("counted on"))
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("outlet"), help_text=_("Empty for the vault."))
    witnesses = models.CharField(_("witnesses"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stock-take")
        verbose_name_plural = _("stock-takes")
        ordering = ["-counted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.counted_on:%Y-%m-%d} {self.outlet or _('Vault')}"


class StockTakeLine(models.Model):
    stocktake = models.ForeignKey(StockTake, on_delete=models.CASCADE, related_name="lines")
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, verbose_name=_("denomination"))
    counted = models.PositiveIntegerField(_("counted books"))
    ledger = models.PositiveIntegerField(_("ledger books"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stocktake", "denomination"], name="stocktakeline_unique")]

    def __str__(self) -> str:
        return f"{self.denomination}: {self.counted} / {self.ledger}"

    @property
    def discrepancy(self) -> int:
        return self.counted - self.ledger


class Collection(models.Model):
    """The end-of-sales collection (回収) at one outlet: unsold books returned book by book."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="collections",
                               verbose_name=_("outlet"))
    collected_on = models.DateField(_("collected on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lost_books = models.PositiveIntegerField(_("books declared lost"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["-collected_on", "-id"]
        constraints = [
            # One open collection per outlet at a time.
            models.UniqueConstraint(fields=["outlet"], condition=Q(closed_at__isnull=True),
                                    name="collection_one_open_per_outlet"),
        ]

    def __str__(self) -> str:
        return f"{self.outlet} {self.collected_on:%Y-%m-%d}"


class Destruction(models.Model):
    """Pulping or shredding (溶解・裁断) of books under witness, with a certificate."""

    class Method(models.TextChoices):
        PULPING = "pulping", _("Pulping")
        SHREDDING = "shredding", _("Shredding")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    destroyed_on = models.DateField(_("destroyed on"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    place = models.CharField(_("place"), max_length=200)
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    spoiled_sheets = models.PositiveIntegerField(_("spoiled sheets destroyed"), default=0)
    witnesses = models.CharField(_("witnesses"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("destruction")
        verbose_name_plural = _("destructions")
        ordering = ["-destroyed_on", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"X-{self.destroyed_on:%Y}-{self.pk:04d}"


class Movement(models.Model):
    """One change of state for a set of books (all leaving the same state and outlet)."""

    class Kind(models.TextChoices):
        PRINT = "print", _("Printed into the vault")
        DISPATCH = "dispatch", _("Dispatched to an outlet")
        RECEIVE = "receive", _("Received by the outlet")
        SALE = "sale", _("Sold")
        COLLECT = "collect", _("Collected back")
        LOSE = "lose", _("Declared lost")
        DESTROY = "destroy", _("Destroyed")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    from_state = models.CharField(max_length=10, choices=BookState.choices, blank=True)
    from_outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_state = models.CharField(max_length=10, choices=BookState.choices)
    to_outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    books = models.PositiveIntegerField(_("books"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    lot = models.ForeignKey(PrintLot, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="movements")
    sales_report = models.ForeignKey(SalesReport, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="movements")
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="movements")
    destruction = models.ForeignKey(Destruction, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="movements")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["campaign", "occurred_on"], name="movement_date_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d} {self.get_kind_display()} {self.books}"


class MovementRange(models.Model):
    """A contiguous run of book numbers of one denomination within a movement."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="ranges")
    denomination = models.ForeignKey(Denomination, on_delete=models.PROTECT, related_name="+")
    first_book = models.PositiveIntegerField()
    last_book = models.PositiveIntegerField()

    class Meta:
        ordering = ["first_book"]
        constraints = [
            models.CheckConstraint(condition=Q(last_book__gte=F("first_book")), name="movementrange_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_book}–{self.last_book}"

    @property
    def books(self) -> int:
        return self.last_book - self.first_book + 1
