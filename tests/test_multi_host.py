"""Several app hosts behind one nginx, on one PostgreSQL and one Redis, with real processes (issue 16).

Three "hosts", each a gunicorn with two workers in a network namespace of its own (tests/netns.py: a
veth pair to the test's own bridge, addresses from a private 10.213.n.0/24 that exists only on these
links), each with its own instance folder and the same secret key. A real nginx on loopback (the
project's deploy/nginx files, tests/nginx.py) balances over them round robin and retries another host
only when it could not reach one (``proxy_next_upstream error timeout``: never a POST it has sent).
The database is a scratch one on TEST_POSTGRES_URL, migrated and seeded once from the root namespace,
not per host; Redis is the one at TEST_REDIS_URL, under a key prefix of this module's own.

Loopback is per namespace, and PostgreSQL and Redis listen on the root namespace's loopback only, so
the hosts reach both through a TCP forwarder in this process (tests/forwarder.py) bound to the bridge's
address. One small mechanism serves both servers without touching their configuration, and it is the
only way to restart PostgreSQL as the hosts see it without restarting the server the rest of the suite
shares: cutting the forwarder drops every connection and refuses new ones, as a restart does.

Every loop is bounded by a count; a deadline only guards against a hang, and no assertion is about
time (the timestamps taken only place each failure around the disruption that caused it). The database
cut runs before the kill: nginx keeps a host that failed out of its rotation for fail_timeout (10 s).
The module's fixture removes what it made (processes, nginx, forwarders, namespaces, bridge, database,
Redis keys) however the tests end. Run it alone with ``.venv/bin/pytest -m multihost``.
"""

import contextlib
import dataclasses
import http.client
import http.cookies
import json
import os
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.databases import scratch_database
from tests.forwarder import Forwarder
from tests.netns import AppHost, private_network, unavailable_reason
from tests.nginx import nginx_binary, nginx_proxy
from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.redis_servers import key_prefix
from tests.servers import blog_environment, flask_command

pytestmark = pytest.mark.multihost

HOSTS = 3
PAGE = "/how-ketamine-works/"
ADMIN, PASSWORD = "boss", "correct horse battery staple"
FLOOD_SECONDS = 60
TIMEOUT = 30
FLOOD_TEXT = "You are posting comments too quickly. Slow down."
LOCKED_TEXT = "Too many failed sign-ins."
UNAVAILABLE_TITLE = "Service unavailable"
# Each run's texts carry a tag of their own, so the counts below see this run's comments only.
RUN = secrets.token_hex(4)


# --- HTTP, one request a connection, from a chosen source address -------------------------------------

@dataclasses.dataclass
class Answer:
    status: int | None  # None: the connection broke before a response came
    headers: http.client.HTTPMessage | None = None
    text: str = ""

    def hidden_fields(self) -> dict[str, str]:
        """The comment form's CSRF token and time stamp."""
        return {"csrf_token": CSRF_TOKEN.search(self.text).group(1), "issued": FORM_STAMP.search(self.text).group(1)}

    def csrf_token(self) -> str:
        return CSRF_TOKEN.search(self.text).group(1)

    @property
    def location_path(self) -> str:
        return urllib.parse.urlsplit(self.headers["Location"]).path


def send(base_url: str, method: str, path: str, fields=None, headers=None, source=None) -> Answer:
    """One request on a new connection, redirects not followed; ``source`` is the address to send from."""
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT,
                                            source_address=(source, 0) if source else None)
    headers = dict(headers or {})
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode(errors="replace"))
    except (OSError, http.client.HTTPException):
        return Answer(None)
    finally:
        connection.close()


