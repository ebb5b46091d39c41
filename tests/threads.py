"""Real threads for concurrency tests: each gets its own database connection."""

import threading
from collections import Counter
from collections.abc import Callable

from django.db import connection


def run_in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run work(i) in `count` threads released together; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the test inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def outcomes(results: list[object]) -> Counter:
    return Counter(getattr(r, "code", type(r).__name__) for r in results)
