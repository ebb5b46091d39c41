import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ledger.management.arguments import positive, seconds
from ledger.relay import RabbitPublisher, dispatchers, relay_batch


class Command(BaseCommand):
    help = (
        "Publish outbox events to RabbitMQ (AMQP_URL) and hand them to OUTBOX_DISPATCHERS. "
        "Safe to stop and start at any time, and to run several side by side."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--forever", action="store_true", help="Keep polling for new events.")
        parser.add_argument("--batch-size", type=positive, default=100)
        parser.add_argument(
            "--interval", type=seconds, default=1.0, help="Seconds between polls (e.g. 0.1)."
        )

    def handle(self, *args, forever: bool, batch_size: int, interval: float, **options) -> None:
        dispatch = dispatchers()
        if not settings.AMQP_URL and not dispatch:
            raise CommandError(
                "AMQP_URL is not set and OUTBOX_DISPATCHERS is empty: events stay in the "
                "outbox until one is configured."
            )
        publisher = RabbitPublisher() if settings.AMQP_URL else None
        if publisher is None:
            self.stderr.write(
                "AMQP_URL is not set: events go to OUTBOX_DISPATCHERS only, not to a broker."
            )
        # A running count only on a terminal: in a log it would repeat the summary.
        live = self.stdout.isatty()
        sent = 0
        try:
            while True:
                count = relay_batch(publish=publisher, batch_size=batch_size, dispatch=dispatch)
                sent += count
                if count:
                    if live:
                        self.stdout.write(f"\rpublished {sent} events", ending="")
                        self.stdout.flush()
                    continue
                if not forever:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            if publisher is not None:
                publisher.close()
        self.stdout.write(("\r" if live else "") + f"published {sent} events")