class Browser:
    """One person's browser at one address: keeps its cookies (whichever host set them) and sends them to
    whichever host it is told to, as a browser does to one site name behind a balancer."""

    def __init__(self, client_address: str):
        self.client_address = client_address
        self.cookies: dict[str, str] = {}

    def request(self, base_url, method, path, fields=None) -> Answer:
        headers = {"X-Forwarded-For": self.client_address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        answer = send(base_url, method, path, fields, headers)
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return answer

    def get(self, host, path) -> Answer:
        return self.request(host.base_url, "GET", path)

    def post(self, host, path, fields) -> Answer:
        return self.request(host.base_url, "POST", path, fields)


def comment_fields(text_, email, hidden) -> dict:
    return {"author": "Multi Host", "email": email, "url": "", "comment": text_, "parent": "0", **hidden}


# --- the machine: database, Redis, network, hosts, nginx ----------------------------------------------

@dataclasses.dataclass
class Cluster:
    hosts: list[AppHost]
    proxy: object
    database_url: str
    database: Forwarder
    redis_url: str
    redis_prefix: str

    def stored(self, pattern: str) -> Counter:
        """How often each comment text matching the SQL LIKE ``pattern`` is stored."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT body_raw FROM comment WHERE body_raw LIKE :pattern"),
                                          {"pattern": pattern})
                return Counter(rows.scalars())
        finally:
            engine.dispose()

    def scalar(self, sql: str):
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar()
        finally:
            engine.dispose()


def required_settings() -> tuple[str, str]:
    """TEST_POSTGRES_URL and TEST_REDIS_URL, or the module skipped saying what it lacks."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"the multi-host test makes network namespaces: {reason}")
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light): the multi-host test runs one")
    postgres_url, redis_url = os.environ.get("TEST_POSTGRES_URL"), os.environ.get("TEST_REDIS_URL")
    if not postgres_url or not redis_url:
        pytest.skip("TEST_POSTGRES_URL and TEST_REDIS_URL must both be set: the hosts share that PostgreSQL and Redis")
    return postgres_url, redis_url


def via(url: str, forwarder: Forwarder) -> str:
    """``url`` with its host and port those of ``forwarder``."""
    return make_url(url).set(host=forwarder.listen_host, port=forwarder.port).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    postgres_url, redis_url = required_settings()
    root = tmp_path_factory.mktemp("multihost")
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(postgres_url))
        prefix = stack.enter_context(key_prefix(redis_url))
        network = stack.enter_context(private_network(HOSTS))
        database, redis_server = (make_url(database_url), make_url(redis_url))
        to_postgres = Forwarder(network.gateway, database.host, database.port or 5432)
        stack.callback(to_postgres.close)
        to_redis = Forwarder(network.gateway, redis_server.host, redis_server.port or 6379)
        stack.callback(to_redis.close)

        # Migrations and the seed run once, from here, as an operator would before starting the hosts.
        operator = blog_environment(root / "operator", DATABASE_URL=database_url)
        flask_command(operator, "db", "upgrade")
        flask_command(operator, "blog", "seed")
        flask_command(operator, "blog", "create-admin", ADMIN, "--password", PASSWORD)

        settings = {
            "DATABASE_URL": via(database_url, to_postgres),
            "FLASK_REDIS_URL": via(redis_url, to_redis),
            "FLASK_REDIS_KEY_PREFIX": prefix,
            "FLASK_SECRET_KEY": json.dumps(secrets.token_hex(32)),  # every host signs with the same key
            "FLASK_PROXY_FIX_X_FOR": "1",  # nginx, or the test standing in for it, says who the client is
            "FLASK_COMMENTS_FLOOD_SECONDS": str(FLOOD_SECONDS),
            "FLASK_COMMENTS_MIN_FILL_SECONDS": "0",
            "FLASK_COMMENTS_MODERATION": '"none"',
        }
        hosts = []
        for index, namespace in enumerate(network.namespaces):
            host = AppHost("abc"[index], namespace, network.address(index),
                           blog_environment(root / f"host-{index}", **settings), log_path=root / f"host-{index}.log")
            stack.callback(host.stop)
            host.launch()
            hosts.append(host)
        for host in hosts:
            host.wait_until_ready()
        proxy = stack.enter_context(nginx_proxy([host.base_url for host in hosts], workers=2,
                                                server_directives="proxy_next_upstream error timeout;"))
        yield Cluster(hosts, proxy, database_url, to_postgres, redis_url, prefix)


def upstream_names(hosts) -> set[str]:
    return {host.base_url.removeprefix("http://") for host in hosts}


