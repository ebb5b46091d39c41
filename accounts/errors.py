from ledger.errors import DomainError


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = "The email or password is wrong, or the account is disabled."
