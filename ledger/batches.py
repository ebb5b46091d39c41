"""Posting a stream of batches on several database connections at once, in order.

Each batch goes through `post_batch` on a worker thread with its own connection.
Batch n takes its account locks only once batch n-1 holds its own, so every wallet
sees the batches in the order they were submitted (a batch touching a wallet that an
earlier batch has locked waits for that one to commit) and, the locks being taken in
one order, batches never deadlock. Batches on different wallets run side by side, and
one batch's Python work overlaps another's time in PostgreSQL.
"""

import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

from django.db import connection

from ledger.posting import Outcome, Posting, post_batch


@dataclass
class PostedBatch:
    tag: Any  # whatever the caller submitted the batch with
    results: list[Outcome] | None = None  # one per posting, in order
    error: BaseException | None = None


class LockTurns:
    """Batch n may lock once every batch before it has."""

    def __init__(self) -> None:
        self._next = 0
        self._changed = threading.Condition()

    def wait(self, number: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._next >= number)

    def pass_on(self, number: int) -> None:
        with self._changed:
            self._next = max(self._next, number + 1)
            self._changed.notify_all()


class ParallelPoster:
    """Posts submitted batches on `workers` threads, at most `workers` batches in flight.
    With one worker it posts in the calling thread."""

    def __init__(self, workers: int = 2):
        self.in_flight = workers if workers > 1 else 0  # posting inline leaves none in flight
        self.turns = LockTurns()
        self.jobs: SimpleQueue = SimpleQueue()
        self.pending: deque[tuple[Any, Future]] = deque()
        self.submitted = 0
        self.threads = [
            threading.Thread(target=self._work, name=f"poster-{n}", daemon=True)
            for n in range(workers if workers > 1 else 0)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, postings: Sequence[Posting], tag: Any = None) -> list[PostedBatch]:
        """Queue a batch; return the batches that finished meanwhile, in submission order."""
        number, self.submitted = self.submitted, self.submitted + 1
        future: Future = Future()
        if self.threads:
            self.jobs.put((number, postings, future))
        else:
            self._run(number, postings, future)
        self.pending.append((tag, future))
        done = []
        while len(self.pending) > self.in_flight:
            done.append(self._collect())
        return done

    def finish(self) -> list[PostedBatch]:
        """Wait for the batches still in flight and stop the workers."""
        done = [self._collect() for _ in range(len(self.pending))]
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        return done

    def _collect(self) -> PostedBatch:
        tag, future = self.pending.popleft()
        error = future.exception()
        if error is not None:
            return PostedBatch(tag, error=error)
        return PostedBatch(tag, future.result())

    def _work(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                self._run(*job)
        finally:
            connection.close()  # this thread's own connection

    def _run(self, number: int, postings: Sequence[Posting], future: Future) -> None:
        try:
            self.turns.wait(number)
            results = post_batch(postings, on_locked=lambda: self.turns.pass_on(number))
            future.set_result(results)
        except BaseException as error:  # handed to the submitting thread
            future.set_exception(error)
        finally:
            self.turns.pass_on(number)  # also when the batch failed before locking