@pytest.fixture
def hosts(cluster):
    """The three hosts, every one running (a test before may have killed one) and in nginx's rotation
    again (nginx tries a host it marked down once its fail_timeout, 10 s, has passed)."""
    for host in cluster.hosts:
        if not host.is_running():
            host.start()
    wanted, probe = upstream_names(cluster.hosts), f"/healthz?rotation={secrets.token_hex(4)}"
    for _ in range(300):
        send(cluster.proxy.base_url, "GET", probe)
        served = cluster.proxy.wait_for_entries(lambda entry: entry["uri"] == probe, 0, 0)
        if wanted <= {entry["upstream"] for entry in served}:
            break
        time.sleep(0.1)
    return cluster.hosts


# --- one session, one cache, one set of limits --------------------------------------------------------

def test_a_session_and_its_forms_from_one_host_work_on_the_others(cluster, hosts):
    a, b, c = hosts
    admin = Browser("192.0.2.10")
    login = admin.get(a, "/admin/login")
    assert login.status == 200 and "session" in admin.cookies
    signed_in = admin.post(b, "/admin/login", {"username": ADMIN, "password": PASSWORD,
                                               "csrf_token": login.csrf_token()})
    assert signed_in.status == 303 and signed_in.location_path == "/admin/"
    assert admin.get(c, "/admin/").status == 200

    # The post page served by A carries a token bound to the admin's session; B takes the comment.
    page = admin.get(a, PAGE)
    comment = f"Multi-host {RUN} admin comment"
    posted = admin.post(b, PAGE + "comments", comment_fields(comment, "boss@example.org", page.hidden_fields()))
    assert posted.status == 303
    assert cluster.stored(comment) == Counter({comment: 1})

    # That token is the session's: without the session, C refuses it.
    stranger = Browser("192.0.2.11")
    refused = stranger.post(c, PAGE + "comments",
                            comment_fields(f"Multi-host {RUN} stolen token", "x@example.org", page.hidden_fields()))
    assert refused.status == 400

    logged_out = admin.post(c, "/admin/logout", {"csrf_token": admin.get(b, "/admin/").csrf_token()})
    assert logged_out.status == 303
    assert admin.get(a, "/admin/").status in (302, 303)


def test_a_comment_posted_via_one_host_shows_on_the_next_view_from_every_other(cluster, hosts):
    a, b, c = hosts
    for host in hosts:  # every worker of every host renders, and keeps, the page as it is now
        for _ in range(4):
            assert send(host.base_url, "GET", PAGE).status == 200
    comment = f"Multi-host {RUN} shown everywhere"
    form = send(a.base_url, "GET", PAGE)
    posted = Browser("192.0.2.20").post(a, PAGE + "comments",
                                        comment_fields(comment, "shown@example.org", form.hidden_fields()))
    assert posted.status == 303
    for host in (b, c, a):
        for _ in range(4):
            view = send(host.base_url, "GET", PAGE)
            assert view.status == 200 and comment in view.text, host.name


def test_the_flood_limit_holds_across_hosts(cluster, hosts):
    a, b, c = hosts
    hidden = send(a.base_url, "GET", PAGE).hidden_fields()
    first = f"Multi-host {RUN} flood first"
    posted = Browser("192.0.2.30").post(a, PAGE + "comments", comment_fields(first, "flood@example.org", hidden))
    assert posted.status == 303

    # The same address with new emails, then the same email from new addresses: every host refuses them.
    tries = [("192.0.2.30", f"other{number}@example.org") for number in range(3)]
    tries += [(f"192.0.2.{31 + number}", "flood@example.org") for number in range(3)]
    for number, (client_address, email) in enumerate(tries):
        host = hosts[(number + 1) % HOSTS]
        refused = Browser(client_address).post(
            host, PAGE + "comments", comment_fields(f"Multi-host {RUN} flood {number}", email, hidden))
        assert refused.status == 429, (host.name, client_address, email)
        assert 1 <= int(refused.headers["Retry-After"]) <= FLOOD_SECONDS
        assert FLOOD_TEXT in refused.text
    assert cluster.stored(f"Multi-host {RUN} flood%") == Counter({first: 1})
    # The marks are Redis's alone.
    assert cluster.scalar("SELECT count(*) FROM comment_flood_mark") == 0
    with redis.Redis.from_url(cluster.redis_url) as client:
        assert list(client.scan_iter(match=cluster.redis_prefix + "flood:*"))


