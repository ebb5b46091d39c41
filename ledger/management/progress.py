"""A running count for long commands: one line, rewritten in place, with a rate."""

import time


class ProgressLine:
    def __init__(self, stdout, label: str, every: int = 50):
        self.stdout, self.label, self.every = stdout, label, every
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if done % self.every and done != total:
            return
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.stdout.write(f"\r{self.label}: {done}/{total} ({rate:,.0f}/s)", ending="")
        self.stdout.flush()

    def finish(self) -> None:
        self.stdout.write("")
