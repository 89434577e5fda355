from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.roles import ROLE_LABELS, has_capability, is_staff_member, user_roles
from campaign.selectors import campaigns_for_picker

# The staff navigation: (label, url name, capability). Later apps add their entries here.
STAFF_NAV = [
    (_("Home"), "staff:home", "staff.home"),
    (_("Vouchers"), "vouchers:dashboard", "vouchers.view"),
    (_("Merchants"), "merchants:list", "merchants.view"),
    (_("Redemption intake"), "intake:home", "settlement.view"),
    (_("Reservations"), "reservations:today", "reservations.view"),
    (_("Call center"), "callcenter:console", "callcenter.console"),
    (_("Escalations"), "callcenter:escalation_list", "staff.home"),
    (_("Payouts"), "payouts:dashboard", "settlement.view"),
    (_("Audit log"), "staff:audit_list", "audit.view"),
    (_("My jobs"), "staff:job_list", "jobs.own"),
    (_("Master data"), "admin:index", "masterdata.manage"),
]


def shell(request):
    """What every base template needs: the current campaign and, for staff, the navigation for their roles."""
    user = getattr(request, "user", None)
    context = {"current_campaign": getattr(request, "campaign", None)}
    if user is not None and is_staff_member(user) and user.is_verified():
        path = request.path
        nav = []
        for label, url_name, capability in STAFF_NAV:
            if has_capability(user, capability):
                url = reverse(url_name)
                active = path == url if url_name == "staff:home" else path.startswith(url)
                nav.append({"label": label, "url": url, "active": active})
        context["staff_nav"] = nav
        context["staff_campaigns"] = campaigns_for_picker()
        context["staff_role_labels"] = [ROLE_LABELS[r] for r in sorted(user_roles(user))]
    return context
