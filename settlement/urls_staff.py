"""/staff/merchants/ — namespace "merchants": review, bank changes (four-eyes), suspension, kits, import, export."""

from django.urls import path

from settlement import views_staff

urlpatterns = [
    path("", views_staff.merchant_list, name="list"),
    path("export/", views_staff.merchant_export, name="export"),
    path("<int:pk>/", views_staff.merchant_detail, name="detail"),
    path("<int:pk>/representative/", views_staff.merchant_representative, name="representative"),
    path("<int:pk>/approve/", views_staff.merchant_approve, name="approve"),
    path("<int:pk>/reject/", views_staff.merchant_reject, name="reject"),
    path("<int:pk>/correction/", views_staff.merchant_correction, name="correction"),
    path("<int:pk>/suspend/", views_staff.merchant_suspend, name="suspend"),
    path("<int:pk>/resume/", views_staff.merchant_resume, name="resume"),
    path("<int:pk>/store-changes/apply/", views_staff.store_changes_apply, name="store_changes_apply"),
    path("<int:pk>/store-changes/reject/", views_staff.store_changes_reject, name="store_changes_reject"),
    path("<int:pk>/bank-account/", views_staff.bank_request, name="bank_request"),
    path("<int:pk>/kits/", views_staff.kit_ship, name="kit_ship"),
    path("bank-changes/", views_staff.bank_changes, name="bank_changes"),
    path("bank-changes/<int:pk>/approve/", views_staff.bank_approve, name="bank_approve"),
    path("bank-changes/<int:pk>/reject/", views_staff.bank_reject, name="bank_reject"),
    path("kits/missing/", views_staff.kits_missing, name="kits_missing"),
    path("import/", views_staff.merchant_import, name="import"),
    path("import/confirm/", views_staff.merchant_import_confirm, name="import_confirm"),
    path("import/template/", views_staff.import_template, name="import_template"),
]
