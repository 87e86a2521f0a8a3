"""The world the private-incident leak test probes: one private (security) incident with
something of every kind attached (criteria, playbook steps, plan steps, updates, notes, effort,
roles, notifications and deliveries), one public incident, and a user of every kind of access.
"""

from dataclasses import dataclass
from html import escape
from urllib.parse import quote, quote_plus

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from guardian.shortcuts import remove_perm

from incidents import access, roles, services
from incidents.models import EffortEntry, IncidentPlanStep
from incidents.tests import factories
from incidents.tests.playbook_setup import approved
from notifications.models import Delivery, Notification
from playbooks.tests.factories import ServiceFactory

SECRET_TITLE = "Quartz Lantern exfiltration"
SECRET_WORDS = "Quartz Lantern"  # in the title, summary, update and note: any of them leaks


@dataclass
class World:
    private: object
    public: object
    criterion: object
    playbook_step: object
    plan_step: object
    effort_entry: object
    notification: object
    delivery: object
    service: object
    insider: object  # the security group: sees every private incident
    outsider: object  # a responder with no access to this incident
    viewer: object  # staff with every model-wide view permission
    coordinator: object  # a member of the coordinators group, staff
    revoked: object  # took part, then lost access


def _staff(user, *permissions):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*permissions)
    return user


def build_world(django_capture_on_commit_callbacks):
    severity = factories.SeverityFactory(name="SEV1", rank=1)
    kind = factories.IncidentTypeFactory(name="Security", slug="security", private_by_default=True)
    factories.ExitCriterionFactory(incident_type=kind, text="Keys rotated")
    outage = factories.IncidentTypeFactory(name="Outage", slug="outage")
    service = ServiceFactory(name="Vault", slug="vault", tier=1)
    approved(service)

    every_view = Permission.objects.filter(codename__startswith="view_")
    insider = _staff(factories.commander(username="ines"), *every_view)
    insider.groups.add(Group.objects.get(name=access.settings.BEACON_SECURITY_GROUP))
    outsider = factories.responder(username="otto")
    viewer = _staff(factories.UserFactory(username="vera"), *every_view)
    coordinator = _staff(factories.UserFactory(username="cole"))
    coordinator.groups.add(Group.objects.get(name=roles.COORDINATORS))
    revoked = factories.responder(username="rex")

    with django_capture_on_commit_callbacks(execute=True):
        private = services.incident_declare(
            actor=insider,
            title=SECRET_TITLE,
            summary=f"{SECRET_WORDS} keys were copied out.",
            incident_type=kind,
            severity=severity,
            services=[service],
            invitees=[revoked],
            affects_customers=True,
            unplanned=True,
            exceeds_one_hour=True,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_post_update(
            incident=private, actor=insider, message=f"{SECRET_WORDS}: still copying."
        )
        services.incident_add_note(incident=private, actor=insider, text=f"{SECRET_WORDS} note")
        services.effort_log(
            actor=insider,
            incident=private,
            hours=2,
            worked_on=timezone.localdate(),
            note=f"{SECRET_WORDS} forensics",
        )
    for codename in (access.VIEW, access.CHANGE):
        remove_perm(codename, revoked, private)

    with django_capture_on_commit_callbacks(execute=True):
        public = services.incident_declare(
            actor=outsider,
            title="Checkout is slow",
            incident_type=outage,
            severity=severity,
            affects_customers=True,
            unplanned=True,
            exceeds_one_hour=True,
        )
    notification = Notification.objects.filter(incident=private).first()
    return World(
        private=private,
        public=public,
        criterion=private.criteria.first(),
        playbook_step=private.playbook_steps.first(),
        plan_step=IncidentPlanStep.objects.filter(incident=private).first(),
        effort_entry=EffortEntry.objects.filter(incident=private).first(),
        notification=notification,
        delivery=Delivery.objects.filter(notification__incident=private).first(),
        service=service,
        insider=insider,
        outsider=outsider,
        viewer=viewer,
        coordinator=coordinator,
        revoked=revoked,
    )


def leaks(world, response, *, echoes=()):
    """What of the private incident a response shows: its words or its reference, beyond the
    `echoes` (the probe's own search terms, which a search box or a login redirect repeats)."""
    text = response.content.decode("utf-8", "replace") + " " + response.get("Location", "")
    for echo in echoes:
        for form in {echo, quote(echo), quote_plus(echo), escape(echo)}:
            text = text.replace(form, " ")
    found = []
    if SECRET_WORDS.lower() in text.lower():
        found.append("title/summary")
    if world.private.reference.lower() in text.lower():
        found.append("reference")
    return found
