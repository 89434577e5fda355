"""The public JSON API for residents' apps and partners: counters, slots with remaining seats, booking with an
``Idempotency-Key`` header, and view / change / cancel with the reservation number and the access key
(``X-Access-Key`` header). No login, no session, no CSRF: the booking path stays lean.

Errors: 400 with ``errors`` per field; 404 unknown; 403 outside the window; 409 full, duplicate, busy;
429 with ``Retry-After`` past the per-address rate limit.
"""

from __future__ import annotations

import json
from datetime import date

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.audit import client_ip
from campaign.selectors import default_campaign
from reservations import ratelimit, selectors, services
from reservations.errors import RateLimited, ReservationError
from reservations.fields import FieldErrors
from reservations.models import Reservation

# OpenAPI descriptions (the views build their JSON by hand to keep the booking path lean).
_COUNTER = inline_serializer("Counter", {"id": serializers.IntegerField(), "name": serializers.CharField(),
                                         "address": serializers.CharField(), "access_notes": serializers.CharField()})
_SLOT = inline_serializer("Slot", {
    "id": serializers.IntegerField(), "counter": serializers.IntegerField(), "date": serializers.DateField(),
    "starts_at": serializers.DateTimeField(), "ends_at": serializers.DateTimeField(),
    "capacity": serializers.IntegerField(), "remaining": serializers.IntegerField(),
    "symbol": serializers.CharField(), "label": serializers.CharField()})
_RESERVATION = inline_serializer("Reservation", {
    "number": serializers.CharField(), "status": serializers.CharField(), "slot": serializers.IntegerField(),
    "counter": serializers.CharField(), "starts_at": serializers.DateTimeField(), "fields": serializers.DictField()})
_CHANGE_REQUEST = inline_serializer("ReservationChange", {"slot": serializers.IntegerField(required=False),
                                                          "fields": serializers.DictField(required=False)})
