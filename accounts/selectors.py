"""Reads of users. Never write, never lock."""

from accounts.models import User


def get_user(*, user_id: int, active_only: bool = False) -> User | None:
    """The user with this id; None when there is none (or it is inactive and
    `active_only` is asked for)."""
    users = User.objects.filter(pk=user_id)
    if active_only:
        users = users.filter(is_active=True)
    return users.first()
