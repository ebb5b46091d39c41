"""simplejwt's JWT authentication, reading the user with one plain SELECT.

The user row is read on every authenticated request (a disabled user's tokens stop
working at once), and the ORM's building of that same query cost three times the
query itself.
"""

from django.db import connection
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User

FIELDS = [field.attname for field in User._meta.concrete_fields]
USER_BY_ID = "SELECT {} FROM {} WHERE id = %s".format(
    ", ".join(connection.ops.quote_name(field.column) for field in User._meta.concrete_fields),
    User._meta.db_table,
)
# What the ORM would do to the raw values: none on PostgreSQL; on SQLite, booleans from
# 0 and 1 and aware datetimes from naive ones.
CONVERTERS = [
    (index, converter, column)
    for index, field in enumerate(User._meta.concrete_fields)
    for column in [field.get_col(User._meta.db_table)]
    for converter in connection.ops.get_db_converters(column) + field.get_db_converters(connection)
]
# A primary key is a bigint; a larger id matches no user (SQLite cannot even bind it).
MAX_ID = 2**63 - 1


class JWTAuthentication(SimpleJWTAuthentication):
    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError):
            raise InvalidToken("Token contained no recognizable user identification") from None
        row = None
        if abs(user_id) <= MAX_ID:
            with connection.cursor() as cursor:
                cursor.execute(USER_BY_ID, [user_id])
                row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if CONVERTERS:
            row = list(row)
            for index, converter, column in CONVERTERS:
                row[index] = converter(row[index], column, connection)
        user = User.from_db(connection.alias, FIELDS, row)
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user


class JWTScheme(SimpleJWTScheme):
    """Documents it in the OpenAPI schema as simplejwt's own (bearer JWT)."""

    target_class = JWTAuthentication
