"""The type of the users who own wallets and initiate transactions.

Accounts point at settings.AUTH_USER_MODEL; the ledger never imports the accounts app at
run time (it sits below it). The type checker sees the concrete model, so a wrong
argument is still caught; import-linter ignores imports made only for type checking."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User as WalletUser
else:
    from django.contrib.auth.base_user import AbstractBaseUser as WalletUser

__all__ = ["WalletUser"]
