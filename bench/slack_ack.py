"""Slack acknowledgement benchmark: how long a signed declaration submission (the declare
modal's `view_submission`, POSTed to /slack/interactivity/) takes to be answered under 20
concurrent senders, against a signed endpoint that answers at once. Slack gives up after 3 s.

Run: `.venv/bin/python bench/slack_ack.py` (about 15 s). It needs Redis at 127.0.0.1:6379
(db 13: its two queues are purged before and after) and creates, migrates and drops the
PostgreSQL database `beacon_bench` (server from BENCH_POSTGRES_URL); without PostgreSQL it uses
a temporary SQLite file. The server is gunicorn (3 workers × 4 threads) serving config.wsgi
with production settings, and the benchmark's URLconf (bench/slack_ack_urls.py: the project's
URLs plus /bench/signed-ok/, behind the same `verified` decorator). No Celery worker runs: the
response plans are queued, not run, and purged at the end.

Each submission declares a new incident (a name and a view id of its own) as one of 20 Slack
users linked to Beacon commanders. Answering it, Beacon calls Slack's Web API three times
(users.info, conversations.info, conversations.list): that is a local fake (FakeSlack) in this
process. Each sender posts its requests one after the other, on a keep-alive connection; two
requests per sender and endpoint warm the server up first and are not counted.
"""

import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.fanout import create_database  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET = "bench-signing-secret"
SENDERS = 20
REQUESTS = 200  # measured, per endpoint
WARM_UP = 2  # per sender and endpoint, not measured
WORKERS, THREADS = 3, 4  # gunicorn's
SLACK_LIMIT_MS = 3000


def serve(port):
    """gunicorn serving config.wsgi on 127.0.0.1:`port`, with the benchmark's URLconf."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"127.0.0.1:{port}",
                "workers": WORKERS,
                "threads": THREADS,
                "worker_class": "gthread",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from django.conf import settings

            from config.wsgi import application

            settings.ROOT_URLCONF = os.environ["ROOT_URLCONF"]
            return application

    Server().run()


def slack_id(sender):
    return f"U0SEND{sender:02d}"


def populate(slack_api):
    """Senders (commanders linked to their Slack users), a severity and an incident type;
    returns the declare modal and the answers every submission shares."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from incidents import roles, services
    from incidents.models import IncidentType, SeverityLevel, SlackLinkMethod
    from incidents.slack.context import SlackContext
    from incidents.slack.declare import build_view

    User = get_user_model()
    senders = User.objects.bulk_create(
        User(username=f"sender{n:02d}", email=f"sender{n:02d}@example.com") for n in range(SENDERS)
    )
    Group.objects.get(name=roles.COMMANDERS).user_set.add(*senders)
    for n, user in enumerate(senders):
        services.slack_identity_link(
            user=user, slack_user_id=slack_id(n), method=SlackLinkMethod.SEED, actor=None
        )
        slack_api.add_user(slack_id(n), user.username, user.email)
    slack_api.add_channel("incidents")  # the broadcast channel, the modal's first choice
    answers = {
        "title": "Checkout is failing",
        "incident_type": IncidentType.objects.create(name="Outage", slug="outage").pk,
        "severity": SeverityLevel.objects.create(name="SEV2", rank=2).pk,
        "impact_level": "high",
        "urgency": "high",
        "definition": ["affects_customers", "unplanned", "exceeds_one_hour"],
    }
    return build_view(SlackContext(user=senders[0], slack_user_id=slack_id(0))), answers


def submissions(view, answers, sender, count):
    """`count` form bodies: submissions of the modal by one sender, each a new incident."""
    from incidents.tests.slack_requests import submission

    bodies = []
    for n in range(count):
        filled = {
            **answers,
            "name": f"bench-{sender:02d}-{n:03d}",
            "commander": slack_id(sender),
            "responder": slack_id((sender + 1) % SENDERS),
        }
        payload = submission(view, filled, user=slack_id(sender), view_id=f"VB{sender:02d}{n:03d}")
        bodies.append(urlencode({"payload": json.dumps(payload)}))
    return bodies


