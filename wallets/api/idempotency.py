"""The Idempotency-Key header on value-moving POSTs.

The first response (status and body) is stored with a hash of the request, in the
same database transaction as the work it answers; requests with the same key from
the same caller wait on a lock until the first one commits, then get its answer
with `Idempotent-Replayed: true`. Another request under the same key: 409.
A domain refusal is stored and replayed like a success; a malformed request (400
from validation) is not stored, so the client can correct it and retry.
"""

import hashlib
import json
from functools import wraps

from django.db import transaction
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api.exceptions import api_exception_handler
from core.errors import DomainError, IdempotencyKeyReused
from ledger.locks import lock_idempotency_key
from wallets.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotent(view_method):
    @wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise serializers.ValidationError({HEADER: ["Use 1 to 255 printable characters."]})
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            lock_idempotency_key(f"api:{request.user.pk}:{key}")
            record = IdempotencyRecord.objects.filter(caller=request.user, key=key).first()
            if record is not None:
                if record.request_hash != fingerprint:
                    raise IdempotencyKeyReused()
                return Response(
                    record.response_body,
                    status=record.response_status,
                    headers={REPLAYED_HEADER: "true"},
                )
            try:
                with transaction.atomic():
                    response = view_method(view, request, *args, **kwargs)
            except DomainError as refusal:
                response = api_exception_handler(refusal, {"view": view, "request": request})
            IdempotencyRecord.objects.create(
                caller=request.user,
                key=key,
                request_hash=fingerprint,
                response_status=response.status_code,
                response_body=json.loads(JSONRenderer().render(response.data)),
            )
            return response

    return wrapper


def _fingerprint(request) -> str:
    """The same route and body give the same hash, with or without the trailing slash."""
    canonical = json.dumps(
        {"method": request.method, "path": request.path.rstrip("/"), "body": request.data},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
