from django.core.management.base import BaseCommand

from payments.services.deposits import expire_deposits


class Command(BaseCommand):
    help = "Expire pending deposits past their expiry (nothing was credited for them)."

    def handle(self, *args, **options) -> None:
        expired = expire_deposits()
        self.stdout.write(self.style.SUCCESS(f"Expired {expired} deposit(s)."))
