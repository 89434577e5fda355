from django.urls import path

from settlement import views_staff

urlpatterns = [
    path("", views_staff.merchant_list, name="list"),
]
