"""Admin for the merchant registry. Banks come from the Zengin data (``import_banks``) and bank accounts change
only through the four-eyes services, so both are read-only here; review and suspension happen on the staff
screens, which write the audit log. The representative's personal data is not here at all: the staff screen
shows it to reviewers only and logs every look."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from settlement.models import Bank, BankAccount, BankBranch, KitShipment, Merchant
from settlement.services import merchant_search_text


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bank)
class BankAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kana", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "kana", "hira"]


@admin.register(BankBranch)
class BankBranchAdmin(ReadOnlyAdmin):
    list_display = ["bank", "code", "name", "kana", "is_active", "retired_on"]
    list_filter = ["is_active"]
    search_fields = ["bank__code", "bank__name", "code", "name", "kana", "hira"]
    list_select_related = ["bank"]


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    fields = ["status", "bank", "branch", "account_type", "account_number", "holder_kana", "requested_by",
              "requested_at", "decided_by", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class KitShipmentInline(admin.TabularInline):
    model = KitShipment
    fields = ["shipped_on", "carrier", "tracking_number", "note", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    """Corrections of store details; status, number, suspension and portal login belong to the services."""

    list_display = ["merchant_number", "store_name", "status", "area", "genre", "is_suspended", "published",
                    "applied_at", "campaign"]
    list_filter = ["campaign", "status", "area", "genre", "published", "takeout",
                   ("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["merchant_number", "store_name", "store_name_kana", "address", "company_name", "email",
                     "search_key"]
    date_hierarchy = "applied_at"
    readonly_fields = ["campaign", "status", "merchant_number", "portal_user", "suspended_at", "suspension_reason",
                       "pending_changes", "applied_at", "reviewed_at", "reviewed_by", "review_note", "search_key"]
    inlines = [BankAccountInline, KitShipmentInline]

    @admin.display(boolean=True, description=_("suspended"))
    def is_suspended(self, obj):
        return obj.is_suspended

    def save_model(self, request, obj, form, change):
        obj.search_key = merchant_search_text(obj)
        super().save_model(request, obj, form, change)
        from campaign.audit import audit_log

        audit_log(actor=request.user, action="merchant.admin_change", target=obj, campaign=obj.campaign,
                  request=request, data={"fields": form.changed_data})

    def has_add_permission(self, request):
        return False  # merchants apply on the web form or come in through the bulk import

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ["merchant", "status", "bank", "branch", "account_type", "holder_kana", "requested_at",
                    "decided_at"]
    list_filter = ["status", "account_type"]
    search_fields = ["merchant__merchant_number", "merchant__store_name", "holder_kana"]
    list_select_related = ["merchant", "bank", "branch"]


@admin.register(KitShipment)
class KitShipmentAdmin(admin.ModelAdmin):
    """Corrections of a recorded shipment (a mistyped tracking number); new shipments are recorded on the staff
    screen, which checks the merchant is approved and writes the audit log."""

    list_display = ["merchant", "shipped_on", "carrier", "tracking_number", "created_by"]
    list_filter = ["shipped_on", "carrier"]
    search_fields = ["merchant__merchant_number", "merchant__store_name", "tracking_number"]
    readonly_fields = ["merchant", "created_by", "created_at"]
    list_select_related = ["merchant", "created_by"]
    date_hierarchy = "shipped_on"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
