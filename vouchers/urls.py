"""/staff/vouchers/ — namespace "vouchers"."""

from django.urls import path

from vouchers import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("print-orders/", views.print_order_list, name="print_order_list"),
    path("print-orders/new/", views.print_order_create, name="print_order_create"),
    path("print-orders/<int:pk>/", views.print_order_detail, name="print_order_detail"),
    path("print-orders/<int:pk>/lots/", views.lot_create, name="lot_create"),
    path("lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("lots/<int:pk>/numbering/", views.lot_numbering, name="lot_numbering"),
    path("lots/<int:pk>/proof.pdf", views.lot_proof, name="lot_proof"),
    path("outlets/", views.outlet_list, name="outlet_list"),
    path("outlets/new/", views.outlet_create, name="outlet_create"),
    path("outlets/<int:pk>/", views.outlet_detail, name="outlet_detail"),
    path("outlets/<int:pk>/edit/", views.outlet_edit, name="outlet_edit"),
    path("outlets/<int:pk>/orders/new/", views.outlet_order_create, name="outlet_order_create"),
    path("outlet-orders/", views.outlet_order_list, name="outlet_order_list"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/new/", views.delivery_create, name="delivery_create"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/confirm/", views.delivery_confirm, name="delivery_confirm"),
    path("deliveries/<int:pk>/slip.pdf", views.delivery_slip, name="delivery_slip"),
    path("sales/", views.sales_report_list, name="sales_report_list"),
    path("sales/new/", views.sales_report_create, name="sales_report_create"),
    path("stocktakes/", views.stocktake_list, name="stocktake_list"),
    path("stocktakes/new/", views.stocktake_create, name="stocktake_create"),
    path("stocktakes/<int:pk>/", views.stocktake_detail, name="stocktake_detail"),
    path("stocktakes/lines/<int:pk>/resolve/", views.stocktake_resolve, name="stocktake_resolve"),
    path("collections/", views.collection_list, name="collection_list"),
    path("collections/new/", views.collection_open, name="collection_open"),
    path("collections/<int:pk>/", views.collection_detail, name="collection_detail"),
    path("collections/<int:pk>/return/", views.collection_return, name="collection_return"),
    path("collections/<int:pk>/close/", views.collection_close, name="collection_close"),
    path("destructions/", views.destruction_list, name="destruction_list"),
    path("destructions/new/", views.destruction_create, name="destruction_create"),
    path("destructions/<int:pk>/", views.destruction_detail, name="destruction_detail"),
    path("destructions/<int:pk>/certificate.pdf", views.destruction_certificate, name="destruction_certificate"),
]
