import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.csv_output import SafeWriter
from ledger.management.arguments import positive
from ledger.management.progress import ProgressLine
from wallets.bulk import BATCH, COLUMNS, WORKERS, post_file, validate


class Command(BaseCommand):
    help = (
        "Post the rows of a CSV file (from,to,asset,amount,reference; from/to a user's email "
        "or a system account such as TREASURY or DONATION:aid). Validates the whole file "
        "first. Each row is keyed by its reference, across every bulk transfer: running a "
        "file again, edited or not, posts only references never posted before."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate only; post nothing.")
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=BATCH,
            help=f"Rows per database transaction (default {BATCH}). Bigger batches go faster "
            "but hold the wallets they touch locked longer.",
        )
        parser.add_argument(
            "--workers",
            type=positive,
            default=WORKERS,
            help=f"Database connections posting batches side by side (default {WORKERS}); "
            "each batch still locks its wallets after the one before it.",
        )
        parser.add_argument(
            "--result",
            type=Path,
            help="Where to write one line per row (default: FILE.result.csv).",
        )

    def handle(
        self,
        *args,
        file: Path,
        dry_run: bool,
        result: Path | None,
        batch_size: int,
        workers: int,
        **options,
    ) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        result = result or file.with_suffix(".result.csv")
        if result.resolve() == file.resolve():
            raise CommandError("--result would overwrite the file being posted.")
        started = time.monotonic()
        try:
            rows, errors, users = validate(file)
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text.") from None
        for line, error in errors:
            self.stderr.write(f"line {line}: {error}")
        if errors:
            raise CommandError(f"{len(errors)} bad rows in {file}; nothing was posted.")
        self.stdout.write(f"{rows} rows are valid ({time.monotonic() - started:.1f}s).")
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing was posted."))
            return
        progress = ProgressLine(self.stdout, "rows", every=1)
        posting_started = time.monotonic()
        with result.open("w", newline="", encoding="utf-8") as stream:
            writer = SafeWriter(stream)
            writer.writerow(["line", *COLUMNS, "status", "transaction_id", "error"])
            summary = post_file(
                file,
                users=users,
                result=writer,
                progress=lambda done: progress(done, rows),
                batch_size=batch_size,
                workers=workers,
            )
        progress.finish()
        took = time.monotonic() - posting_started
        self.stdout.write(
            f"Posted {summary.posted}, already posted {summary.already_posted}, refused "
            f"{summary.refused} of {summary.rows} rows in {took:.1f}s "
            f"({summary.rows / max(took, 1e-9):,.0f} rows/s). Results: {result}"
        )
        if summary.refused:
            raise CommandError(f"{summary.refused} rows were refused; see {result}.")
        self.stdout.write(self.style.SUCCESS("Done."))
