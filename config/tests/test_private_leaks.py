"""No route shows a private incident to anyone not granted access.

The test walks the whole URL configuration. Every route must be classified below — taking the
private incident (visited with its reference or ids and compared with a reference that does not
exist: same answer, nothing shown), listing things (visited and searched), an admin page of an
incident-related model (visited with the private object's id), or unrelated (with the reason).
A route added without a classification fails `test_every_route_is_classified`.

The people probing: a responder without access, a staff member holding every model-wide view
permission, a member of the coordinators group, and a participant whose access was revoked. The
security group's member is the control: the routes must show them the incident, else the probe
proves nothing.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from config.tests.leak_world import SECRET_WORDS, build_world, leaks
from incidents.ack_links import ack_link_token

BOGUS_REFERENCE = "INC-1999-9999"
BOGUS_ID = 987654321


@dataclass(frozen=True)
class Probe:
    label: str
    url: str
    missing_url: str | None  # the same request for an incident that does not exist
    methods: list
    echoes: tuple = ()  # search terms the answer may repeat


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str
    params: frozenset
    callback: object = field(compare=False)

    @property
    def takes_format(self):
        return "format" in self.params

    @property
    def own_params(self):
        return self.params - {"format"}

    @property
    def admin_model(self):
        """The model of an admin route (admin/<app_label>/<model_name>/…), or None."""
        parts = self.pattern.split("/")
        if len(parts) < 4 or parts[0] != "admin":
            return None
        for model in admin.site._registry:
            if (model._meta.app_label, model._meta.model_name) == (parts[1], parts[2]):
                return model
        return None

    @property
    def methods(self):
        """What to send: a DRF route's own methods, else GET and POST."""
        actions = getattr(self.callback, "actions", None)
        return sorted(actions) if actions else ["get", "post"]


def _params(pattern):
    return set(pattern.converters) | set(pattern.regex.groupindex)


