"""Accounts for fuzzing the API (`.ci/schema-fuzz`), on a throwaway database only.

Creates (or reuses) three users and prints one `ROLE=TOKEN` line each, a new key each run:
- `admin`: a superuser;
- `responder`: in the Responders group, as the demo data's responders are;
- `reader`: in the Stakeholders group, who may only view incidents.
They get no password: they exist for the API alone.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from incidents import roles
from incidents.models import ApiToken
from incidents.services import api_token_create, api_token_rotate

ACCOUNTS = {
    "admin": ("fuzz-admin", None),
    "responder": ("fuzz-responder", roles.RESPONDERS),
    "reader": ("fuzz-reader", roles.STAKEHOLDERS),
}


def api_token(user):
    """A new key for this user (Beacon keeps no key it could print twice)."""
    has_one = ApiToken.objects.filter(user=user, revoked_at=None).exists()
    _token, key = (api_token_rotate if has_one else api_token_create)(user=user, actor=user)
    return key


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
