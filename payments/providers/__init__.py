"""Payment providers: who collects deposits and sends payouts.

`get_provider(name)` returns the provider configured under that name in
PAYMENTS_PROVIDERS (name -> dotted class path). The built-in `simulated` provider
confirms or fails on demand; a real one implements `PaymentProvider`
(payments/providers/base.py) and is added to that setting.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from core.errors import NotFound
from payments.providers.base import CallbackEvent, PaymentProvider

__all__ = ["CallbackEvent", "PaymentProvider", "get_provider"]

_instances: dict[str, PaymentProvider] = {}


def get_provider(name: str) -> PaymentProvider:
    """The provider of this name. Raises NotFound for a name not configured."""
    path = settings.PAYMENTS_PROVIDERS.get(name)
    if path is None:
        raise NotFound(f"No payment provider {name!r}.")
    provider = _instances.get(name)
    if provider is None or type(provider) is not import_string(path):
        provider = _instances[name] = import_string(path)(name)
    return provider
