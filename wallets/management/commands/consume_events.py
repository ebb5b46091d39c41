import os
import signal
import socket
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ledger.management.arguments import positive
from wallets.inbound.consumer import Consumer, Tally, Topology

# Without a terminal (a container's log), how often the running count is written.
LOG_EVERY_SECONDS = 10.0


def non_negative(text: str) -> float:
    seconds = float(text)
    if not seconds >= 0:  # also refuses nan
        raise ValueError(text)
    return seconds


class Command(BaseCommand):
    help = (
        "Apply events from other services (user.signup, transaction.completed, "
        "transaction.failed) from RabbitMQ (AMQP_URL), each once. Stops cleanly on "
        "SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--exchange", help="Topic exchange to bind to (AMQP_EXCHANGE).")
        parser.add_argument("--queue", help="Durable queue to consume (AMQP_QUEUE).")
        parser.add_argument("--prefetch", type=positive, default=10)
        parser.add_argument(
            "--max-attempts",
            type=positive,
            help="Attempts before a message is dead-lettered (INBOX_MAX_ATTEMPTS).",
        )
        parser.add_argument(
            "--retry-delay",
            type=non_negative,
            help="Seconds a failed message waits before its next attempt (INBOX_RETRY_SECONDS).",
        )
        parser.add_argument(
            "--drain",
            action="store_true",
            help="Stop once the queue has stayed empty for a second.",
        )
        parser.add_argument("--once", action="store_true", help="Handle one message, then stop.")

    def handle(self, *args, drain: bool, once: bool, prefetch: int, **options) -> None:
        if not settings.AMQP_URL:
            raise CommandError("AMQP_URL is not set: there is no broker to consume from.")
        stop = threading.Event()
        live = self.stdout.isatty()
        last_line = time.monotonic()

        def show(tally: Tally) -> None:
            nonlocal last_line
            if live:
                self.stdout.write(f"\r{tally}", ending="")
                self.stdout.flush()
            elif time.monotonic() - last_line >= LOG_EVERY_SECONDS:
                self.stdout.write(str(tally))
                last_line = time.monotonic()

        consumer = Consumer(
            url=settings.AMQP_URL,
            topology=Topology(
                exchange=options["exchange"] or settings.AMQP_EXCHANGE,
                queue=options["queue"] or settings.AMQP_QUEUE,
            ),
            prefetch=prefetch,
            max_attempts=options["max_attempts"] or settings.INBOX_MAX_ATTEMPTS,
            retry_delay=(
                settings.INBOX_RETRY_SECONDS
                if options["retry_delay"] is None
                else options["retry_delay"]
            ),
            connection_name=f"consume_events {socket.gethostname()} pid {os.getpid()}",
            should_stop=stop.is_set,
            on_message=show,
        )
        restore = self._stop_on_signals(stop)
        try:
            tally = consumer.run(drain=drain, limit=1 if once else None)
        finally:
            restore()
        self.stdout.write(("\r" if live else "") + str(tally))

    def _stop_on_signals(self, stop: threading.Event):
        """SIGTERM and SIGINT let the message in hand finish (and be acknowledged), then
        stop. Only the main thread may set handlers (tests call the command from others)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore
