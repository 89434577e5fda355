"""API permission classes (kept apart from api.py: DRF imports these while loading its own views)."""

from rest_framework import permissions

from campaign.roles import is_staff_member


class IsVerifiedStaff(permissions.BasePermission):
    """Staff with a role whose session passed the second factor."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(is_staff_member(user) and user.is_verified())
