"""gunicorn's settings file for production (`gunicorn -c python:config.gunicorn ...`).

Only the hooks prometheus_client's multiprocess mode needs: each worker writes its
metrics to files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. The directory
is emptied when the server starts (figures from an earlier run would be counted again)
and a worker's live gauges are dropped when it exits (the database pool gauges).
"""

import os
import shutil
from pathlib import Path


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        # Its contents only: the directory itself may be a mounted tmpfs.
        for entry in path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
