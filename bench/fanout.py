"""Fan-out benchmark: one SEV1 declaration → 500 deliveries over 3 channels, against 500
no-op Celery tasks on the same broker and workers.

Run: `.venv/bin/python bench/fanout.py` (under a minute). It needs Redis at 127.0.0.1:6379
(db 14, its keys under a prefix of its own, removed at the end) and creates, migrates and drops
the PostgreSQL database `beacon_bench` (server from BENCH_POSTGRES_URL); without PostgreSQL it
uses a temporary SQLite file. Settings are production's; one `celery worker --pool=prefork -c 2`
(2 worker processes, acks_late, prefetch 1) runs in a subprocess.

The 500 deliveries come from an active SEV1 response plan of three broadcast steps, one per
audience, as in a real declaration: the responders (the commander and 249 invitees, Slack
direct messages, `each_person`), the stakeholders (the incident team's 249 members, SMS
through the provider's webhook, `each_person`) and the customers (a webhook, a fixed address:
one delivery). Slack, the SMS provider and the webhook are local fakes on 127.0.0.1 that answer
at once, so what is measured is Beacon's own cost: the plan task writing the outbox rows,
publishing, claiming, sending and recording each delivery.

Fan-out time runs from the declaration's commit (when the API would answer) to the last
delivery's `sent_at`; the baseline from the first publish to the worker log's last "succeeded".
Each is run 3 times; the medians are compared.

Then a page behind a broadcast: a company-wide SEV1 tells 5,000 people by SMS (the broadcast
worker's queue fills with it) and, while it is in flight, a second SEV1 pages its on-call
commander by SMS. Measured: from the page's declaration's commit to the SMS provider receiving
the page, with the pages worker of the Procfile (`-Q pages`, one process) running beside.
"""

import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import psycopg
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", "beacon_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
KEY_PREFIX = f"beacon-bench-{os.getpid()}:"
RESPONDERS = STAKEHOLDERS = 249  # plus the commander and one customer webhook: 500
DELIVERIES = RESPONDERS + 1 + STAKEHOLDERS + 1
RUNS = 3
BROADCAST = 5000
PAGE_GOAL = 5.0  # seconds
SUCCEEDED = re.compile(r"^\[([\d-]+ [\d:]+,\d+): INFO/[^\]]+\] Task bench\.noop\[.*succeeded", re.M)


def production_env(database_url, slack_api, sms):
    """Production settings on the bench's database, broker and fakes, for this process (Django
    set up, publishing under the bench's key prefix) and the workers it starts."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "BEACON_BASE_URL": "https://localhost",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "SLACK_BOT_TOKEN": slack_api.token,
        "SLACK_API_URL": f"{slack_api.url}/api/",
        "BEACON_SMS_WEBHOOK_URL": sms.url,
        "BEACON_WEBHOOK_SECRET": "bench-only",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from config.celery_app import app

    options = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**options, "global_keyprefix": KEY_PREFIX}
    return env


def create_database(name=DATABASE_NAME):
    """A fresh database's URL, and how to drop it."""
    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=2) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name}")
            pg.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as error:
        print(f"PostgreSQL unreachable ({str(error).splitlines()[0]}); using SQLite")
        path = Path(tempfile.gettempdir()) / f"beacon-bench-{os.getpid()}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)

    def drop():
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as pg:
            pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"{POSTGRES_URL}/{name}", drop


