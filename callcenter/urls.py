from django.urls import path

from callcenter import views

urlpatterns = [
    path("", views.console, name="console"),
    path("search/", views.console_search, name="search"),
    path("merchants/", views.merchant_lookup, name="merchant_lookup"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("escalations/", views.escalation_list, name="escalation_list"),
    path("escalations/<int:pk>/", views.escalation_detail, name="escalation_detail"),
    path("callbacks/", views.callback_list, name="callback_list"),
    path("callbacks/export/", views.callback_export, name="callback_export"),
    path("callbacks/<int:pk>/", views.callback_detail, name="callback_detail"),
    path("faq/", views.faq_list, name="faq_list"),
    path("faq/new/", views.faq_edit, name="faq_create"),
    path("faq/<int:pk>/", views.faq_detail, name="faq_detail"),
    path("faq/<int:pk>/edit/", views.faq_edit, name="faq_edit"),
    path("synonyms/", views.synonym_list, name="synonym_list"),
    path("synonyms/<int:pk>/", views.synonym_edit, name="synonym_edit"),
    path("categories/", views.category_list, name="category_list"),
    path("lines/", views.line_list, name="line_list"),
    path("reports/", views.reports, name="reports"),
    path("reports/export/", views.reports_export, name="reports_export"),
]
