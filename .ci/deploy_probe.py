"""What people and load balancers see of a freshly deployed Beacon, for .ci/deploy-check.

It plays the TLS-terminating proxy (X-Forwarded-Proto: https) and carries the cookies itself:
they are Secure, so a client speaking plain HTTP to gunicorn would drop them.

    deploy_probe.py wait PORT PID    until /healthz answers, unless the deploy steps (PID) end
    deploy_probe.py check PORT       login page and its stylesheet, log in, a portal page, the API
                                     docs behind the login, /readyz with the heartbeats of beat
                                     and the workers of every queue
"""

import http.client
import json
import os
import re
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

READY_SECONDS = 45  # the workers report when they connect, beat at its first tick


class Failed(Exception):
    pass


class Client:
    def __init__(self, port):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies = {}

    def get(self, path, *, proxied=True):
        return self.request("GET", path, proxied=proxied)

    def post_form(self, path, fields):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + path,
        }
        return self.request("POST", path, urlencode(fields), headers)

    def request(self, method, path, body=None, headers=None, proxied=True):
        headers = dict(headers or {})
        if proxied:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            response.body = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                expect(morsel["secure"], f"{method} {path}: cookie {name} is not Secure", response)
                self.cookies[name] = morsel.value
        return response


def expect(condition, what, response=None):
    if condition:
        return
    if response is not None:
        location = response.headers.get("Location", "")
        body = response.body.decode(errors="replace")[:1500]
        what += f"\n  answered {response.status} {location}\n  {body}"
    raise Failed(what)


def page(client, path, status=200):
    response = client.get(path)
    expect(response.status == status, f"GET {path}: expected {status}", response)
    return response


def check_https(client):
    response = client.get("/accounts/login/", proxied=False)
    expect(
        response.status == 301
        and response.headers["Location"] == f"{client.origin}/accounts/login/",
        "plain HTTP is not redirected to HTTPS",
        response,
    )
    response = page(client, "/accounts/login/")
    hsts = response.headers.get("Strict-Transport-Security")
    expect(hsts == "max-age=31536000; includeSubDomains; preload", f"HSTS header: {hsts}")
    expect(response.headers.get("X-Frame-Options") == "DENY", "X-Frame-Options is not DENY")
    print("ok: HTTP redirects to HTTPS; HSTS, X-Frame-Options, Secure cookies")
    return response


def check_static(client, login_page):
    hashed = r'<link rel="stylesheet" href="(/static/css/beacon\.[0-9a-f]{12}\.css)"'
    found = re.search(hashed, login_page.body.decode())
    expect(found, "no hashed stylesheet on the login page (collectstatic's manifest)", login_page)
    response = page(client, found[1])
    expect(response.headers["Content-Type"].startswith("text/css"), "the stylesheet is not CSS")
    print(f"ok: {found[1]} served by whitenoise")


def log_in(client, login_page, user, password):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.body.decode())
    expect(token, "the login form has no CSRF token", login_page)
    fields = {"username": user, "password": password, "csrfmiddlewaretoken": token[1], "next": ""}
    response = client.post_form("/accounts/login/", fields)
    expect(response.status == 302 and "sessionid" in client.cookies, "log in", response)
    response = page(client, response.headers["Location"])
    expect(f'<span class="who">{user}</span>'.encode() in response.body, "not logged in", response)
    page(client, "/incidents/")
    print(f"ok: logged in as {user}; dashboard and incident list answer 200")


def check_api_docs(client):
    anonymous = Client(client.port)
    response = anonymous.get("/api/docs/")
    expect(
        response.status == 302
        and response.headers["Location"] == "/accounts/login/?next=/api/docs/",
        "anonymous /api/docs/ is not sent to the login page",
        response,
    )
    response = anonymous.get("/api/schema/")
    expect(response.status == 401, "anonymous /api/schema/ is not refused", response)
    page(client, "/api/docs/")
    print("ok: API docs and schema need a login")


def check_ready(client):
    deadline = time.monotonic() + READY_SECONDS
    while True:
        response = client.get("/readyz", proxied=False)  # as a load balancer probes it
        body = json.loads(response.body) if response.body.startswith(b"{") else {}
        if response.status == 200 and set(body.get("heartbeats", {}).values()) == {"ok"}:
            print(f"ok: /readyz {body}")
            return
        expect(time.monotonic() < deadline, f"/readyz after {READY_SECONDS} s", response)
        time.sleep(1)


def wait_for_server(port, steps_pid, timeout=150):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if Client(port).get("/healthz", proxied=False).status == 200:
                return
        except OSError:
            pass
        expect(os.path.exists(f"/proc/{steps_pid}"), "the deploy steps stopped before gunicorn")
        time.sleep(0.5)
    raise Failed(f"gunicorn did not answer /healthz within {timeout} s")


def main(command, port, steps_pid=None):
    port = int(port)
    if command == "wait":
        wait_for_server(port, steps_pid)
        return
    client = Client(port)
    login_page = check_https(client)
    check_static(client, login_page)
    log_in(client, login_page, os.environ["DEPLOY_CHECK_USER"], os.environ["DEPLOY_CHECK_PASSWORD"])
    check_api_docs(client)
    check_ready(client)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except (Failed, OSError) as error:
        sys.exit(f"{error.__class__.__name__}: {error}")
