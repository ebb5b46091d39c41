from django.core.management.base import BaseCommand

from rewards.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo economy (assets, conversions, system accounts, users). Idempotent."

    def handle(self, *args, **options) -> None:
        counts = seed_demo()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}."))
        self.stdout.write(
            "Log in as admin@example.com / admin-demo-pass, "
            "alice@example.com / alice-demo-pass or bob@example.com / bob-demo-pass."
        )
