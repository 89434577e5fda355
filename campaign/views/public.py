from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from campaign.selectors import default_campaign


def home(request):
    return render(request, "public/home.html", {"campaign": default_campaign()})


@never_cache
def healthz(request):
    """Database and broker status for load balancers and monitoring. 503 when the database is down."""
    result = {"status": "ok", "database": "ok", "broker": "inline"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not serving"
        result["database"] = f"error: {exc.__class__.__name__}"
        result["status"] = "error"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            result["broker"] = "ok"
        except Exception as exc:
            result["broker"] = f"error: {exc.__class__.__name__}"
            result["status"] = "degraded" if result["status"] == "ok" else result["status"]
    return JsonResponse(result, status=200 if result["database"] == "ok" else 503)
