"""Django's ModelBackend with each user's permissions kept in process memory.

A permission check costs two queries (the user's and their groups' permissions) on
every request that asks one, and roles change rarely. The set is kept per user in a
ProcessCache, dropped everywhere (within a second) when a role's permissions, a
user's groups or a user's own permissions change. is_active and is_superuser are
not kept: Django checks them on the user row, which authentication reads afresh on
every request.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from core.cache import ProcessCache

_permissions: ProcessCache[frozenset[str]] = ProcessCache("user-permissions")


class CachedPermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str] | frozenset[str]:  # type: ignore[override]
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj)
        cached = _permissions.get(user_obj.pk)
        if cached is None:
            cached = frozenset(super().get_all_permissions(user_obj))
            _permissions.put(user_obj.pk, cached)
        return cached


def _roles_changed(**kwargs) -> None:
    _permissions.changed()


m2m_changed.connect(_roles_changed, sender=User.groups.through)
m2m_changed.connect(_roles_changed, sender=User.user_permissions.through)
m2m_changed.connect(_roles_changed, sender=Group.permissions.through)
receiver([post_save, post_delete], sender=Group)(_roles_changed)
receiver([post_delete], sender=Permission)(_roles_changed)
