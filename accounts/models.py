"""Users log in with their email; roles are Django groups (customer, staff, service).

A login opens a refresh-token family: every rotation replaces the family's one current
refresh token, so any older token of the family presented again is a leaked copy.
"""

import uuid
from typing import ClassVar

from django.contrib.auth import password_validation
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        """Every path that creates a user (signup, commands, createsuperuser) comes here, so
        the AUTH_PASSWORD_VALIDATORS run here; a refusal is a ValidationError on `password`."""
        if not email:
            raise ValueError("a user needs an email")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password is not None:  # None: an account that cannot log in with a password
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                raise ValidationError({"password": error.error_list}) from None
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email


class RefreshTokenFamily(models.Model):
    """The refresh tokens one login produced by rotation; only `current_jti` may be used.

    The row is locked while a token is exchanged, so one token is exchanged at most once.
    Once revoked (an older token came back), no token of the family works again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    current_jti = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="When the current refresh token expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "refresh token families"

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"
