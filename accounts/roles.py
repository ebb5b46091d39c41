"""Roles are Django groups. Staff is the is_staff flag (with the permissions it is given)."""

CUSTOMER = "customer"
SERVICE = "service"
SUPPORT = "support"