def test_failed_sign_ins_through_nginx_lock_out_on_every_host(cluster, hosts):
    """Sent through nginx from one address, the tries go round robin: five wrong passwords, whichever
    hosts they reach, lock the name out of that address on all of them, the right password too."""
    proxy = cluster.proxy
    source = "127.42.0.1"  # nginx tells the hosts this address in X-Forwarded-For
    login_page = send(proxy.base_url, "GET", "/admin/login", source=source)
    cookie = login_page.headers["Set-Cookie"].split(";", 1)[0]
    fields = {"username": ADMIN, "csrf_token": login_page.csrf_token()}
    for number in range(5):
        wrong = send(proxy.base_url, "POST", "/admin/login", {**fields, "password": f"guess {number}"},
                     {"Cookie": cookie}, source=source)
        assert wrong.status == 401, number
    for _ in range(HOSTS):
        locked = send(proxy.base_url, "POST", "/admin/login", {**fields, "password": PASSWORD},
                      {"Cookie": cookie}, source=source)
        assert locked.status == 429 and LOCKED_TEXT in locked.text
    tries = proxy.wait_for_entries(lambda entry: entry["method"] == "POST" and entry["uri"] == "/admin/login",
                                   5 + HOSTS)
    assert {entry["upstream"] for entry in tries} == upstream_names(hosts)

    # From another address the owner still signs in.
    owner = send(proxy.base_url, "GET", "/admin/login", source="127.42.0.2")
    signed_in = send(proxy.base_url, "POST", "/admin/login",
                     {"username": ADMIN, "password": PASSWORD, "csrf_token": owner.csrf_token()},
                     {"Cookie": owner.headers["Set-Cookie"].split(";", 1)[0]}, source="127.42.0.2")
    assert signed_in.status == 303


# --- load: many commenters through nginx while hosts and the database fail -----------------------------

@dataclasses.dataclass
class Attempt:
    text: str
    status: int | None
    started: float
    ended: float
    body: str = ""


def client_address(block: int, index: int) -> str:
    """A loopback address of its own for attempt ``index``: nginx passes it on, the flood limit counts it."""
    return f"127.{block}.{index // 250}.{index % 250 + 1}"


def load(cluster, label: str, block: int, total: int, clients: int, on_progress) -> list[Attempt]:
    """``total`` comments, each with its own text, address and email, from ``clients`` threads through
    nginx; ``on_progress(done)`` is called after each. Every attempt, in order of its index."""
    done = 0
    lock = threading.Lock()

    def one_client(number: int) -> list[Attempt]:
        form = send(cluster.proxy.base_url, "GET", PAGE, source=client_address(block, number))
        hidden = form.hidden_fields()
        attempts = []
        for index in range(number, total, clients):
            comment = f"Multi-host {RUN} {label} {index}"
            started = time.monotonic()
            answer = send(cluster.proxy.base_url, "POST", PAGE + "comments",
                          comment_fields(comment, f"{label}{index}@example.org", hidden),
                          source=client_address(block, index))
            attempts.append(Attempt(comment, answer.status, started, time.monotonic(),
                                    answer.text if answer.status != 303 else ""))
            nonlocal done
            with lock:
                done += 1
                progress = done
            on_progress(progress)
        return attempts

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [attempt for attempts in pool.map(one_client, range(clients)) for attempt in attempts]


def assert_stored_once_if_acknowledged(cluster, label, attempts):
    stored = cluster.stored(f"Multi-host {RUN} {label} %")
    acknowledged = [attempt.text for attempt in attempts if attempt.status == 303]
    assert all(stored[comment] == 1 for comment in acknowledged), "an acknowledged comment is missing"
    assert all(count == 1 for count in stored.values()), "a comment is stored twice"
    assert set(stored) <= {attempt.text for attempt in attempts}


DATABASE_CUT_TOTAL = 400
DATABASE_CUT_CLIENTS = 16


