"""Staff roles and what each may do.

The eight roles are Django groups created by a data migration (their ``name`` is the code below). Views
declare one *capability*; ``CAPABILITIES`` says which roles hold it. ``docs/roles.md`` is the same matrix
for people, and a test keeps the two identical and walks every staff URL for every role.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SYSTEM_ADMIN = "system_admin"
SECRETARIAT_MANAGER = "secretariat_manager"
SECRETARIAT_CLERK = "secretariat_clerk"
SETTLEMENT_CLERK = "settlement_clerk"
CALLCENTER_SUPERVISOR = "callcenter_supervisor"
OPERATOR = "operator"
COUNTER_STAFF = "counter_staff"
AUDITOR = "auditor"

ROLE_LABELS = {
    SYSTEM_ADMIN: _("System administrator"),
    SECRETARIAT_MANAGER: _("Secretariat manager"),
    SECRETARIAT_CLERK: _("Secretariat clerk"),
    SETTLEMENT_CLERK: _("Settlement clerk"),
    CALLCENTER_SUPERVISOR: _("Call-center supervisor"),
    OPERATOR: _("Call-center operator"),
    COUNTER_STAFF: _("Counter staff"),
    AUDITOR: _("Auditor (read-only)"),
}
ALL_ROLES = tuple(ROLE_LABELS)

_ALL = frozenset(ALL_ROLES)
_ADMIN_MANAGER = frozenset({SYSTEM_ADMIN, SECRETARIAT_MANAGER})

# capability → roles that hold it. Keep docs/roles.md in step (a test compares them).
CAPABILITIES: dict[str, frozenset[str]] = {
    # every staff member
    "staff.home": _ALL,
    "jobs.own": _ALL,
    # audit log
    "audit.view": _ADMIN_MANAGER | {AUDITOR},
    "audit.export": _ADMIN_MANAGER | {AUDITOR},
    # master data: campaigns, denominations, departments, bank holidays (admin site)
    "masterdata.manage": _ADMIN_MANAGER,
    # vouchers: print lots, deliveries, stock-takes, ledger
    "vouchers.view": _ADMIN_MANAGER | {SECRETARIAT_CLERK, AUDITOR},
    "vouchers.manage": _ADMIN_MANAGER | {SECRETARIAT_CLERK},
    # merchants
    "merchants.view": _ADMIN_MANAGER | {SECRETARIAT_CLERK, SETTLEMENT_CLERK, CALLCENTER_SUPERVISOR, AUDITOR},
    "merchants.review": _ADMIN_MANAGER | {SECRETARIAT_CLERK},
    "merchants.bank_approve": _ADMIN_MANAGER | {SETTLEMENT_CLERK},
    # settlement
    "settlement.view": _ADMIN_MANAGER | {SETTLEMENT_CLERK, AUDITOR},
    "settlement.intake": _ADMIN_MANAGER | {SETTLEMENT_CLERK},
    "settlement.approve": _ADMIN_MANAGER,
    "reports.audit": _ADMIN_MANAGER | {AUDITOR},
    # call center
    "callcenter.console": {SYSTEM_ADMIN, CALLCENTER_SUPERVISOR, OPERATOR},
    "callcenter.supervise": {SYSTEM_ADMIN, CALLCENTER_SUPERVISOR},
    # counter reservations
    "reservations.view": _ADMIN_MANAGER | {SECRETARIAT_CLERK, COUNTER_STAFF, CALLCENTER_SUPERVISOR, OPERATOR},
    "reservations.manage": _ADMIN_MANAGER | {COUNTER_STAFF},
    "reservations.setup": _ADMIN_MANAGER,
}
CAPABILITIES = {name: frozenset(roles) for name, roles in CAPABILITIES.items()}


def user_roles(user) -> frozenset[str]:
    """The role codes a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_jimukyoku_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        cached = frozenset(names)
        user._jimukyoku_roles = cached
    return cached


def is_staff_member(user) -> bool:
    """Staff are users flagged is_staff who hold at least one role; merchants and residents never are."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff and (
        user.is_superuser or user_roles(user)
    ))


def has_capability(user, capability: str) -> bool:
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}; add it to campaign.roles.CAPABILITIES.")
    if not is_staff_member(user):
        return False
    if user.is_superuser:
        return True
    return bool(user_roles(user) & CAPABILITIES[capability])


def users_with_capability(capability: str):
    """Active staff users who hold a capability (for "second person" and "witness" pickers)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (get_user_model().objects.filter(is_active=True, is_staff=True)
            .filter(Q(is_superuser=True) | Q(groups__name__in=CAPABILITIES[capability])).distinct()
            .order_by("username"))
