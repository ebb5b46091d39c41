"""Password rules beyond Django's own validators (listed in AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError


class VisibleLengthValidator:
    """At least `min_length` characters that are neither whitespace nor invisible.

    Django's MinimumLengthValidator counts every character, so twelve spaces or a tab run
    pass it; a passphrase keeps its spaces but they do not count towards the length.
    """

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: object = None) -> None:
        visible = sum(1 for char in password if char.isprintable() and not char.isspace())
        if visible < self.min_length:
            raise ValidationError(
                "This password has fewer than %(min_length)d characters other than spaces.",
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self) -> str:
        return (
            f"Your password must contain at least {self.min_length} characters other than spaces."
        )
