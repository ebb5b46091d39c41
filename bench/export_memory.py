"""The admin's streamed export at scale: the ledger's entries as CSV (or XLSX), all of
them and the first tenth, each in a fresh process, with the process's peak resident
memory and the time taken. Constant memory means the two peaks are about equal.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a loaded ledger> \\
        .venv/bin/python bench/export_memory.py [--format csv|xlsx] [--rows N]

A ledger of 10^6 entries is bench/dataset.py's template (`wallet_bench_tpl_v1_e1000000`):
`createdb -T` it into a scratch database, migrate, point DATABASE_URL at it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export(rows: int | None, format: str) -> dict:
    """In this process: stream the entries (all, or the first `rows`) into /dev/null."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from core.exports import csv_chunks, export_rows, write_xlsx
    from ledger.exports import EntryResource
    from ledger.models import Entry

    entries = Entry.objects.select_related("transaction", "asset", "account__user")
    entries = entries.order_by("id")
    if rows is not None:
        entries = entries[:rows]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    lines = export_rows(entries, EntryResource())
    written = 0
    with open(os.devnull, "wb") as sink:
        if format == "csv":
            for chunk in csv_chunks(lines):
                written += len(chunk)
                sink.write(chunk)
        else:
            write_xlsx(lines, sink, title="entries")
    return {
        "rows": entries.count(),
        "format": format,
        "bytes": written,
        "seconds": round(time.monotonic() - started, 1),
        "rss_before_mb": before // 1024,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--rows", type=int, help="(internal) export this many in-process")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.in_process:
        print(json.dumps(export(options.rows, options.format)))
        return
    for rows in (100_000, None):  # a tenth (of 10^6), then everything
        command = [sys.executable, __file__, "--in-process", "--format", options.format]
        command += ["--rows", str(rows)] if rows else []
        print(subprocess.check_output(command, cwd=ROOT, text=True).strip())


if __name__ == "__main__":
    main()
