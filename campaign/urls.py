from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import routers

from campaign.api import CampaignViewSet
from campaign.views import auth, public, staff
from settlement.api import AuditReportViewSet, SettlementBatchViewSet

router = routers.DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("audit-reports", AuditReportViewSet, basename="audit-report")
router.register("settlement-batches", SettlementBatchViewSet, basename="settlement-batch")


def _public(view):
    view.staff_public = True
    return view


staff_patterns = [
    path("", staff.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.otp_view, name="otp"),
    path("2fa/setup/", auth.otp_setup_view, name="otp_setup"),
    path("2fa/backup-codes/", auth.backup_codes_view, name="backup_codes"),
    path("logout/", auth.logout_view, name="logout"),
    path("password-reset/", _public(auth_views.PasswordResetView.as_view(
        template_name="staff/auth/password_reset.html",
        email_template_name="staff/auth/password_reset_email.txt",
        subject_template_name="staff/auth/password_reset_subject.txt",
        success_url=reverse_lazy("staff:password_reset_done"))), name="password_reset"),
    path("password-reset/sent/", _public(auth_views.PasswordResetDoneView.as_view(
        template_name="staff/auth/password_reset_done.html")), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", _public(auth_views.PasswordResetConfirmView.as_view(
        template_name="staff/auth/password_reset_confirm.html",
        success_url=reverse_lazy("staff:password_reset_complete"))), name="password_reset_confirm"),
    path("password-reset/complete/", _public(auth_views.PasswordResetCompleteView.as_view(
        template_name="staff/auth/password_reset_complete.html")), name="password_reset_complete"),
    path("campaign/", staff.campaign_select, name="campaign_select"),
    path("audit/", staff.audit_list, name="audit_list"),
    path("audit/export/", staff.audit_export, name="audit_export"),
    path("jobs/", staff.job_list, name="job_list"),
    path("jobs/<uuid:public_id>/", staff.job_detail, name="job_detail"),
    path("jobs/<uuid:public_id>/status/", staff.job_status, name="job_status"),
    path("jobs/<uuid:public_id>/download/", staff.job_download, name="job_download"),
]

urlpatterns = [
    # First: the booking API is the busiest path of a booking rush, and Django tries the patterns in order.
    path("api/v1/reservations/", include(("reservations.urls_api", "reservations_api"))),
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include((staff_patterns, "staff"))),
    path("staff/vouchers/", include(("vouchers.urls", "vouchers"))),
    path("staff/merchants/", include(("settlement.urls_staff", "merchants"))),
    path("staff/settlement/intake/", include(("settlement.urls_intake", "intake"))),
    path("staff/reservations/", include(("reservations.urls_staff", "reservations"))),
    path("staff/callcenter/", include(("callcenter.urls", "callcenter"))),
    path("", include(("callcenter.urls_public", "callcenter_public"))),
    path("staff/settlement/payouts/", include(("settlement.urls_payouts", "payouts"))),
    path("merchant/", include(("settlement.urls_portal", "merchant"))),
    path("reserve/", include(("reservations.urls_public", "reserve"))),
    path("banks/", include(("settlement.urls_banks", "banks"))),
    path("", include(("settlement.urls_public", "public"))),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