def populate(slack_api, customer_webhook):
    """People with their contact details, a team, SEV1 and its response plan; returns the
    declaration's arguments."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from incidents import roles, services
    from incidents.models import SlackLinkMethod
    from people.models import Team, TeamMembership, UserPreference
    from policy.models import IncidentType, SeverityLevel
    from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep, StepAction

    User = get_user_model()
    people = User.objects.bulk_create(
        User(username=f"person{n:03d}", email=f"person{n:03d}@example.com")
        for n in range(1 + RESPONDERS + STAKEHOLDERS)
    )
    responders, stakeholders = people[: 1 + RESPONDERS], people[1 + RESPONDERS :]
    people[0].groups.add(Group.objects.get(name=roles.COMMANDERS))
    for person in responders:
        slack_api.add_user(f"U{person.pk:06d}", person.username, person.email)
        services.slack_identity_link(
            user=person, slack_user_id=f"U{person.pk:06d}", method=SlackLinkMethod.SEED, actor=None
        )
    UserPreference.objects.bulk_create(
        UserPreference(user=p, phone=f"+3360{p.pk:07d}") for p in stakeholders
    )
    team = Team.objects.create(name="Checkout", slug="checkout")
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=p) for p in stakeholders)
    severity = SeverityLevel.objects.create(name="SEV1", rank=1)
    plan = ResponsePlan.objects.create(name="SEV1", severity=severity, is_active=True)
    methods = {
        "responders": [("slack", "each_person", ""), ("email", "each_person", "")],
        "stakeholders": [("sms", "each_person", ""), ("email", "each_person", "")],
        "customers": [("webhook", "fixed", customer_webhook), ("teams", "fixed", customer_webhook)],
    }
    for position, (audience, ranked) in enumerate(methods.items()):
        ResponsePlanStep.objects.create(
            plan=plan, position=position, action=StepAction.BROADCAST, audience=audience
        )
        for rank, (channel, target, address) in enumerate(ranked):
            CommunicationMethod.objects.create(
                plan=plan,
                audience=audience,
                rank=rank,
                channel=channel,
                target=target,
                address=address,
            )
    return {
        "actor": people[0],
        "commander": people[0],
        "invitees": responders[1:],
        "team": team,
        "title": "Checkout is down",
        "incident_type": IncidentType.objects.create(name="Outage", slug="outage"),
        "severity": severity,
        "affects_customers": True,
        "unplanned": True,
        "exceeds_one_hour": True,
    }


def populate_page_behind_broadcast(declaration):
    """A company-wide SEV1 type whose plan texts 5,000 people, and a SEV1 type whose plan
    pages the on-call function, held by the commander; returns both declarations."""
    from django.contrib.auth import get_user_model

    from people.models import CriticalFunction, Delegation, Team, TeamMembership, UserPreference
    from policy.models import IncidentType
    from response.models import CommunicationMethod, ResponsePlan, ResponsePlanStep, StepAction

    people = get_user_model().objects.bulk_create(
        get_user_model()(username=f"everyone{n:04d}", email=f"everyone{n:04d}@example.com")
        for n in range(BROADCAST)
    )
    UserPreference.objects.bulk_create(
        UserPreference(user=p, phone=f"+3361{p.pk:07d}") for p in people
    )
    everyone = Team.objects.create(name="Everyone", slug="everyone")
    TeamMembership.objects.bulk_create(TeamMembership(team=everyone, user=p) for p in people)
    severity, commander = declaration["severity"], declaration["commander"]
    UserPreference.objects.update_or_create(user=commander, defaults={"phone": "+33600000000"})
    on_call = CriticalFunction.objects.create(slug="on-call", name="On call")
    Delegation.objects.create(function=on_call, team=None, user=commander, rank=1)
    company_wide = IncidentType.objects.create(name="Company-wide", slug="company-wide")
    paging = IncidentType.objects.create(name="Paging", slug="paging")
    broadcast = ResponsePlan.objects.create(
        name="Company-wide", incident_type=company_wide, severity=severity, is_active=True
    )
    ResponsePlanStep.objects.create(
        plan=broadcast, position=0, action=StepAction.BROADCAST, audience="stakeholders"
    )
    CommunicationMethod.objects.create(
        plan=broadcast, audience="stakeholders", rank=0, channel="sms", target="each_person"
    )
    page = ResponsePlan.objects.create(
        name="Page on call", incident_type=paging, severity=severity, is_active=True
    )
    ResponsePlanStep.objects.create(
        plan=page, position=0, action=StepAction.PAGE_FUNCTION, function=on_call
    )
    base = {key: declaration[key] for key in ("actor", "commander", "severity")}
    base.update(affects_customers=True, unplanned=True, exceeds_one_hour=True)
    return (
        {**base, "title": "Everything is down", "team": everyone, "incident_type": company_wide},
        {**base, "title": "Payments are down", "incident_type": paging},
    )


def page_behind_broadcast(broadcast, page, sms):
    """Seconds from the page's commit to the SMS provider receiving it, declared once the
    broadcast is in flight; and the broadcast's deliveries sent by then, and in all."""
    from incidents.services import incident_declare
    from notifications.models import Delivery, DeliveryStatus

    flooding = incident_declare(**broadcast)
    sent = Delivery.objects.filter(notification__incident=flooding, status=DeliveryStatus.SENT)
    wait_for(lambda: sent.count() >= 100, "the broadcast to start", 120)
    paged = incident_declare(**page)
    committed = time.monotonic()
    sent_before = sent.count()
    pages = Delivery.objects.filter(notification__incident=paged, channel="sms")
    wait_for(pages.exists, "the page to be written", 60)
    key = pages.get().idempotency_key
    wait_for(lambda: key in sms.received_ids(), "the page to be sent", 60)
    received = next(r.received_at for r in sms.requests if r.header("Idempotency-Key") == key)
    wait_for(lambda: sent.count() == BROADCAST, "the broadcast to end", 600)
    return received - committed, sent_before


def wait_for(condition, what, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"still waiting for {what} after {seconds} s")
        time.sleep(0.02)


