from django.urls import path

from settlement import views_portal, views_portal_claims, views_portal_payments

urlpatterns = [
    path("", views_portal.dashboard, name="dashboard"),
    path("login/", views_portal.login_view, name="login"),
    path("logout/", views_portal.logout_view, name="logout"),
    path("password-reset/", views_portal.password_reset, name="password_reset"),
    path("password-reset/sent/", views_portal.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views_portal.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/complete/", views_portal.password_reset_complete, name="password_reset_complete"),
    path("store/", views_portal.store_edit, name="store_edit"),
    path("bank-account/", views_portal.bank_change, name="bank_change"),
    path("claims/", views_portal_claims.claim_list, name="claims"),
    path("claims/new/", views_portal_claims.claim_declare, name="claim_declare"),
    path("claims/<str:number>/", views_portal_claims.claim_detail, name="claim_detail"),
    path("claims/<str:number>/slip.pdf", views_portal_claims.claim_slip, name="claim_slip"),
    path("payments/", views_portal_payments.payments, name="payments"),
    path("payments/<int:pk>/notice.pdf", views_portal_payments.notice, name="payment_notice"),
]
