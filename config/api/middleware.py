from django.http import JsonResponse

from config.api.exceptions import error_body
from config.api.parsers import storable_text


class RejectUnstorableQueryMiddleware:
    """A query string with NUL characters would reach PostgreSQL in a filter: refuse it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and not all(
            storable_text(key) and storable_text(value)
            for key, values in request.GET.lists()
            for value in values
        ):
            return JsonResponse(
                error_body("validation_error", "The query string contains unusable characters."),
                status=400,
            )
        return self.get_response(request)
