"""Health endpoints for the orchestrator: /healthz (process up), /readyz (database reachable);
the AsyncAPI document of the events published."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from ledger.events.asyncapi import asyncapi_document


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


def asyncapi(request) -> JsonResponse:
    """The AsyncAPI 3.0 document of the events published (ledger.events), like /api/schema/."""
    return JsonResponse(asyncapi_document())
