from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaign.models import AuditEvent, BankHoliday, Campaign, Denomination, Department, Job


class DenominationInline(admin.TabularInline):
    model = Denomination
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "prefecture", "sales_start", "sales_end", "usage_end", "is_active"]
    list_filter = ["is_active", "prefecture"]
    search_fields = ["code", "name"]
    inlines = [DenominationInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email", "phone", "is_active"]
    search_fields = ["code", "name"]


@admin.register(BankHoliday)
class BankHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (the database refuses changes as well)."""

    list_display = ["at", "actor_label", "action", "target_type", "target_id", "target_label", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_label", "target_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "status", "progress", "owner", "result_name"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


admin.site.empty_value_display = _("(none)")