def walk(resolver=None, prefix="", namespace="", params=frozenset()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        here = params | _params(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner, frozenset(here))
        else:
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else pattern
            yield Route(name, pattern, frozenset(here), entry.callback)


def all_routes():
    return sorted(set(walk()), key=lambda r: (r.name, r.pattern))


# Routes that take the private incident: route name -> (kwargs for it, kwargs for a missing one).
# Missing ids of sub-objects (criterion, step, entry) stay real: the incident is what is probed.
def _incident(extra=None):
    def build(w, bogus):
        kwargs = {"reference": BOGUS_REFERENCE if bogus else w.private.reference}
        kwargs.update((extra or (lambda _w: {}))(w))
        return kwargs

    return build


INCIDENT_ROUTES = {
    "portal:incident": _incident(),
    "portal:effort-log": _incident(),
    "portal:effort-remove": _incident(lambda w: {"entry_id": w.effort_entry.pk}),
    "portal:plan-step-done": _incident(lambda w: {"step_id": w.plan_step.pk}),
    "api:incident-detail": _incident(),
    "api:incident-acknowledge": _incident(),
    "api:incident-cancel": _incident(),
    "api:incident-change-severity": _incident(),
    "api:incident-change-status": _incident(),
    "api:incident-close": _incident(),
    "api:incident-resolve": _incident(),
    "api:incident-notes": _incident(),
    "api:incident-updates": _incident(),
    "api:incident-timeline": _incident(),
    "api:incident-escalations": _incident(),
    "api:incident-deliveries": _incident(),
    "api:incident-effort": _incident(),
    "api:incident-exit-criteria": _incident(),
    "api:incident-plan-steps": _incident(),
    "api:incident-handover": _incident(),
    "api:incident-check-exit-criterion": _incident(lambda w: {"criterion_id": w.criterion.pk}),
    "api:incident-waive-exit-criterion": _incident(lambda w: {"criterion_id": w.criterion.pk}),
    "api:incident-complete-plan-step": _incident(lambda w: {"step_id": w.plan_step.pk}),
    "api:incident-complete-playbook-step": _incident(lambda w: {"step_id": w.playbook_step.pk}),
    "api:incident-remove-effort": _incident(lambda w: {"entry_id": w.effort_entry.pk}),
}
# Portal routes with an action word: every action is probed.
INCIDENT_ACTION_ROUTES = {
    "portal:incident-action": (
        ["acknowledge", "status", "severity", "update", "resolve", "close", "cancel", "note"]
        + ["handover"],
        lambda w: {},
    ),
    "portal:criterion-action": (["met", "waive"], lambda w: {"criterion_id": w.criterion.pk}),
    "portal:playbook-step-action": (["done"], lambda w: {"step_id": w.playbook_step.pk}),
}


# Admin models whose rows belong to an incident: how to find the private incident's row.
ADMIN_INCIDENT_MODELS = {
    "incidents.Incident": lambda w: w.private.pk,
    "incidents.EffortEntry": lambda w: w.effort_entry.pk,
    "notifications.Notification": lambda w: w.notification.pk,
    "notifications.Delivery": lambda w: w.delivery.pk,
}
# Admin models unrelated to incidents: their object pages cannot show one.
ADMIN_UNRELATED_MODELS = {
    "auth.Group": "groups and their permissions",
    "auth.User": "people (their incidents are not listed on the user page)",
    "axes.AccessAttempt": "login attempts",
    "axes.AccessFailureLog": "login attempts",
    "axes.AccessLog": "login attempts",
    "incidents.ApiToken": "API tokens",
    "incidents.SlackIdentityEvent": "Slack account links",
    "django_celery_beat.PeriodicTask": "the beat schedule",
    "django_celery_beat.ClockedSchedule": "the beat schedule",
    "django_celery_beat.CrontabSchedule": "the beat schedule",
    "django_celery_beat.SolarSchedule": "the beat schedule",
    "django_celery_beat.IntervalSchedule": "the beat schedule",
    "policy.IncidentType": "configuration",
    "policy.SeverityLevel": "configuration",
    "policy.Priority": "configuration",
    "policy.ConfigurationEvent": "the history of the configuration",
    "people.UserPreference": "a person's preferences",
    "people.Team": "teams",
    "people.CriticalFunction": "critical functions",
    "people.Delegation": "delegates",
    "people.Unavailability": "availability windows",
    "people.PeopleEvent": "the audit of teams, functions, delegates and windows",
    "policy.PolicyVersion": "the response policy",
    "policy.PriorityMatrixCell": "the priority matrix",
    "notifications.WorkerHeartbeat": "heartbeats of beat and the workers",
    "playbooks.PlaybookVersion": "playbook versions (verifications name no incident)",
    "catalog.Service": "the service catalogue",
    "catalog.CatalogEvent": "the service catalogue's history",
    "playbooks.Playbook": "playbooks",
    "response.ResponsePlan": "response plans",
    "response.ResponsePlanEvent": "the history of response plans",
}
# Other routes with parameters: a builder of kwargs to visit (checked for leaks), or a reason.
OTHER_PARAM_ROUTES = {
    "admin:view_on_site": lambda w: {
        "content_type_id": ContentType.objects.get_for_model(w.private).pk,
        "object_id": w.private.pk,
    },
    "admin:app_list": lambda w: {"app_label": "incidents"},
    "playbooks:service": lambda w: {"slug": w.service.slug},
    "playbooks:playbook-new": "a form to start a playbook for a service",
    "playbooks:version-new": "a form to draft a playbook version",
    "playbooks:version-action": "playbook review decisions",
    "portal:policy-action": "policy versions",
    "portal:availability-remove": "a person's availability window",
    "admin:auth_user_password_change": "a person's password",
    "password_reset_confirm": "a password reset link",
    "portal:slack-link": "a one-time link to confirm a Slack account",
    "portal:ack-link": lambda w: {"token": ack_link_token(w.private, w.outsider)},
    "api:policy-detail": "policy versions",
    "api:policy-levels": "policy versions",
    "api:policy-reject": "policy versions",
    "api:policy-sign-off": "policy versions",
    "api:policy-submit": "policy versions",
    "api:team-detail": "teams",
    "api:team-members": "teams",
    "api:team-remove-member": "teams",
    "api:critical-function-detail": "critical functions",
    "api:delegation-detail": "delegates",
    "api:unavailability-detail": "availability windows",
    "api:service-detail": "the service catalogue",
    "api:playbook-detail": "playbooks",
    "api:playbook-version-detail": "playbook versions",
    "api:playbook-version-approve": "playbook versions",
    "api:playbook-version-reject": "playbook versions",
    "api:playbook-version-reopen": "playbook versions",
    "api:playbook-version-submit": "playbook versions",
    "api:playbook-version-verify": "playbook versions",
    "api:response-plan-detail": "response plans",
    "api:delivery-retry": "checked as a delivery of the private incident",
    "admin/(?P<url>.*)$": "the admin's catch-all: a redirect or a 404",
}
# Lists searched for the private incident, beyond a plain visit.
SEARCHES = {
    "portal:incident-list": [("q", "{words}"), ("q", "{reference}"), ("status", "declared")],
    "api:incident-list": [("q", "{words}"), ("q", "{reference}"), ("type", "security")],
}
SLACK_ROUTES = {"slack-commands", "slack-interactivity", "slack-events", "slack-options"}


def classify(route):
    """(kind, detail) of a route, or None when it has no classification."""
    if route.name in SLACK_ROUTES:
        return "slack", None
    if route.name in INCIDENT_ROUTES:
        return "incident", INCIDENT_ROUTES[route.name]
    if route.name in INCIDENT_ACTION_ROUTES:
        return "incident-action", INCIDENT_ACTION_ROUTES[route.name]
    model = route.admin_model
    if model is not None and route.own_params & {"object_id", "object_pk"}:
        label = model._meta.label
        if label in ADMIN_INCIDENT_MODELS:
            return "admin-object", ADMIN_INCIDENT_MODELS[label]
        if label in ADMIN_UNRELATED_MODELS:
            return "unrelated", ADMIN_UNRELATED_MODELS[label]
        return None
    if not route.own_params:
        return "listing", None
    if route.name in OTHER_PARAM_ROUTES:
        detail = OTHER_PARAM_ROUTES[route.name]
        return ("visit", detail) if callable(detail) else ("unrelated", detail)
    return None


def test_every_route_is_classified():
    unclassified = [f"{r.name}  ({r.pattern})" for r in all_routes() if classify(r) is None]
    assert not unclassified, (
        "Classify these routes in config/tests/test_private_leaks.py (do they take or show an "
        "incident?):\n" + "\n".join(unclassified)
    )
    registered = {m._meta.label for m in admin.site._registry}
    stale = (set(ADMIN_INCIDENT_MODELS) | set(ADMIN_UNRELATED_MODELS)) - registered
    assert not stale, f"No longer in the admin: {sorted(stale)}"


def _url(route, kwargs, suffix=False):
    if suffix:
        kwargs = {**kwargs, "format": "json"}
    if route.name != route.pattern:
        return reverse(route.name, kwargs=kwargs)
    # An unnamed route (the admin's redirect from an object's bare address): fill it in.
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.pattern)


