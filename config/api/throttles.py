"""Rate limits kept in the shared cache (Redis when configured)."""

from rest_framework.throttling import SimpleRateThrottle


class ClientIPThrottle(SimpleRateThrottle):
    """Every request, authenticated or not, counts against its client IP."""

    scope = "ip"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserThrottle(SimpleRateThrottle):
    """Authenticated requests also count against the user, from whatever IP."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AuthThrottle(SimpleRateThrottle):
    """A stricter limit per IP on login, signup and refresh (password guessing)."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
