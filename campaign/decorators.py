"""Access control for staff views: logged in, a staff role, the second factor passed, the capability held."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
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


def campaign_required(no_campaign_template: str, render_page=None):
    """Make a view decorator that passes ``request.campaign`` to the view as its second argument, and shows
    ``no_campaign_template`` (a hint to pick or set up a campaign) when there is none.

    ``render_page(request, template)`` renders that page when the area needs extra context (its menu).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            campaign = request.campaign
            if not campaign:
                return (render_page or render)(request, no_campaign_template)
            return view(request, campaign, *args, **kwargs)

        return wrapped

    return decorator
