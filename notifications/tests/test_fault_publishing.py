"""A declaration never waits long on a dead broker, whichever web process answers: gunicorn
with three workers on production settings, the broker behind a proxy that refuses, then
swallows, connections. Each response's `Server-Timing: publish;dur=` is the time it spent
publishing; the outbox rows are committed and the sweeper sends them once the broker is back.
"""

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

from incidents import services
from incidents.models import Incident
from incidents.tests import factories
from notifications.models import Delivery

from .test_faults import all_sent, wait_until, webhook_plan
from .worker_process import BASE_DIR, database_url

PORTS = range(18210, 18300)
PUBLISHED = 12  # with the broker there, then as many with it refusing and with it swallowing
DOWN = 94
DECLARATIONS = PUBLISHED + 2 * DOWN
BODY = {
    "title": "Checkout is failing",
    "incident_type": "outage",
    "severity": "SEV2",
    "affects_customers": True,
    "unplanned": True,
    "exceeds_one_hour": True,
}


def free_port():
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {PORTS}")


def web_env(broker_url, broker, tmp_path, **extra):
    """A web process's environment: production settings on the test's database and broker
    (its key prefix), publishing paused through a file of the test's own."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "fault-test-only-" + "k" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CACHE_URL": "locmemcache://",
        "CELERY_BROKER_URL": broker_url,
        "BEACON_TEST_KEY_PREFIX": broker.key_prefix,
        "BEACON_BROKER_DOWN_FILE": str(tmp_path / "broker-down"),
        **extra,
    }


class Gunicorn:
    """`gunicorn --workers N` on production settings, in a process group of its own."""

    def __init__(self, env, *, workers):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "BEACON_BASE_URL": self.url}
        self.args = [
            *(sys.executable, "-m", "gunicorn", "notifications.tests.web_process:application"),
            *("--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"),
        ]

    def __enter__(self):
        log, self._log_path = tempfile.mkstemp(prefix="beacon-web-", suffix=".log")
        with os.fdopen(log, "wb") as log_file:
            self.process = subprocess.Popen(
                self.args,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"gunicorn did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        return self

    def _answers(self):
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        return False

    def stop(self, timeout=30):
        """A graceful stop, as a deploy does: SIGTERM, and wait until gunicorn has exited."""
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout)

    def __exit__(self, *exc_info):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log(self):
        return Path(self._log_path).read_text(errors="replace")


def publishing_ms(response):
    return float(re.search(r"publish;dur=([\d.]+)", response["Server-Timing"]).group(1))


@pytest.mark.broker
def test_declarations_spend_at_most_100_ms_publishing_with_the_broker_refusing_or_swallowing(
    redis_proxy, broker, workers, webhook_receiver, commander, tmp_path, capsys
):
    proxy, proxy_url = redis_proxy
    webhook_plan(webhook_receiver.url, f"{webhook_receiver.url}/backup")
    factories.IncidentTypeFactory(name="Outage", slug="outage")
    factories.SeverityFactory(name="SEV2", rank=2)
    _token, key = services.api_token_create(user=commander, actor=commander)
    env = web_env(
        proxy_url,
        broker,
        tmp_path,
        BEACON_THROTTLE_DECLARE="1000/min",
        BEACON_THROTTLE_USER="1000/min",
    )

    def declare(web):
        response = requests.post(
            f"{web.url}/api/v1/incidents/",
            json=BODY,
            headers={"Authorization": f"Token {key}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return publishing_ms(response.headers)

    with Gunicorn(env, workers=3) as web, ThreadPoolExecutor(6) as clients:
        answered = list(clients.map(lambda _n: declare(web), range(PUBLISHED)))
        proxy.down()  # connections refused
        refused = list(clients.map(lambda _n: declare(web), range(DOWN)))
        proxy.black_hole()  # connections accepted, never answered
        swallowed = list(clients.map(lambda _n: declare(web), range(DOWN)))

    def p99(values):
        return statistics.quantiles(values, n=100, method="inclusive")[98]

    with capsys.disabled():
        print(
            f"\npublishing per declaration, p99 / max: {p99(refused):.1f} / {max(refused):.1f} ms "
            f"with the broker refusing, {p99(swallowed):.1f} / {max(swallowed):.1f} ms with it "
            "swallowing connections; the slowest: "
            f"{sorted(refused + swallowed)[-5:]}"
        )
    assert p99(refused) <= 100 and p99(swallowed) <= 100, (refused, swallowed)
    assert min(answered) > 0  # these did publish (the response plan's task)
    assert Incident.objects.count() == DECLARATIONS and not Delivery.objects.exists()

    proxy.up()
    worker = workers(proxy_url)
    wait_until(all_sent(PUBLISHED), [worker])  # what the requests published, with no sweeper
    wait_until(all_sent(DECLARATIONS), [worker], sweeping=True, timeout=120)
    received = Counter(webhook_receiver.received_ids())
    assert len(received) == DECLARATIONS and set(received.values()) == {1}
