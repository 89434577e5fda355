"""/staff/settlement/payouts/ — namespace "payouts": dashboard, cutoffs, batches and their outputs, fraud watch,
auditor reports."""

from django.urls import path

from settlement import payout_documents  # noqa: F401  (registers the batch output job kinds)
from settlement import views_payouts as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cutoffs/", views.cutoff_list, name="cutoffs"),
    path("cutoffs/add/", views.cutoff_create, name="cutoff_create"),
    path("cutoffs/generate/", views.cutoff_generate, name="cutoff_generate"),
    path("cutoffs/import/", views.cutoff_import, name="cutoff_import"),
    path("cutoffs/<int:pk>/edit/", views.cutoff_edit, name="cutoff_edit"),
    path("cutoffs/<int:pk>/scope/", views.cutoff_scope, name="cutoff_scope"),
    path("cutoffs/<int:pk>/delete/", views.cutoff_delete, name="cutoff_delete"),
    path("cutoffs/<int:pk>/close/", views.cutoff_close, name="cutoff_close"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/prepare/", views.batch_prepare, name="batch_prepare"),
    path("batches/<int:pk>/approve/", views.batch_approve, name="batch_approve"),
    path("batches/<int:pk>/discard/", views.batch_discard, name="batch_discard"),
    path("batches/<int:pk>/bank-result/", views.batch_bank_result, name="batch_bank_result"),
    path("batches/<int:pk>/outputs/all/generate/", views.output_generate_all, name="output_generate_all"),
    path("batches/<int:pk>/outputs/all/status/", views.output_all_status, name="output_all_status"),
    path("batches/<int:pk>/outputs/<str:kind>/generate/", views.output_generate, name="output_generate"),
    path("batches/<int:pk>/outputs/<str:kind>/", views.output_download, name="output_download"),
    path("fraud/", views.fraud_list, name="fraud"),
    path("fraud/scan/", views.fraud_scan, name="fraud_scan"),
    path("fraud/rules/<int:pk>/", views.fraud_rule_update, name="fraud_rule_update"),
    path("fraud/cases/<int:pk>/", views.watch_detail, name="watch"),
    path("fraud/cases/<int:pk>/warn/", views.watch_warn, name="watch_warn"),
    path("fraud/cases/<int:pk>/suspend/", views.watch_suspend, name="watch_suspend"),
    path("fraud/cases/<int:pk>/close/", views.watch_close, name="watch_close"),
    path("reports/", views.report_list, name="reports"),
    path("reports/issue/", views.report_issue, name="report_issue"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