def signed(body):
    """Slack's headers for `body` (v0 signature), and the TLS proxy's in front of Beacon."""
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "X-Forwarded-Proto": "https",
    }


def measure(url, bodies_by_sender, declares):
    """Milliseconds each request took to be answered, every sender posting at once."""

    def send(bodies):
        times = []
        with requests.Session() as session:
            for body in bodies:
                headers = signed(body)
                started = time.perf_counter()
                response = session.post(url, data=body, headers=headers, timeout=30)
                times.append((time.perf_counter() - started) * 1000)
                answered = response.ok and (
                    not declares or response.json().get("response_action") == "update"
                )
                if not answered:
                    sys.exit(f"{url} answered {response.status_code}: {response.text[:500]}")
        return times

    with ThreadPoolExecutor(SENDERS) as pool:
        return [ms for times in pool.map(send, bodies_by_sender) for ms in times]


def start_server(env, log):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", str(port)],
        cwd=BASE_DIR,
        env={**os.environ, **env, "ROOT_URLCONF": "bench.slack_ack_urls"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", headers={"X-Forwarded-Proto": "https"}).ok:
                return server, url
        except requests.ConnectionError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sys.exit(f"gunicorn did not start:\n{Path(log.name).read_text()[-3000:]}")
        time.sleep(0.2)


def purge_queues():
    """Empty the broker's queues; returns how many tasks they held."""
    from config.celery_app import app
    from config.celery_routes import QUEUES

    with app.connection_for_write() as conn:
        return sum(conn.default_channel.queue_purge(queue) or 0 for queue in QUEUES)


def main():
    database_url, drop_database = create_database()
    print(f"Database: {database_url}")
    from notifications.testing import FakeSlack

    per_sender = REQUESTS // SENDERS
    with FakeSlack() as slack_api, tempfile.NamedTemporaryFile("w+") as log:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "bench-only",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "BEACON_BASE_URL": "https://127.0.0.1",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",  # it plays the proxy
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": REDIS_URL,
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack_api.url}/api/",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        server = None
        try:
            call_command("migrate", verbosity=0)
            view, answers = populate(slack_api)
            purge_queues()  # what a killed run left
            server, url = start_server(env, log)
            bodies = [submissions(view, answers, n, WARM_UP + per_sender) for n in range(SENDERS)]
            warm_up, measured = [b[:WARM_UP] for b in bodies], [b[WARM_UP:] for b in bodies]
            # The baseline gets the same bodies: only what is done with them differs.
            interactivity, baseline = f"{url}/slack/interactivity/", f"{url}/bench/signed-ok/"
            measure(baseline, warm_up, declares=False)
            measure(interactivity, warm_up, declares=True)
            signed_ok = measure(baseline, measured, declares=False)
            declared = measure(interactivity, measured, declares=True)
            queued = purge_queues()
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            purge_queues()
            connections.close_all()
            drop_database()
    report(declared, signed_ok, queued)


def percentiles(samples):
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def report(declared, signed_ok, queued):
    print(
        f"Slack acknowledgements: {SENDERS} concurrent senders, {len(declared)} signed requests "
        f"per endpoint, gunicorn {WORKERS} workers × {THREADS} threads"
    )
    rows = [
        ("declaration (view_submission to /slack/interactivity/)", declared),
        ("signed 200 (/bench/signed-ok/)", signed_ok),
    ]
    for label, samples in rows:
        p50, p99 = percentiles(samples)
        print(f"  {label:56} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {max(samples):7.1f} ms")
    (d50, d99), (b50, b99) = percentiles(declared), percentiles(signed_ok)
    print(f"Ratio (declaration / signed 200): p50 {d50 / b50:.1f}, p99 {d99 / b99:.1f}")
    print(f"Slack's limit: {SLACK_LIMIT_MS} ms (the declarations' p99: {d99 / SLACK_LIMIT_MS:.0%})")
    print(f"Response plans queued meanwhile (purged, no worker ran): {queued}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        main()
