"""The floor for ``manage.py bench_booking``: a bare view doing only the conditional update and the insert,
mounted only when the benchmark starts the server with JIMUKYOKU_BENCH_BARE=1 (never in production)."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare_book(request):
    try:
        slot_id = int(json.loads(request.body)["slot"])
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)
    # The same shape as the real booking (reservations.booking): one statement takes the seat and inserts the
    # row, committing by itself; nothing else (no validation, no idempotency key, no access key, no wording).
    with connection.cursor() as cursor:
        cursor.execute("WITH seat AS (UPDATE reservations_slot SET booked = booked + 1 WHERE id = %s "
                       "AND booked < capacity RETURNING id, campaign_id) "
                       "INSERT INTO reservations_reservation (campaign_id, slot_id, status, channel, resident_number, "
                       "access_key_hash, idempotency_key, name, kana, sex, postal_code, address, phone, phone2, fax, "
                       "email, extra, created_at, arrival_memo) SELECT campaign_id, id, 'booked', 'api', '', '', '', "
                       "'', '', '', '', '', '', '', '', '', '{}', now(), '' FROM seat RETURNING id", [slot_id])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"detail": "full"}, status=409)
    return JsonResponse({"number": str(row[0])}, status=201)
