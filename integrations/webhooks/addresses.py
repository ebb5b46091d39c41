"""Where a webhook may be sent.

A subscription's URL must be http or https with a host. Unless
WEBHOOK_ALLOW_PRIVATE_NETWORKS is on (development and tests), delivery also refuses a host
that resolves to a loopback, private, link-local or otherwise non-public address, so a
subscription cannot make the worker call the service's own network (the database, the
metrics endpoint, a cloud metadata address). The address is checked when each attempt is
made; a name re-pointed between the check and the connection (DNS rebinding) is not caught.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ValidationError


class BlockedAddress(Exception):
    pass


def validate_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "The URL must be http or https with a host.",
            details={"url": ["The URL must be http or https with a host."]},
        )
    if parts.username or parts.password:
        raise ValidationError(
            "The URL must not carry credentials.",
            details={"url": ["Put no user or password in the URL; deliveries are signed."]},
        )
    return url


def check_public(url: str) -> None:
    """Raise BlockedAddress if the URL's host resolves to an address that is not public."""
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise BlockedAddress(f"cannot resolve {parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BlockedAddress(f"{parts.hostname} resolves to non-public address {address}")
