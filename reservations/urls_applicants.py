"""/staff/reservations/applicants/ — included from reservations.urls_staff (namespace "reservations")."""

from django.urls import path

from reservations import views_applicants as v

urlpatterns = [
    path("", v.applicant_list, name="applicant_list"),
    path("new/", v.applicant_create, name="applicant_create"),
    path("export/", v.applicant_export, name="applicant_export"),
    path("print/", v.applicant_print, name="applicant_print"),
    path("bulk-status/", v.applicant_bulk_status, name="applicant_bulk_status"),
    path("import/", v.applicant_import, name="applicant_import"),
    path("import/accept/", v.applicant_import_accept, name="applicant_import_accept"),
    path("setup/", v.applicant_setup, name="applicant_setup"),
    path("<int:pk>/", v.applicant_detail, name="applicant_detail"),
    path("<int:pk>/edit/", v.applicant_edit, name="applicant_edit"),
    path("<int:pk>/status/", v.applicant_status, name="applicant_status"),
    path("<int:pk>/sale/", v.applicant_sale, name="applicant_sale"),
    path("events/<int:pk>/undo/", v.event_undo, name="applicant_event_undo"),
]
