"""Django model permissions (used by the admin site) for each role, derived from the capability matrix."""

from django.contrib.auth.models import Group, Permission

from campaign.roles import ALL_ROLES, CAPABILITIES

# capability → (app_label, model) pairs whose add/change/delete/view it grants in the admin site.
ADMIN_MODELS = {
    "masterdata.manage": [("campaign", "campaign"), ("campaign", "denomination"), ("campaign", "department"),
                          ("campaign", "bankholiday")],
}
# capability → models it may only view in the admin site.
ADMIN_VIEW_MODELS = {
    "audit.view": [("campaign", "auditevent")],
    "vouchers.view": [("vouchers", "outlet"), ("vouchers", "printorder"), ("vouchers", "printlot"),
                      ("vouchers", "book"), ("vouchers", "movement")],
    # Merchant records change through the staff screens (services, audit log); the admin site only shows them.
    "merchants.view": [("settlement", "merchant"), ("settlement", "bank"), ("settlement", "bankbranch"),
                       ("settlement", "kitshipment")],
    "merchants.bank_approve": [("settlement", "bankaccount")],
}


def sync_role_permissions() -> None:
    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = set()
        for capability, models in ADMIN_MODELS.items():
            if role in CAPABILITIES[capability]:
                for app_label, model in models:
                    wanted |= {f"{app_label}.{action}_{model}" for action in ("add", "change", "delete", "view")}
        for capability, models in ADMIN_VIEW_MODELS.items():
            if role in CAPABILITIES[capability]:
                wanted |= {f"{app_label}.view_{model}" for app_label, model in models}
        perms = [
            perm for perm in Permission.objects.select_related("content_type")
            if f"{perm.content_type.app_label}.{perm.codename}" in wanted
        ]
        group.permissions.set(perms)
