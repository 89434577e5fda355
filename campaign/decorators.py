"""Access control for staff views: logged in, a staff role, the second factor passed, the capability held."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse

from campaign.roles import CAPABILITIES, has_capability, is_staff_member


def staff_view(capability: str):
    """Decorate a staff view. The capability is kept on the view so a test can walk every staff URL."""
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            if not is_staff_member(user):
                raise PermissionDenied
            if not user.is_verified():
                # Logged in with a password only: the second factor comes first.
                return HttpResponseRedirect(reverse("staff:otp") + "?" + urlencode({"next": request.get_full_path()}))
            if not has_capability(user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator
