import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ledger.management.arguments import positive
from ledger.relay import RabbitPublisher, relay_batch


class Command(BaseCommand):
    help = "Publish outbox events to RabbitMQ (AMQP_URL). Safe to stop and start at any time."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--forever", action="store_true", help="Keep polling for new events.")
        parser.add_argument("--batch-size", type=positive, default=100)
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, forever: bool, batch_size: int, interval: float, **options) -> None:
        if not settings.AMQP_URL:
            raise CommandError("AMQP_URL is not set: events stay in the outbox until it is.")
        publisher = RabbitPublisher()
        # A running count only on a terminal: in a log it would repeat the summary.
        live = self.stdout.isatty()
        sent = 0
        try:
            while True:
                count = relay_batch(publish=publisher, batch_size=batch_size)
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
            publisher.close()
        self.stdout.write(("\r" if live else "") + f"published {sent} events")
