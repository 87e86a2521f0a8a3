"""Accounts for fuzzing the API (`.ci/schema-fuzz`), on a throwaway database only.

Creates (or reuses) three users and prints one `ROLE=TOKEN` line each:
- `admin`: a superuser;
- `responder`: in the Responders group, as the demo data's responders are;
- `reader`: in the Stakeholders group, who may only view incidents.
They get no password: they exist for the API alone.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from incidents import roles

ACCOUNTS = {
    "admin": ("fuzz-admin", None),
    "responder": ("fuzz-responder", roles.RESPONDERS),
    "reader": ("fuzz-reader", roles.STAKEHOLDERS),
}


def api_token(user):
    """The API token the fuzzer sends for this user."""
    return Token.objects.get_or_create(user=user)[0].key


class Command(BaseCommand):
    help = "Create the fuzzing accounts (admin, responder, reader) and print ROLE=TOKEN lines."

    def handle(self, *args, **options):
        User = get_user_model()
        for role, (username, group) in ACCOUNTS.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.com",
                    "is_superuser": group is None,
                    "is_staff": group is None,
                },
            )
            if created:
                user.set_unusable_password()
                user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            self.stdout.write(f"{role}={api_token(user)}")