def test_a_database_restart_mid_load_fails_requests_cleanly_and_loses_nothing(cluster, hosts):
    """The forwarder to PostgreSQL drops every connection and refuses new ones, as a restarting server does,
    until a good number of requests have met the outage; then it listens again. Comments sent meanwhile get
    the 503 page, each worker reconnects by itself (pool_pre_ping), and every 303 is stored once."""
    events = {}
    lock = threading.Lock()
    restore_after = 3 * DATABASE_CUT_CLIENTS  # every client refused a few times, on every host

    def disrupt(done):
        with lock:
            if done >= DATABASE_CUT_TOTAL // 3 and "cut" not in events:
                events["cut"] = time.monotonic()  # before cutting: a request may meet the cut while it is made
                cluster.database.cut()
                events["done at cut"] = done
            elif "cut" in events and "restored" not in events and done >= events["done at cut"] + restore_after:
                cluster.database.restore()
                events["restored"] = time.monotonic()

    attempts = load(cluster, "cut", 65, DATABASE_CUT_TOTAL, DATABASE_CUT_CLIENTS, disrupt)
    if "restored" not in events:  # the load ended first: listen again before the checks below
        cluster.database.restore()
        events["restored"] = time.monotonic()

    statuses = Counter(attempt.status for attempt in attempts)
    print("database cut:", statuses, events)  # shown when the test fails
    failed = [attempt for attempt in attempts if attempt.status != 303]
    assert set(statuses) <= {303, 503}, statuses
    assert statuses[503] >= 1, "no request met the outage"
    for attempt in failed:
        assert UNAVAILABLE_TITLE in attempt.body, attempt.body[:500]
        assert attempt.ended >= events["cut"] and attempt.started <= events["restored"], attempt
    assert_stored_once_if_acknowledged(cluster, "cut", attempts)
    # The outage reached every host, and each answered it with its own 503 page.
    refused = cluster.proxy.wait_for_entries(
        lambda entry: entry["method"] == "POST" and entry["status"] == "503", statuses[503])
    by_host = Counter(entry["upstream"] for entry in refused)
    assert set(by_host) == upstream_names(hosts), by_host

    # Every worker of every host answers from the database again.
    for host in hosts:
        for _ in range(4):
            assert send(host.base_url, "GET", "/healthz").status == 200, host.name


LOAD_TOTAL = 1000
LOAD_CLIENTS = 32


def test_acknowledged_comments_survive_a_killed_host_and_a_reloaded_one(cluster, hosts):
    """SIGKILL of host C's master and workers breaks what C was serving: nginx answers those 502 (it sends
    no POST twice) and marks C down, so nothing after the kill fails. Host B's SIGHUP reload fails nothing."""
    _a, b, c = hosts
    events = {}
    lock = threading.Lock()

    def disrupt(done):
        with lock:
            if done >= LOAD_TOTAL // 4 and "killed" not in events:
                events["kill started"] = time.monotonic()
                c.kill()
                events["killed"] = time.monotonic()
            if done >= LOAD_TOTAL // 2 and "reloaded" not in events:
                b.reload()
                events["reloaded"] = time.monotonic()

    attempts = load(cluster, "kill", 64, LOAD_TOTAL, LOAD_CLIENTS, disrupt)
    assert "killed" in events and "reloaded" in events
    assert len(attempts) == LOAD_TOTAL

    statuses = Counter(attempt.status for attempt in attempts)
    print("kill and reload:", statuses)  # shown when the test fails
    failed = [attempt for attempt in attempts if attempt.status != 303]
    assert set(statuses) <= {303, 502}, statuses
    assert len(failed) <= LOAD_CLIENTS, statuses  # at most what was in flight when C died
    for attempt in failed:  # each was sent before the kill and answered after it
        assert attempt.started <= events["killed"] and attempt.ended >= events["kill started"], attempt
    assert_stored_once_if_acknowledged(cluster, "kill", attempts)
    broken = cluster.proxy.wait_for_entries(lambda entry: entry["status"] == "502", len(failed))
    assert {entry["upstream"] for entry in broken} <= {c.base_url.removeprefix("http://")}, broken

    assert b.is_running(), "host B's master died on reload"
    for _ in range(100):  # the old workers leave once their requests are done
        if len(b.worker_pids()) == b.workers:
            break
        time.sleep(0.1)
    assert len(b.worker_pids()) == b.workers
    c.start()  # C comes back and serves again
    assert send(c.base_url, "GET", PAGE).status == 200
