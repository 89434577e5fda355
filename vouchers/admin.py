"""Admin for the voucher master data. Stock itself (books, lots, movements) is read-only here: it only changes
through the services, which keep the ledger balanced and write the audit log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vouchers import services
from vouchers.models import Book, Movement, MovementRange, Outlet, PrintLot, PrintOrder, PrintOrderLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "route", "address", "phone", "is_active", "campaign"]
    list_filter = ["campaign", "route", "kind", "is_active"]
    search_fields = ["code", "name", "address"]

    def save_model(self, request, obj, form, change):
        services.outlet_save(actor=request.user, outlet=obj)  # audit-logged like the staff screen

    def has_delete_permission(self, request, obj=None):
        return False  # outlets are referenced by books and movements; deactivate instead


class PrintOrderLineInline(admin.TabularInline):
    model = PrintOrderLine
    extra = 0


@admin.register(PrintOrder)
class PrintOrderAdmin(admin.ModelAdmin):
    list_display = ["ordered_on", "printer", "requested_delivery", "campaign"]
    list_filter = ["campaign"]
    search_fields = ["printer", "note"]
    date_hierarchy = "ordered_on"
    inlines = [PrintOrderLineInline]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrintLot)
class PrintLotAdmin(admin.ModelAdmin):
    """A lot's book range made its books: it is never edited here (add lots on the staff screen)."""

    list_display = ["__str__", "completed_on", "first_book", "last_book", "spoiled_sheets", "order", "campaign"]
    list_filter = ["campaign", "denomination"]
    readonly_fields = ["campaign", "order", "denomination", "completed_on", "first_book", "last_book",
                       "spoiled_sheets", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Book)
class BookAdmin(ReadOnlyAdmin):
    list_display = ["number", "denomination", "state", "outlet", "last_moved_on", "lot"]
    list_filter = ["state", "denomination", "campaign"]
    list_select_related = ["denomination", "outlet", "lot__denomination"]
    search_fields = ["number"]
    search_help_text = _("A book number.")
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # The number is an integer: search it exactly, and ignore anything that is not a number.
        term = search_term.strip().replace(",", "")
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        return queryset.filter(number=int(term)), False


class MovementRangeInline(admin.TabularInline):
    model = MovementRange
    extra = 0
    fields = ["denomination", "first_book", "last_book"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "kind", "from_state", "from_outlet", "to_state", "to_outlet", "books", "actor"]
    list_filter = ["kind", "campaign"]
    list_select_related = ["from_outlet", "to_outlet", "actor"]
    date_hierarchy = "occurred_on"
    inlines = [MovementRangeInline]
