from core.errors import DomainError


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = "The email or password is wrong, or the account is disabled."


class TokenRefused(DomainError):
    """A refresh token that is invalid, expired, revoked or already exchanged."""

    code = "not_authenticated"
    status = 401
    default_message = "The token is invalid or expired."
