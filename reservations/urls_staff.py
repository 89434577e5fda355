"""/staff/reservations/ — namespace "reservations": counter staff and set-up screens."""

from django.urls import include, path

from reservations import views_staff as v

urlpatterns = [
    path("", v.today, name="today"),
    path("occupancy/", v.occupancy, name="occupancy"),
    path("search/", v.search, name="search"),
    path("export/", v.export, name="export"),
    path("book/", v.proxy_book, name="proxy_book"),
    path("postal-code/", v.postal_lookup, name="postal_lookup"),
    path("<int:pk>/", v.detail, name="detail"),
    path("<int:pk>/arrive/", v.arrive, name="arrive"),
    path("<int:pk>/change/", v.change, name="change"),
    path("<int:pk>/cancel/", v.cancel, name="cancel"),
    path("setup/", v.setup, name="setup"),
    path("setup/fields/", v.fields_config, name="fields"),
    path("setup/counters/add/", v.counter_add, name="counter_add"),
    path("setup/counters/<int:pk>/", v.counter_edit, name="counter_edit"),
    path("setup/rules/add/", v.rules_add, name="rules_add"),
    path("setup/rules/<int:pk>/delete/", v.rule_delete, name="rule_delete"),
    path("setup/closed/add/", v.closed_add, name="closed_add"),
    path("setup/excluded/add/", v.excluded_add, name="excluded_add"),
    path("setup/generate/", v.generate, name="generate"),
    path("applicants/", include("reservations.urls_applicants")),
]
