from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        from ledger import read_cache, reference  # noqa: F401  (connect their invalidation signals)
