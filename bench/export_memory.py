"""The admin's exports at scale: rows/s and peak memory of an export in the page (inline)
and of the same export run as a job (jobs.exports, writing its result file), each in a
fresh process (wall and CPU time), for the entries list and the transactions list as a
superuser sees them (the admin's own filters, joins and prefetches). Constant memory
means the peaks stay about equal as the rows grow.

    .venv/bin/python bench/export_memory.py [--entries 100000] [--format csv|xlsx]
        [--lists entry,transaction] [--rebuild]

The ledger (bench/dataset.py's loader: COIN transfers among 2,000 users) is kept as the
template `wallet_bench_tpl_v<N>_e<entries>` and copied into `wallet_bench_export` for
each run. Mode `before` reads the rows as the inline export did before it was trimmed
(`as_before`), in the same run, for a ratio on one machine state.
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
sys.path.insert(0, str(ROOT / "bench"))
RUN_DB = "wallet_bench_export"
ADMIN_EMAIL = "bench-export-admin@bench.invalid"


def rss_mb() -> int:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux
    carries that over from the parent through fork and exec, so a parent that loaded
    the ledger would show its own peak in every measurement."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def cpu_seconds() -> float:
    """This process's CPU time: what other processes' load moves least on a shared box."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def as_before(model_admin, request, resource):
    """The rows as core.exports read them before this bench's last changes: the list's
    own queryset (every column of every joined row), import-export's `export_field` per
    cell, and a transaction's entries listed again for each column that reads them."""
    from core.exports import _cell
    from ledger.exports import TransactionResource

    if isinstance(resource, TransactionResource):
        resource._entries = lambda txn: list(txn.entries.all())
    queryset = model_admin.get_changelist_instance(request).queryset
    fields = resource.get_export_fields()
    yield resource.get_export_headers()
    for row in queryset.iterator(chunk_size=2000):
        yield [_cell(resource.export_field(field, row)) for field in fields]
        getattr(row, "_prefetched_objects_cache", {}).clear()


def measure(list_name: str, mode: str, format: str) -> dict:
    """In this process: one export of the whole list, `mode` before, inline or job."""
    # No migrate here (prepare() ran it): its peak memory would hide the export's.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import tempfile

    import django

    django.setup()

    from django.conf import settings

    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bench-export-"))
    from accounts.models import User
    from core.exports import ExportOrder, csv_chunks, export_rows, write_xlsx
    from jobs.exports import request_as, source_admin
    from jobs.models import Job
    from jobs.services import execute_job

    user, _ = User.objects.get_or_create(
        email=ADMIN_EMAIL, defaults={"is_staff": True, "is_superuser": True}
    )
    order = ExportOrder("ledger", list_name, "list", format)
    before = rss_mb()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    if mode == "job":
        job = Job.objects.create(
            kind=Job.Kind.EXPORT,
            status=Job.Status.QUEUED,
            started_by=user,
            options={"export": order.__dict__},
        )
        execute_job(job.pk, worker="bench")
        job.refresh_from_db()
        assert job.status == Job.Status.DONE, job.errors
        rows, size = job.done, job.result_file.size
    else:
        request = request_as(user, order)
        source = source_admin(order).get_export_source(request, order)
        lines = export_rows(source.queryset, source.resource)
        if mode == "before":
            lines = as_before(source_admin(order), request, source.resource)
        rows, size = -1, 0
        with open(os.devnull, "wb") as sink:
            if format == "csv":
                for chunk in csv_chunks(lines):
                    size += len(chunk)
                    sink.write(chunk)
                rows = source.queryset.count()
            else:
                write_xlsx(lines, sink, title=list_name)
                rows = source.queryset.count()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    return {
        "list": list_name,
        "mode": mode,
        "format": format,
        "rows": rows,
        "MB": round(size / 2**20, 1),
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "cpu_seconds": round(cpu, 1),
        "rows_per_cpu_s": round(rows / cpu),
        "rss_before_mb": before,
        "rss_peak_mb": rss_mb(),
    }


def prepare(entries: int, rebuild: bool) -> None:
    import dataset

    template = dataset.template_name(entries)
    os.environ["DATABASE_URL"] = dataset.server_url(RUN_DB)
    if not rebuild and dataset.usable_template(entries):
        print(f"database: {RUN_DB} from template {template}", flush=True)
        dataset.copy_database(template, RUN_DB)
        return
    print(f"database: loading {entries:,} entries into {RUN_DB}", flush=True)
    dataset.create_database(RUN_DB)
    from setup import setup_django

    setup_django(RUN_DB)
    took = dataset.load_ledger(entries=entries, busy_entries=entries // 50, users=2000)
    print(f"  posted in {took:.0f}s", flush=True)
    from django.db import connection

    connection.close()
    dataset.drop_database(template)
    dataset.copy_database(RUN_DB, template)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--lists", default="entry,transaction")
    parser.add_argument("--modes", default="before,inline,job")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)  # list, mode
    options = parser.parse_args()
    os.environ["DEBUG"] = "0"  # no query log kept in memory
    if options.measure:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{RUN_DB}"
        print(json.dumps(measure(*options.measure, options.format)))
        return
    prepare(options.entries, options.rebuild)
    for list_name in options.lists.split(","):
        for mode in options.modes.split(","):
            command = [sys.executable, __file__, "--format", options.format]
            command += ["--measure", list_name, mode]
            print(subprocess.check_output(command, cwd=ROOT, text=True).strip(), flush=True)


if __name__ == "__main__":
    main()
