from django.urls import path

from settlement import views_public

urlpatterns = [
    path("merchant/apply/", views_public.apply, name="apply"),
    path("merchant/apply/confirm/", views_public.apply_confirm, name="apply_confirm"),
    path("merchant/apply/done/", views_public.apply_done, name="apply_done"),
    path("merchant/apply/postal-code/", views_public.postal_lookup, name="postal_lookup"),
    path("stores/", views_public.stores, name="stores"),
]
