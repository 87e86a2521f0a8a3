"""Demo data for a first look: `manage.py seed_demo`. Safe to run again; it adds what is missing.

Incidents are created through the services, so their timelines are real. The admin and demo
passwords are generated once, kept in var/demo-credentials.txt (never in the repository), and
printed on every run.
"""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from incidents.demo.configuration import seed_configuration
from incidents.demo.people import USERS, seed_delegates, seed_users
from incidents.demo.policy import seed_policy
from incidents.demo.sample_incidents import seed_incidents
from incidents.models import Incident
from playbooks.demo import seed_playbooks
from response.demo import seed_response_plans


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the logins."

    def handle(self, *args, **options):
        password = self._password()
        with transaction.atomic():
            people = seed_users(password)
            seed_configuration()
            seed_delegates(people)
            seed_response_plans()
            seed_playbooks()
            seed_policy()
            if not Incident.objects.exists():
                seed_incidents(people)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Admin login: admin / {password}")
        names = ", ".join(username for username, *_ in USERS)
        self.stdout.write(f"  Demo users:  {names} / {password}")

    def _password(self):
        path = settings.VAR_DIR / "demo-credentials.txt"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        path.write_text(password)
        path.chmod(0o600)
        return password
