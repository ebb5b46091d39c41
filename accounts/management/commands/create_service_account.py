import secrets

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import roles
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create an integration (service) account and print its password once. It may earn, "
        "top up, place holds and report activity for any user; it reads no one's history."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="What the integration is, e.g. reports-service.")
        parser.add_argument("--email", help="Login email (default: NAME@services.invalid).")

    def handle(self, *args, name: str, email: str | None, **options) -> None:
        email = (email or f"{name}@services.invalid").lower()
        if User.objects.filter(email=email).exists():
            raise CommandError(f"{email} exists already; pick another name or --email.")
        password = secrets.token_urlsafe(32)
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            user.groups.add(Group.objects.get(name=roles.SERVICE))
        self.stdout.write(f"Service account {email} (user id {user.pk}) created.")
        self.stdout.write(f"Password, shown only now: {password}")
        self.stdout.write("Log in with POST /api/v1/auth/login {email, password}.")
