from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "core.observability"
    label = "observability"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from core.observability.metrics import sample_db_pool

        # After Django's own receiver has handed the request's connection back to the pool.
        request_finished.connect(sample_db_pool, dispatch_uid="observability.sample_db_pool")