def _send(client, method, url):
    """One request; a change it makes is rolled back, so the next probe sees the same world."""
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    return response


def _probes(route, w):
    """Every request to make for `route` (none for an unclassified one: that test says so)."""
    kind, detail = classify(route) or (None, None)
    methods = route.methods
    variants = [False, True] if route.takes_format else [False]
    for suffix in variants:
        if kind == "incident":
            real, missing = detail(w, False), detail(w, True)
            yield Probe(
                route.name, _url(route, real, suffix), _url(route, missing, suffix), methods
            )
        elif kind == "incident-action":
            actions, extra = detail
            for action in actions:
                real = {"reference": w.private.reference, "action": action, **extra(w)}
                missing = {**real, "reference": BOGUS_REFERENCE}
                yield Probe(
                    f"{route.name}/{action}",
                    _url(route, real, suffix),
                    _url(route, missing, suffix),
                    methods,
                )
        elif kind == "admin-object":
            params = route.own_params
            key = "object_id" if "object_id" in params else "object_pk"
            real = {key: detail(w)}
            if "user_id" in params:
                real["user_id"] = w.outsider.pk
            if "group_id" in params:
                real["group_id"] = 1
            missing = {**real, key: BOGUS_ID}
            yield Probe(route.name, _url(route, real), _url(route, missing), methods)
        elif kind == "visit":
            yield Probe(route.name, _url(route, detail(w), suffix), None, ["get"])
        elif kind == "listing":
            url = _url(route, {}, suffix)
            yield Probe(route.name, url, None, ["get"])
            for name, value in SEARCHES.get(route.name, []):
                term = value.format(words=SECRET_WORDS, reference=w.private.reference)
                query = urlencode({name: term})
                yield Probe(f"{route.name}?{query}", f"{url}?{query}", None, ["get"], (term,))


