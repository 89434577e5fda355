"""/api/v1/reservations/ — the public booking API (namespace "reservations_api")."""

import os

from django.urls import path

from reservations import api

urlpatterns = [
    path("counters/", api.CounterList.as_view(), name="counters"),
    path("slots/", api.SlotList.as_view(), name="slots"),
    path("book/", api.book, name="book"),
    path("<int:number>/", api.ReservationDetail.as_view(), name="detail"),
]

if os.environ.get("JIMUKYOKU_BENCH_BARE") == "1":
    from reservations.bench_views import bare_book

    urlpatterns.append(path("_bench/bare/", bare_book, name="bench_bare"))
