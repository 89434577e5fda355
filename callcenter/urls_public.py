from django.urls import path

from callcenter import views

urlpatterns = [path("faq/", views.public_faq, name="faq")]
