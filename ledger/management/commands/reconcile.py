import json

from django.core.management.base import BaseCommand, CommandError

from ledger.models import ReconciliationRun
from ledger.reconcile import record_reconciliation


class Command(BaseCommand):
    help = "Check every ledger invariant over the whole ledger; exit non-zero on a mismatch."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the full report as JSON.")

    def handle(self, *args, **options) -> None:
        run = record_reconciliation()
        if options["json"]:
            # Exactly one JSON document on stdout, so it can be piped to a parser.
            self.stdout.write(json.dumps(run.report, indent=2, default=str))
        else:
            self._print_report(run)
        if not run.ok:
            raise CommandError("The ledger does not reconcile.")

    def _print_report(self, run: ReconciliationRun) -> None:
        assert run.finished_at is not None  # record_reconciliation() finishes the run
        took = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"{len(run.report['checked'])} checks in {took:.2f}s")
        for name in run.report["checked"]:
            problem = run.report["problems"].get(name)
            status = (
                self.style.SUCCESS("ok")
                if problem is None
                else self.style.ERROR(
                    f"{problem['count']} mismatches, e.g. {problem['sample'][:3]}"
                )
            )
            self.stdout.write(f"  {name}: {status}")
        if run.ok:
            self.stdout.write(self.style.SUCCESS("Ledger reconciles."))
