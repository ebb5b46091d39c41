"""Health endpoints for the orchestrator: /healthz (process up), /readyz (database reachable)."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure to reach the database means not ready
        return JsonResponse({"status": "unavailable", "database": str(error)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