def _admin_searches(w):
    """Every admin list that can be searched, searched for the private incident."""
    for model, model_admin in admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for term in (SECRET_WORDS, w.private.reference):
            probe_url = f"{url}?{urlencode({'q': term})}"
            yield Probe(f"{model._meta.label} search", probe_url, None, ["get"], (term,))


def _failures(client, w, *, user_label):
    failures = []
    probes = [p for route in all_routes() for p in _probes(route, w)]
    probes += list(_admin_searches(w))
    for probe in probes:
        for method in probe.methods:
            response = _send(client, method, probe.url)
            # The request's own address may come back (a login redirect's ?next=): not a leak.
            found = leaks(w, response, echoes=(*probe.echoes, probe.url))
            if found:
                failures.append(f"{method.upper()} {probe.url}: shows the {', '.join(found)}")
            if probe.missing_url is None:
                continue
            missing = _send(client, method, probe.missing_url)
            if response.status_code != missing.status_code:
                failures.append(
                    f"{method.upper()} {probe.url}: {response.status_code}, but "
                    f"{missing.status_code} for a missing one: it tells the incident exists"
                )
    return [f"[{user_label}] {f}" for f in failures]


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


@pytest.mark.parametrize("who", ["outsider", "viewer", "coordinator", "revoked"])
def test_no_route_shows_the_private_incident(client, world, who):
    client.force_login(getattr(world, who))
    failures = _failures(client, world, user_label=who)
    assert not failures, "\n".join(failures)


def test_anonymous_sees_nothing(client, world):
    failures = _failures(client, world, user_label="anonymous")
    assert not failures, "\n".join(failures)


def test_the_security_group_sees_it_where_the_routes_show_it(client, world):
    """The control: the probes reach the incident, so their silence means something."""
    client.force_login(world.insider)
    for name in ("portal:incident", "api:incident-detail", "api:incident-timeline"):
        route = next(r for r in all_routes() if r.name == name)
        response = client.get(_url(route, INCIDENT_ROUTES[name](world, False)))
        assert response.status_code == 200 and leaks(world, response), name
    listing = client.get(reverse("portal:incident-list"))
    assert world.private.reference in listing.content.decode()
    change = client.get(reverse("admin:incidents_incident_change", args=[world.private.pk]))
    assert change.status_code == 200 and leaks(world, change)
    missing = []
    for route in all_routes():
        if (classify(route) or (None,))[0] not in ("incident", "incident-action"):
            continue
        for probe in _probes(route, world):
            for method in probe.methods:
                if _send(client, method, probe.url).status_code == 404:
                    missing.append(f"{method.upper()} {probe.url}")
    assert not missing, "The security group cannot reach:\n" + "\n".join(missing)
