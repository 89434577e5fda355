from django.urls import path

from settlement import views_banks

urlpatterns = [
    path("search/", views_banks.bank_search, name="bank_search"),
    path("branches/search/", views_banks.branch_search, name="branch_search"),
]
