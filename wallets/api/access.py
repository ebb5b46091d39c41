"""Who may act on whose wallet, and whose balances a response shows. Permissions come
from roles (accounts/roles.py). Shared by the view modules, which never import each other."""

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from accounts import roles
from accounts.models import User
from accounts.roles import acts_for_others
from accounts.selectors import get_user

if TYPE_CHECKING:

    class AuthenticatedRequest(Request):
        """What a view behind IsAuthenticated (the default permission) is handed: a
        request whose caller is a user, never anonymous. For the type checker only."""

        @property
        def user(self) -> User: ...

        @user.setter
        def user(self, value: User) -> None: ...

else:
    AuthenticatedRequest = Request

# The {user} of wallets/{user}/...: what resolve_owner resolves.
USER_PARAM = OpenApiParameter("user", str, OpenApiParameter.PATH, description="A user id, or `me`.")


def resolve_owner(
    request: Request, user_ref: str, *, others_need: str, self_needs: str | None = None
) -> User:
    """The user named in the path ("me" or an id), if the caller may act on their wallet.

    A caller without any power over other wallets (a customer) gets 404 for any
    wallet but their own, so ids reveal nothing; a service or support account
    lacking the specific permission gets 403.
    """
    caller = cast(User, request.user)  # IsAuthenticated ran first
    if user_ref in ("me", str(caller.pk)):
        if self_needs and not caller.has_perm(self_needs):
            raise PermissionDenied()
        return caller
    if not caller.has_perm(others_need):
        if acts_for_others(caller):
            raise PermissionDenied()
        raise NotFound()
    owner = get_user(user_id=int(user_ref))
    if owner is None:
        raise NotFound()
    return owner


def may_see(request: Request, owner_id: int | None, *, others_need: str) -> bool:
    return owner_id == request.user.pk or request.user.has_perm(others_need)


class VisibleBalances:
    """Whose balance-after a response may show: the caller's and the wallet owner's,
    or anyone's for a caller with view_any_wallet. The permission is asked only when
    another user's entry is shown (a spend or an earn never asks it)."""

    def __init__(self, request: Request, owner: User):
        self.user = request.user
        self.own = {request.user.pk, owner.pk}
        self.sees_all: bool | None = None

    def __contains__(self, user_id: int) -> bool:
        if user_id in self.own:
            return True
        if self.sees_all is None:
            self.sees_all = self.user.has_perm(roles.VIEW_ANY_WALLET)
        return self.sees_all


def transaction_context(request: Request, owner: User) -> dict:
    return {"visible": VisibleBalances(request, owner), "owner_id": owner.pk}