_ACCESS_KEY = OpenApiParameter("X-Access-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                               description="The access key shown once at booking.")
_STATUS = {"not_found": 404, "window": 403, "account": 403, "rate": 429, "invalid": 400}


class _Public(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes: list = []

    def handle_exception(self, exc):
        if isinstance(exc, RateLimited):
            return Response({"detail": str(exc)}, status=429, headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, FieldErrors):
            return Response({"detail": "invalid fields", "errors": exc.errors}, status=400)
        if isinstance(exc, ReservationError):
            return Response({"detail": str(exc), "code": exc.code}, status=_STATUS.get(exc.code, 409))
        return super().handle_exception(exc)


def _slot_json(row: dict) -> dict:
    remaining = max(0, row["capacity"] - row["booked"])
    symbol, words = selectors.seat_symbol(remaining, row["capacity"])
    return {"id": row["id"], "counter": row["counter_id"], "date": row["day"].isoformat(),
            "starts_at": timezone.localtime(row["starts_at"]).isoformat(),
            "ends_at": timezone.localtime(row["ends_at"]).isoformat(),
            "capacity": row["capacity"], "remaining": remaining, "symbol": symbol, "label": words}


def reservation_json(r: Reservation, *, access_key: str | None = None) -> dict:
    ctx = selectors.booking_context(r.campaign_id)
    data = {
        "number": r.number, "status": r.status, "slot": r.slot_id,
        "counter": r.slot.counter.name if "slot" in r._state.fields_cache else None,
        "starts_at": timezone.localtime(r.slot.starts_at).isoformat(),
        "fields": {s.name: _plain(getattr(r, s.name, None) if s.basic else r.extra.get(s.name))
                   for s in ctx.fields.shown()},
    }
    if access_key:
        data["access_key"] = access_key
    return data


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


class CounterList(_Public):
    @extend_schema(responses=inline_serializer("CounterList", {"results": _COUNTER.__class__(many=True)}))
    def get(self, request):
        campaign = default_campaign()
        if campaign is None:
            return Response({"results": []})
        return Response({"results": [{"id": c.pk, "name": c.name, "address": c.address,
                                      "access_notes": c.access_notes} for c in selectors.counters(campaign)]})


class SlotList(_Public):
    @extend_schema(
        parameters=[OpenApiParameter("counter", OpenApiTypes.INT), OpenApiParameter("from", OpenApiTypes.DATE),
                    OpenApiParameter("to", OpenApiTypes.DATE)],
        responses=inline_serializer("SlotList", {"results": _SLOT.__class__(many=True)}))
    def get(self, request):
        campaign = default_campaign()
        if campaign is None:
            return Response({"results": []})
        params = request.query_params

        def day(name):
            try:
                return date.fromisoformat(params[name]) if params.get(name) else None
            except ValueError:
                return None

        counter = params.get("counter")
        rows = selectors.bookable_slots(campaign.pk, counter_id=int(counter) if counter and counter.isdigit() else None,
                                        day_from=day("from"), day_to=day("to"))
        return Response({"results": [_slot_json(r) for r in rows]})


class ReservationDetail(_Public):
    """GET / PATCH {"slot", "fields"} / DELETE one reservation with its number and X-Access-Key."""

    def _open(self, request, number) -> Reservation:
        ratelimit.check("lookup", client_ip(request))
        found = services.reservation_lookup(number=str(number), access_key=request.headers.get("X-Access-Key", ""))
        if found is None:
            raise ReservationError("No reservation matches this number and access key.", code="not_found")
        return found

    @extend_schema(responses=_RESERVATION, parameters=[_ACCESS_KEY])
    def get(self, request, number):
        return Response(reservation_json(self._open(request, number)))

    @extend_schema(request=_CHANGE_REQUEST, responses=_RESERVATION, parameters=[_ACCESS_KEY])
    def patch(self, request, number):
        found = self._open(request, number)
        data = request.data if isinstance(request.data, dict) else {}
        slot = data.get("slot")
        if slot is not None and not isinstance(slot, int):
            return Response({"detail": "slot must be an integer id", "errors": {"slot": ["invalid"]}}, status=400)
        if slot is not None and selectors.slot_campaign_id(slot) != found.campaign_id:
            raise ReservationError("This time slot does not exist.", code="not_found")
        changed = services.reservation_change(reservation=found, slot_id=slot, answers=data.get("fields"),
                                              request=request)
        return Response(reservation_json(Reservation.objects.select_related("slot", "slot__counter")
                                         .get(pk=changed.pk)))

    @extend_schema(responses=_RESERVATION, parameters=[_ACCESS_KEY])
    def delete(self, request, number):
        found = self._open(request, number)
        services.reservation_cancel(reservation=found, request=request)
        found.refresh_from_db()
        return Response(reservation_json(found))


@csrf_exempt
@require_POST
def book(request):
    """POST {"slot": id, "fields": {...}} with an ``Idempotency-Key`` header → 201 {number, slot, access_key,
    replay} (200 for a replay). A plain Django view, without DRF's request/response machinery: this is the busiest
    endpoint of a booking rush (``manage.py bench_booking``), so it is not in the OpenAPI schema."""
    try:
        ratelimit.check("book", client_ip(request))
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"detail": "the body is not JSON"}, status=400)
        data = data if isinstance(data, dict) else {}
        slot = data.get("slot")
        if not isinstance(slot, int) or isinstance(slot, bool):
            return JsonResponse({"detail": "slot must be an integer id", "errors": {"slot": ["required"]}}, status=400)
        fields = data.get("fields") or {}
        if not isinstance(fields, dict):
            return JsonResponse({"detail": "fields must be an object", "errors": {"fields": ["invalid"]}}, status=400)
        result = services.reservation_book(
            slot_id=slot, answers=fields, channel=Reservation.Channel.API,
            idempotency_key=request.headers.get("Idempotency-Key", ""), request=request)
    except RateLimited as exc:
        response = JsonResponse({"detail": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except FieldErrors as exc:
        return JsonResponse({"detail": "invalid fields", "errors": exc.errors}, status=400)
    except ReservationError as exc:
        return JsonResponse({"detail": str(exc), "code": exc.code}, status=_STATUS.get(exc.code, 409))
    body = {"number": result.number, "slot": slot, "access_key": result.access_key, "replay": result.replay}
    return JsonResponse(body, status=200 if result.replay else 201, json_dumps_params={"ensure_ascii": False})
