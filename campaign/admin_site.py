"""The admin site behind the staff login and its second factor."""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaign.roles import is_staff_member


class JimukyokuAdminSite(admin.AdminSite):
    site_header = _("Jimukyoku administration")
    site_title = _("Jimukyoku administration")
    index_title = _("Master data")

    def has_permission(self, request) -> bool:
        # A password alone is not enough: the session must have passed the TOTP / backup-code check.
        user = request.user
        return is_staff_member(user) and user.is_verified()

    def login(self, request, extra_context=None):
        # One login for the whole staff area, with the second factor; the admin has no login of its own.
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(reverse("staff:login") + "?" + urlencode({"next": target}))


class JimukyokuAdminConfig(AdminConfig):
    default_site = "campaign.admin_site.JimukyokuAdminSite"
