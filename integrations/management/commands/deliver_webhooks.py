import signal
import time
from types import FrameType

from django.core.management.base import BaseCommand

from integrations.webhooks.delivery import deliver_due
from ledger.management.arguments import positive


class Command(BaseCommand):
    help = (
        "POST due webhook deliveries, signed, retrying failures with backoff. Several "
        "workers may run side by side (rows are claimed with SKIP LOCKED)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--forever", action="store_true", help="Keep polling for work.")
        parser.add_argument("--batch-size", type=positive, default=50)
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, forever: bool, batch_size: int, interval: float, **options) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True  # the attempt in hand finishes and is recorded

        signal.signal(signal.SIGTERM, stop)
        attempts = 0
        try:
            while not stopping:
                made = deliver_due(limit=batch_size)
                attempts += made
                if made:
                    continue
                if not forever:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"made {attempts} delivery attempts")