def fan_out(declaration):
    """Seconds from the declaration's commit to the last delivery sent and to the last one
    written (by the plan task), and the deliveries' channels."""
    from django.db.models import Max
    from django.utils import timezone

    from incidents.services import incident_declare
    from notifications.models import Delivery, DeliveryStatus

    incident = incident_declare(**declaration)
    committed = timezone.now()
    deliveries = Delivery.objects.filter(notification__incident=incident)
    deadline = time.monotonic() + 60
    while deliveries.filter(status=DeliveryStatus.SENT).count() < DELIVERIES:
        failed = [DeliveryStatus.FAILED_OVER, DeliveryStatus.FAILED]
        if time.monotonic() > deadline or deliveries.filter(status__in=failed).exists():
            sys.exit(f"fan-out stuck: {Counter(deliveries.values_list('status', flat=True))}")
        time.sleep(0.05)
    moments = deliveries.aggregate(written=Max("created_at"), sent=Max("sent_at"))
    return (
        (moments["sent"] - committed).total_seconds(),
        (moments["written"] - committed).total_seconds(),
        Counter(deliveries.values_list("channel", flat=True)),
    )


def no_ops(worker):
    """Seconds from the first of 500 no-op publishes to the worker's last success."""
    from bench.noop import noop

    already = len(worker.log())
    started = datetime.now()
    for _ in range(DELIVERIES):
        noop.apply_async()
    deadline = time.monotonic() + 60
    while len(done := SUCCEEDED.findall(worker.log()[already:])) < DELIVERIES:
        if time.monotonic() > deadline:
            sys.exit(f"no-op tasks stuck: {len(done)} of {DELIVERIES} done")
        time.sleep(0.05)
    return (datetime.strptime(done[-1], "%Y-%m-%d %H:%M:%S,%f") - started).total_seconds()


def main():
    database_url, drop_database = create_database()
    print(f"Database: {database_url}")
    from notifications.testing import FakeSlack, FakeWebhookReceiver
    from notifications.tests.worker_process import WorkerProcess

    with FakeSlack() as slack_api, FakeWebhookReceiver() as sms, FakeWebhookReceiver() as hook:
        env = production_env(database_url, slack_api, sms)
        from django.core.management import call_command
        from django.db import connections

        worker = WorkerProcess(
            env,
            key_prefix=KEY_PREFIX,
            queues=("default", "notifications"),
            extra_args=("-I", "bench.noop"),
        )
        pages_worker = WorkerProcess(env, key_prefix=KEY_PREFIX, concurrency=1, queues=("pages",))
        try:
            call_command("migrate", verbosity=0)
            declaration = populate(slack_api, hook.url)
            broadcast, page = populate_page_behind_broadcast(declaration)
            worker.start().wait_ready()
            pages_worker.start().wait_ready()
            fan_outs = [fan_out(declaration) for _ in range(RUNS)]
            baselines = [no_ops(worker) for _ in range(RUNS)]
            paging = page_behind_broadcast(broadcast, page, sms)
        finally:
            for process in (worker, pages_worker):
                if process.process is not None:
                    process.stop()
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{KEY_PREFIX}*"):
                client.delete(key)
            connections.close_all()
            drop_database()
    report(fan_outs, baselines, paging)


def report(fan_outs, baselines, paging):
    channels = ", ".join(f"{name} {count}" for name, count in fan_outs[0][2].most_common())
    print(f"Fan-out: 1 SEV1 declaration → {DELIVERIES} deliveries ({channels}), 2 processes")
    for n, (seconds, written, _channels) in enumerate(fan_outs, 1):
        print(
            f"  run {n}: last sent after {seconds:5.2f} s  {DELIVERIES / seconds:6.1f} deliveries/s"
            f"  (last written after {written:.2f} s)"
        )
    fan_out = statistics.median(seconds for seconds, _written, _channels in fan_outs)
    print(f"  median: {fan_out:.2f} s  {DELIVERIES / fan_out:.1f} deliveries/s")
    print(f"Baseline: {DELIVERIES} no-op tasks, same broker and workers")
    for n, seconds in enumerate(baselines, 1):
        print(f"  run {n}: {seconds:5.2f} s  {DELIVERIES / seconds:6.1f} tasks/s")
    baseline = statistics.median(baselines)
    print(f"  median: {baseline:.2f} s  {DELIVERIES / baseline:.1f} tasks/s")
    print(f"Ratio: {fan_out / baseline:.1f} (fan-out time / no-op time, medians)")
    latency, sent_before = paging
    print(
        f"Page behind a {BROADCAST}-delivery broadcast ({sent_before} of it sent at the page's "
        f"commit): first send attempt {latency:.2f} s after commit, "
        f"{latency / PAGE_GOAL:.2f} of the {PAGE_GOAL:.0f} s goal"
    )


if __name__ == "__main__":
    main()
