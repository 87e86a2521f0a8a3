"""`manage.py api_token <username> [--rotate | --revoke]`: a person's API token from the
command line. A new token is printed once, alone on standard output (the rest goes to
standard error), so `TOKEN=$(manage.py api_token cora)` works."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents import services


class Command(BaseCommand):
    help = "Create a user's API token (printed once), or rotate or revoke it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--rotate", action="store_true", help="Replace the token; the old one stops working."
        )
        action.add_argument("--revoke", action="store_true", help="Revoke the token.")
        parser.add_argument("--label", default="", help="What will use a new token.")

    def handle(self, *, username, rotate, revoke, label, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        try:
            if revoke:
                token = services.api_token_revoke(user=user, actor=None)
                self.stderr.write(f"API token {token.prefix}… of {username} revoked.")
                return
            if rotate:
                token, key = services.api_token_rotate(user=user, actor=None)
            else:
                token, key = services.api_token_create(user=user, actor=None, label=label)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(f"New API token {token.prefix}… for {username}, shown this once:")
        self.stdout.write(key)
