"""``make bench``: the blog under gunicorn, driven by a bounded load on loopback, as one table.

Each database is fresh, in its own temporary instance folder: ``flask --app wsgi db upgrade``,
``blog seed``, then approved comments and replies inserted in SQL. Each is served by gunicorn with
gunicorn.conf.py (``WEB_CONCURRENCY`` workers, 4 unless set; no worker recycling) running
``bench.app:app``, the blog plus a hello-world route, so every row runs on the same app. The post page
is measured straight from gunicorn and through nginx with the project's own micro-cache configuration
(started as the cache tests start it, tests/nginx.py); comment POSTs alone, and while other readers
load the page; and Isso 0.14.0's comment POSTs, from its own venv and gunicorn, as the yardstick for
the blog's (bench/isso.py). wrk drives the load when it is installed, else ``bench/loadgen.py``. The
table goes to standard output and, as JSON, to bench/results/latest.json.

With ``--hosts N`` (``make bench HOSTS=3``) the same rows run on what several hosts share: a scratch
PostgreSQL database ``blog_bench_<random>`` on BENCH_POSTGRES_URL (dropped afterwards), migrated and
seeded once, not per host, and the Redis at BENCH_REDIS_URL under a key prefix of the run's own (its
keys deleted afterwards). The hosts are N gunicorns on loopback ports of their own, WEB_CONCURRENCY
workers split over them (rounded up: 2 each for 4 over 3), with one secret key, behind an nginx that
balances over them round robin (the upstream as the multi-host test makes it, tests/nginx.py). Every
row goes through nginx: the rows "straight from gunicorn" through one that passes every request by its
micro-cache, the micro-cache row through one that uses it. Isso is measured as in the single-host run.
The JSON goes to bench/results/latest-hostsN.json.

    python bench/run.py [--comments 200] [--quick] [--loadgen wrk|python] [--duration 10] [--hosts 1]

It is a benchmark, not a test: the targets are reported, met or not, and only a failure to measure
makes the exit status non-zero.
"""

import argparse
import contextlib
import dataclasses
import http.cookiejar
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import redis
from sqlalchemy import create_engine, func, insert, select, text

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import isso  # noqa: E402 -- needs the project on sys.path first
from blog.comments import CommentStatus  # noqa: E402
from blog.comments.models import Comment  # noqa: E402
from blog.posts.models import Post  # noqa: E402
from blog.sanitize import clean_comment  # noqa: E402
from tests.databases import scratch_database  # noqa: E402 -- the scratch databases the tests make
from tests.nginx import nginx_binary, nginx_proxy  # noqa: E402 -- the very nginx set-up the cache tests run
from tests.redis_servers import key_prefix  # noqa: E402

SLUG = "how-ketamine-works"
POST_PAGE = f"/{SLUG}/"
HELLO = "/bench/hello"
FEED = f"/{SLUG}/feed/"
MEDIUM, LARGE = 1_000, 100_000
BATCH = 10_000
THREADS, CONNECTIONS = 2, 32
# Issue 14: how comment POSTs fare while this many other readers load the post page.
READERS = 16
REQUEST_TIMEOUT = 10
RESULTS = PROJECT_ROOT / "bench" / "results"
# With several hosts (--hosts): the PostgreSQL server that holds the run's scratch database, and Redis.
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
MAX_HOSTS = 8
# The nginx of the rows straight to the app, with several hosts: every request takes the deployed
# configuration's path for a person's own page, past the micro-cache (never answered from it, never
# stored: X-Cache-Status BYPASS), so the rows measure nginx's proxying without its cache.
PAST_THE_CACHE = "set $blog_own_page 1;"
# The wrk script and the answer that acknowledges a comment, for each kind of comment POST.
POST_SCRIPTS = {"blog": PROJECT_ROOT / "bench" / "post_comments.lua", "isso": isso.LUA_SCRIPT}
ACKNOWLEDGED = {"blog": {"303"}, "isso": {"201", "202"}}
# How many requests, one after the other, tell how nginx's cache answers the post page.
SAMPLES = 10
NGINX_WORKERS = 2
# What in nginx's error log is more than a notice.
LOUD_NGINX = re.compile(r"\[(error|crit|alert|emerg)\]")
# What the server needs to take a burst of comments from a few readers: no flood limit, no minimum
# time to fill in the form, and approval without moderation.
SERVER_SETTINGS = {
    "FLASK_COMMENTS_FLOOD_SECONDS": "0",
    "FLASK_COMMENTS_MIN_FILL_SECONDS": "0",
    "FLASK_COMMENTS_MODERATION": '"none"',
}
CSRF_TOKEN = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')
FORM_STAMP = re.compile(r'<input[^>]*\bname="issued"[^>]*\bvalue="([^"]+)"')
SHOWN_COMMENT = re.compile(r'<li[^>]*\bid="comment-\d+"')
SHOWN_REPLY = re.compile(r'<li[^>]*\bclass="comment depth-(?!1\b)\d+')

AUTHORS = [
    "Maria Jansen", "Tom Bakker", "Aisha Rahman", "Lucas de Vries", "Sofia Rossi", "Daniel Okafor", "Emma Visser",
    "Noah Peters", "Yuki Tanaka", "Lena Schmidt", "Omar Haddad", "Julia Smit", "Ravi Patel", "Chloe Martin",
    "Jonas Meijer", "Ana Costa", "Peter Mulder", "Grace Kim", "Milan de Boer", "Fatima Zahra",
]
SENTENCES = [
    "Thank you for writing this up so clearly.",
    "I had always wondered why a drug used for anaesthesia would help with depression.",
    "The part about NMDA receptors finally made it click for me.",
    "My sister was treated with esketamine last year, and the effect within days surprised all of us.",
    "Do you know whether the effect lasts once the treatment stops?",
    "It would be interesting to read more about the risks of long-term use.",
    "As a nurse I have seen it used in the emergency room, mostly for sedation before painful procedures.",
    "The comparison with classic antidepressants, which take weeks, is striking.",
    "I am sceptical of the hype, but this article is measured and fair.",
    "Could you add references to the clinical trials you mention?",
    "The history of the drug is a story in itself.",
    "I shared this with my study group; we are covering glutamate next week.",
    "One small correction: the nasal spray was approved in 2019, not earlier.",
    "The explanation of dissociation matches what patients describe.",
    "Great read, looking forward to the next one.",
]


def comment_texts() -> list[tuple[str, str]]:
    """A few dozen realistic texts (two to five sentences, some paragraphs, a little markup and a link),
    each sanitized once with the blog's own sanitizer and reused for every comment that carries it."""
    texts = []
    for number in range(40):
        count = 2 + number % 4
        sentences = [SENTENCES[(number * 7 + offset * 3) % len(SENTENCES)] for offset in range(count)]
        if number % 5 == 0:
            sentences[0] = f"<em>{sentences[0]}</em>"
        if number % 9 == 0:
            sentences.append("More on this at https://en.wikipedia.org/wiki/Ketamine")
        text = " ".join(sentences[:2]) + ("\n\n" if number % 3 == 0 else " ") + " ".join(sentences[2:])
        texts.append((text.strip(), clean_comment(text.strip())))
    return texts


def reply_parent(number: int) -> int | None:
    """The comment the ``number``-th one answers, or None for a top-level one. Every third comment is a
    reply, to one of the last four comments numbered 3k before it (all top-level), as readers answer a
    recent comment: some comments on a page get several replies, most none."""
    if number % 3 != 2:
        return None
    return number - 2 - 3 * (number // 3 % 4)


def insert_comments(database_url: str, count: int) -> None:
    """``count`` approved comments on the seed post, a minute or so apart, in batches; a third of them
    are replies (depth 1) to an earlier top-level comment (``reply_parent``), so the page renders
    threads as a real one does. Ids are given, so a reply can name its parent within a batch. SQL on the
    model's own table, so SQLite and PostgreSQL alike get the column types the app writes."""
    texts = comment_texts()
    table = Comment.__table__
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            post_id = connection.scalar(select(Post.id).where(Post.slug == SLUG))
            first_id = connection.scalar(select(func.coalesce(func.max(table.c.id), 0) + 1))
        key = f"post-{post_id}"
        start = datetime.now(timezone.utc) - timedelta(seconds=47 * (count + 1))
        for first in range(0, count, BATCH):
            rows = []
            for number in range(first, min(first + BATCH, count)):
                author = AUTHORS[number % len(AUTHORS)]
                raw, html = texts[number % len(texts)]
                created = start + timedelta(seconds=47 * number)
                parent = reply_parent(number)
                parent_id = None if parent is None else first_id + parent
                rows.append({
                    "id": first_id + number, "target_key": key, "parent_id": parent_id, "root_id": parent_id,
                    "depth": 0 if parent is None else 1, "author": author,
                    "email": f"{author.split()[0].lower()}{number % 997}@example.org",
                    "url": f"https://{author.split()[-1].lower()}.example.org/" if number % 4 == 0 else "",
                    "body_raw": raw, "body_html": html, "status": CommentStatus.APPROVED, "status_reason": "",
                    "ip": None, "user_agent": None, "is_moderator_reply": False, "created_at": created,
                    "approved_at": created})
            with engine.begin() as connection:
                connection.execute(insert(table), rows)
        if engine.dialect.name == "postgresql":
            # Ids given by hand leave the id sequence where it was: the first comment POSTed would take
            # id 1 and fail as a duplicate.
            with engine.begin() as connection:
                connection.execute(text("SELECT setval(pg_get_serial_sequence('comment', 'id'),"
                                        " (SELECT max(id) FROM comment))"))
    finally:
        engine.dispose()


def clean_environment(**variables) -> dict:
    """This process's environment without the developer's blog and server settings, plus ``variables``."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("FLASK_") and name not in {"DATABASE_URL", "WEB_CONCURRENCY", "HOST", "PORT"}}
    environment.update(variables)
    return environment


def blog_environment(instance: Path, **variables) -> dict:
    """The environment for the blog's commands: the bench settings, none of the developer's own."""
    return clean_environment(BLOG_INSTANCE_PATH=str(instance), **SERVER_SETTINGS, **variables)


@dataclasses.dataclass
class Database:
    """A bench database, migrated, seeded and filled: its URL, the instance folder its commands ran in,
    and the settings an app needs to use it (none for the SQLite file in that folder)."""

    url: str
    folder: Path
    settings: dict


def prepare_database(database: Database, comments: int) -> None:
    """Migrate and seed ``database`` once, as an operator does before starting any host, and give the
    seed post ``comments`` comments."""
    environment = blog_environment(database.folder, **database.settings)
    for arguments in (["db", "upgrade"], ["blog", "seed"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], cwd=PROJECT_ROOT,
                       env=environment, check=True, capture_output=True, text=True, timeout=300)
    insert_comments(database.url, comments)


@contextlib.contextmanager
def sqlite_database(root: Path, comments: int):
    """A fresh instance folder with its SQLite database holding ``comments`` comments."""
    folder = root / f"instance-{comments}"
    folder.mkdir()
    database = Database(f"sqlite:///{folder / 'blog.sqlite3'}", folder, {})
    prepare_database(database, comments)
    yield database


@contextlib.contextmanager
def shared_database(root: Path, comments: int, postgres_url: str, redis_url: str):
    """What several hosts share: a scratch PostgreSQL database holding ``comments`` comments, dropped
    afterwards, and Redis under a key prefix of its own, its keys deleted afterwards; the settings hold
    one secret key, so a form one host made is taken by the others, and trust nginx's X-Forwarded-For."""
    folder = root / f"instance-{comments}"
    folder.mkdir()
    # Without an answer from Redis the app would quietly use the database alone: not what the table says.
    with redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2) as client:
        client.ping()
    with scratch_database(postgres_url, prefix="blog_bench") as url, key_prefix(redis_url, "blog-bench") as prefix:
        database = Database(url, folder, {
            "DATABASE_URL": url, "FLASK_REDIS_URL": redis_url, "FLASK_REDIS_KEY_PREFIX": prefix,
            "FLASK_SECRET_KEY": json.dumps(secrets.token_hex(32)), "FLASK_PROXY_FIX_X_FOR": "1"})
        prepare_database(database, comments)
        yield database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, opener=None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, ""


def gunicorn_command(python: Path | str, app: str) -> list[str]:
    """gunicorn with the project's gunicorn.conf.py (HOST, PORT and WEB_CONCURRENCY from the environment),
    for the blog and for Isso alike, so both run with the same workers, timeouts and keep-alive."""
    # Recycling workers guards against slow leaks over days; in a benchmark of a minute it would only
    # restart workers in the middle of whichever row follows the fastest one.
    return [str(python), "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "--max-requests", "0", app]


def gunicorn_variables(port: int, workers: int) -> dict:
    return {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)}


class Server:
    """A server on a loopback port, started for some rows and stopped after them, even on failure: the
    blog's gunicorn or Isso's. It is ready once ``health`` answers 200 and its master has
    ``workers`` children; its standard error goes to ``<folder>/<name>.log``."""

    def __init__(self, name: str, folder: Path, port: int, command: list[str], workers: int, *,
                 environment: dict | None = None, cwd: Path = PROJECT_ROOT, health: str = "/healthz"):
        self.name, self.folder, self.port, self.command, self.workers = name, folder, port, command, workers
        self.environment, self.cwd, self.health = environment, cwd, health
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = folder / f"{name}.log"
        self.process = None

    def __enter__(self):
        with open(self.log_path, "w") as log:
            # gunicorn's access log goes to standard output, which nobody reads here: discard it.
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.environment,
                                            stdout=subprocess.DEVNULL, stderr=log)
        try:
            self._wait_until_ready(timeout=60)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _ = fetch(self.base_url + self.health)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:  # refused or reset while the workers boot
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer {self.health} within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            pids = []
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    if f"\nPPid:\t{self.process.pid}\n" in status.read_text():
                        pids.append(int(status.parent.name))
                except OSError:
                    continue
            return pids

    def worker_rss_mb(self) -> float | None:
        """The largest resident set of the workers, in MB (VmRSS from /proc/<pid>/status)."""
        sizes = []
        for pid in self.worker_pids():
            try:
                match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
            except OSError:
                continue
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return max(sizes) if sizes else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def logged_tracebacks(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count("Traceback (most recent call last)")
        except OSError:
            return 0

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop lets requests in flight finish); SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def blog_server(folder: Path, settings: dict, workers: int) -> Server:
    """gunicorn serving bench.app:app with ``folder`` as its instance folder, on a free loopback port."""
    folder.mkdir(exist_ok=True)
    port = free_port()
    return Server("gunicorn", folder, port, gunicorn_command(sys.executable, "bench.app:app"), workers,
                  environment=blog_environment(folder, **settings, **gunicorn_variables(port, workers)))


@dataclasses.dataclass
class Site:
    """The blog as the rows reach it: the rows straight to the app go to ``base_url`` (gunicorn itself, or
    with several hosts the nginx past its cache), the micro-cache row's nginx to the ``servers``."""

    base_url: str
    servers: list[Server]

    def upstreams(self) -> list[str]:
        return [server.base_url for server in self.servers]

    def logged_tracebacks(self) -> int:
        return sum(server.logged_tracebacks() for server in self.servers)

    def worker_rss_mb(self) -> float | None:
        """The largest resident set of any host's workers, in MB."""
        return max((size for size in (server.worker_rss_mb() for server in self.servers) if size is not None),
                   default=None)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _milliseconds(figure: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", figure).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """requests/s, p50, p99, counts and errors from ``wrk --latency`` output."""
    result = {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": _milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1)),
        "p99_ms": _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1)),
        "errors": 0,
    }
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        result["errors"] = sum(int(number) for number in socket_errors.groups())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["unexpected"] = int(bad.group(1)) if bad else 0
    return result


def drive(tool: str, url: str, duration: float, *, posts: str | None = None, clients_file: Path | None = None,
          tag: str = "", connections: int = CONNECTIONS, threads: int = THREADS) -> dict:
    """One bounded load on ``url``: GETs, or comment POSTs: the blog's (``posts="blog"``, from the readers
    in ``clients_file``) or Isso's (``posts="isso"``). ``threads`` is wrk's; the Python one ignores it."""
    if tool == "wrk":
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency",
                   f"--timeout={REQUEST_TIMEOUT}s"]
        if posts:
            command += ["-s", str(POST_SCRIPTS[posts]), url, "--", *([str(clients_file)] if clients_file else []), tag]
        else:
            command.append(url)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
        result = parse_wrk(completed.stdout)
        if posts:
            line = re.search(r"BENCH acknowledged=(\d+) refused=(\d+) statuses=(.*)", completed.stdout)
            result["acknowledged"], result["unexpected"] = int(line.group(1)), int(line.group(2))
            result["unexpected_statuses"] = sorted(set(line.group(3).split()))
        return result
    command = [sys.executable, "-m", "bench.loadgen", url, f"--connections={connections}", f"--duration={duration:g}"]
    if posts == "blog":
        command += [f"--clients={clients_file}", f"--tag={tag}"]
    elif posts == "isso":
        command += ["--isso", f"--tag={tag}"]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=duration + 120,
                               check=True)
    result = json.loads(completed.stdout)
    expected = ACKNOWLEDGED.get(posts, {"200"})
    statuses = result.pop("statuses")
    result["unexpected"] = sum(count for status, count in statuses.items() if status not in expected)
    if posts:
        result["acknowledged"] = result["requests"] - result["unexpected"]
        result["unexpected_statuses"] = sorted(status for status in statuses if status not in expected)
    return result


def fetch_forms(base_url: str, count: int, path: Path) -> None:
    """``count`` readers, each with its own cookie jar, fetch the form once: CSRF token, stamp and
    whatever cookie came with them (none, where the page is the shared anonymous one)."""
    lines = []
    for _ in range(count):
        jar = http.cookiejar.CookieJar()
        status, html = fetch(base_url + POST_PAGE, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)))
        token, stamp = CSRF_TOKEN.search(html), FORM_STAMP.search(html)
        if status != 200 or not token or not stamp:
            raise RuntimeError(f"the post page ({status}) has no comment form with csrf_token and issued")
        cookie = "; ".join(f"{item.name}={item.value}" for item in jar)
        lines.append(f"{cookie}\t{token.group(1)}\t{stamp.group(1)}\n")
    path.write_text("".join(lines))


def stored_comments(database_url: str, tag: str) -> int:
    table = Comment.__table__
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(table).where(
                table.c.body_raw.like(f"Benchmark comment {tag}-%")))
    finally:
        engine.dispose()


def load_note(result: dict) -> str:
    return f"{result['unexpected']} non-2xx/3xx, {result['errors']} socket errors"


def cache_statuses(url: str, count: int) -> Counter:
    """How nginx answered ``count`` requests one after the other: their X-Cache-Status (HIT, MISS...)."""
    statuses = Counter()
    for _ in range(count):
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT) as response:
            response.read()
            statuses[response.headers.get("X-Cache-Status") or "none"] += 1
    return statuses


def workers_per_host(workers: int, hosts: int) -> int:
    """WEB_CONCURRENCY split over the hosts, rounded up (4 over 3: 2 each, 6 in all): the total stays near
    the single host's, and no host has a lone sync worker that one slow request stalls."""
    return math.ceil(workers / hosts)


class Bench:
    def __init__(self, arguments):
        self.arguments = arguments
        self.tool = arguments.loadgen
        # WEB_CONCURRENCY: the single host's workers, and Isso's in either run; several hosts split them.
        self.workers = arguments.workers
        self.hosts = arguments.hosts
        self.workers_per_host = workers_per_host(arguments.workers, arguments.hosts)
        self.workers_note = (f"{self.workers} workers" if self.hosts == 1 else
                             f"{self.hosts} hosts × {self.workers_per_host} workers")
        self.load_average_at_start = os.getloadavg()
        self.duration = arguments.duration
        self.warmup = 1 if arguments.quick else 2
        self.rows = {}
        self.rss = {}
        self.failures = []
        self.root = Path(tempfile.mkdtemp(prefix="blog-bench-"))

    def row(self, key: str, label: str, path: str, comments: int | None, **fields) -> dict:
        self.rows[key] = {"row": label, "path": path, "comments": comments, "requests_per_second": None,
                          "p50_ms": None, "p99_ms": None, "ratio": None, "note": "", **fields}
        return self.rows[key]

    def measure_get(self, base_url: str, key: str, label: str, path: str, comments: int | None) -> dict:
        row = self.row(key, label, path, comments)
        status, html = fetch(base_url + path)
        if status != 200:
            row["note"] = f"n/a ({status})"
            return row
        if path == POST_PAGE:
            row["shown"], row["replies_shown"] = len(SHOWN_COMMENT.findall(html)), len(SHOWN_REPLY.findall(html))
            row["note"] = f"{row['shown']} comments on the page, {row['replies_shown']} of them replies"
        drive(self.tool, base_url + path, self.warmup)
        row.update(drive(self.tool, base_url + path, self.duration))
        if row["unexpected"] or row["errors"]:
            row["note"] = (row["note"] + "; " if row["note"] else "") + load_note(row)
        return row

    def page_through_nginx(self, site: Site, comments: int) -> None:
        """The post page through nginx with the project's micro-cache files (the tests' nginx, without its
        access log), in front of the same gunicorn or hosts: driven exactly as the direct row, and a few
        requests' X-Cache-Status in the note."""
        with nginx_proxy(site.upstreams(), workers=NGINX_WORKERS, access_log=False) as proxy:
            row = self.row("page_nginx", f"post page through nginx's micro-cache, {comments:,} comments", POST_PAGE,
                           comments)
            drive(self.tool, proxy.base_url + POST_PAGE, self.warmup)
            row["cache_statuses"] = cache_statuses(proxy.base_url + POST_PAGE, SAMPLES)
            row.update(drive(self.tool, proxy.base_url + POST_PAGE, self.duration))
            row["note"] = f"X-Cache-Status of {SAMPLES} requests after the warm-up: " + ", ".join(
                f"{status} {count}" for status, count in row["cache_statuses"].most_common())
            if row["unexpected"] or row["errors"]:
                row["note"] += "; " + load_note(row)
            if LOUD_NGINX.search(proxy.error_text()):
                row["note"] += "; errors in nginx's log"

    def measure_posts(self, site: Site, key: str, label: str, readers: int = 0) -> None:
        """Comment POSTs from CONNECTIONS fresh readers who each fetched the form once. With ``readers``,
        as many other connections load the post page meanwhile (a second load generator, GETs), as
        people read a thread while others comment on it. Stored ones are counted once gunicorn has
        stopped (``note_posts``)."""
        row = self.row(key, label, POST_PAGE + "comments", self.arguments.comments)
        clients_file = self.root / f"clients-{key}.tsv"
        fetch_forms(site.base_url, CONNECTIONS, clients_file)
        row["tag"] = f"{self.tool}{int(time.time())}{key.replace('_', '')}"
        tracebacks = site.logged_tracebacks()
        posting = partial(drive, self.tool, site.base_url + POST_PAGE + "comments", self.duration, posts="blog",
                          clients_file=clients_file, tag=row["tag"])
        if readers:
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(drive, self.tool, site.base_url + POST_PAGE, self.duration,
                                      connections=readers, threads=1)
                row.update(posting())
                row["readers"] = {"connections": readers, **reading.result()}
        else:
            row.update(posting())
        row["tracebacks"] = site.logged_tracebacks() - tracebacks

    def note_posts(self, key: str, stored: int, acknowledged: str) -> None:
        """The note of a POST row: answers other than ``acknowledged``, stored against acknowledged."""
        row = self.rows[key]
        row["stored"] = stored
        statuses = " ".join(row.get("unexpected_statuses", []))
        row["note"] = (f"{row['unexpected']} not {acknowledged}" + (f" ({statuses})" if statuses else "")
                       + f"; stored: {row['stored']:,} of {row['acknowledged']:,} acknowledged")
        if row["stored"] > row["acknowledged"]:
            row["note"] += f" (+{row['stored'] - row['acknowledged']} in flight when the load stopped)"
        if row["errors"]:
            row["note"] += f"; {row['errors']} socket errors"
        if row["tracebacks"]:
            row["note"] += f"; {row['tracebacks']} tracebacks in the server's log"
        if "readers" in row:
            readers = row["readers"]
            row["note"] += (f"; the {readers['connections']} readers: {_figure(readers['requests_per_second'])} "
                            f"requests/s, p99 {_figure(readers['p99_ms'], 1)} ms")
            if readers["unexpected"] or readers["errors"]:
                row["note"] += f" ({load_note(readers)})"

    def isso_posts(self, origin: str) -> None:
        """Isso's comment POSTs, the yardstick for the blog's: its own venv, the same gunicorn settings and
        workers, the same load (threads, connections, time), texts as distinct; its thread for the post
        is opened beforehand, so no POST fetches the page for a title."""
        python = isso.python(progress)
        folder = self.root / "isso"
        config = isso.prepare(python, folder, origin=origin, uri=POST_PAGE)
        port = free_port()
        server = Server("isso", folder, port, gunicorn_command(python, isso.APP), self.workers, cwd=folder,
                        environment=clean_environment(**gunicorn_variables(port, self.workers),
                                                      ISSO_SETTINGS=str(config)), health="/info")
        row = self.row("isso_posts", f"Isso {isso.VERSION} comment POSTs, {CONNECTIONS} readers",
                       isso.new_path(POST_PAGE), None, tag=f"{self.tool}{int(time.time())}isso")
        with server:
            row.update(drive(self.tool, server.base_url + isso.new_path(POST_PAGE), self.duration, posts="isso",
                             tag=row["tag"]))
            row["tracebacks"] = server.logged_tracebacks()
        self.note_posts("isso_posts", isso.stored_comments(folder, row["tag"]), "201/202")

    def phase(self, name: str, function) -> None:
        """Run one part; a failure is reported in the table and the exit status, and the rest still runs."""
        try:
            function()
        except Exception as error:  # noqa: BLE001 -- a benchmark reports what it could not measure
            message = f"{type(error).__name__}: {error}"
            if isinstance(error, subprocess.CalledProcessError):
                message += f"\n{error.stdout or ''}{error.stderr or ''}"
            self.failures.append(f"{name}: {message}")
            print(f"bench: {name} failed: {message}", file=sys.stderr)

    def database(self, comments: int):
        """A fresh database holding ``comments`` comments: SQLite, or with several hosts PostgreSQL and Redis."""
        if self.hosts == 1:
            return sqlite_database(self.root, comments)
        return shared_database(self.root, comments, self.arguments.postgres_url, self.arguments.redis_url)

    @contextlib.contextmanager
    def serving(self, database: Database):
        """The blog on ``database``: one gunicorn in its instance folder, or one per host, each in a folder
        of its own, behind an nginx past its micro-cache; all stopped on the way out, however it ends."""
        folders = ([database.folder] if self.hosts == 1 else
                   [database.folder / f"host-{index}" for index in range(self.hosts)])
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(blog_server(folder, database.settings, self.workers_per_host))
                       for folder in folders]
            site = Site(servers[0].base_url, servers)
            if self.hosts > 1:
                site.base_url = stack.enter_context(nginx_proxy(site.upstreams(), workers=NGINX_WORKERS,
                                                                access_log=False,
                                                                server_directives=PAST_THE_CACHE)).base_url
            yield site

    def main_server(self) -> None:
        """Hello-world, the post page (direct, then through nginx) and the feed at N comments, then the
        comment POSTs alone, with readers, and Isso's, while the blog is up to be Isso's site."""
        comments = self.arguments.comments
        with self.database(comments) as database:
            progress(f"database with {comments:,} comments ready; serving it with {self.workers_note}")
            with self.serving(database) as site:
                self.measure_get(site.base_url, "hello", "hello-world route", HELLO, None)
                progress(f"hello-world: {self.rows['hello']['requests_per_second'] or 0:.0f} requests/s")
                self.measure_get(site.base_url, "page", f"post page, {comments:,} comments", POST_PAGE, comments)
                self.rss[comments] = site.worker_rss_mb()
                self.phase("post page through nginx", lambda: self.page_through_nginx(site, comments))
                self.measure_get(site.base_url, "feed", "Atom feed of the post's comments", FEED, comments)
                progress("comment POSTs")
                self.measure_posts(site, "posts", f"comment POSTs, {CONNECTIONS} readers")
                self.phase("comment POSTs while readers load the page", lambda: self.measure_posts(
                    site, "posts_read",
                    f"comment POSTs, {CONNECTIONS} readers, while {READERS} others load the page", readers=READERS))
                progress(f"Isso {isso.VERSION}'s comment POSTs")
                self.phase(f"Isso {isso.VERSION}'s comment POSTs", lambda: self.isso_posts(site.base_url))
            # Counted once gunicorn has stopped: a graceful stop lets the posts in flight finish first.
            for key in ("posts", "posts_read"):
                if "acknowledged" in self.rows.get(key, {}):
                    self.note_posts(key, stored_comments(database.url, self.rows[key]["tag"]), "303")

    def thread_server(self, comments: int, key: str) -> None:
        """The post page on a second database holding ``comments`` comments, and the workers' memory after."""
        with self.database(comments) as database:
            progress(f"database with {comments:,} comments ready")
            with self.serving(database) as site:
                self.measure_get(site.base_url, key, f"post page, {comments:,} comments", POST_PAGE, comments)
                self.rss[comments] = site.worker_rss_mb()

    def compare(self) -> None:
        """The ratios: every row against hello-world; the blog's POST rows against Isso's, and the POSTs
        with readers against the POSTs alone, in their notes."""
        rate = {key: row["requests_per_second"] for key, row in self.rows.items()}
        for key, row in self.rows.items():
            if rate.get("hello") and rate[key] is not None:
                row["ratio"] = rate[key] / rate["hello"]
        for key in ("posts", "posts_read"):
            row = self.rows.get(key)
            if row is None or rate[key] is None:
                continue
            if key == "posts_read" and rate.get("posts"):
                row["note"] += f"; {rate[key] / rate['posts']:.2f} x POSTs alone"
            if rate.get("isso_posts"):
                row["note"] += f"; {rate[key] / rate['isso_posts']:.2f} x Isso"

    def run(self) -> int:
        started = time.monotonic()
        self.phase("hello-world, post page, feed and POSTs", self.main_server)
        # A thread size the main server already has is measured there, not twice.
        if self.arguments.comments != MEDIUM:
            self.phase("post page at 1,000 comments", lambda: self.thread_server(MEDIUM, "page_1k"))
        if self.arguments.quick and self.arguments.comments != LARGE:
            self.row("page_100k", f"post page, {LARGE:,} comments", POST_PAGE, LARGE, note="skipped (QUICK=1)")
        elif self.arguments.comments != LARGE:
            self.phase("post page at 100,000 comments", lambda: self.thread_server(LARGE, "page_100k"))
        self.compare()
        report = self.report(time.monotonic() - started)
        print_report(report)
        results = RESULTS / ("latest.json" if self.hosts == 1 else f"latest-hosts{self.hosts}.json")
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nWritten to {results.relative_to(PROJECT_ROOT)}.")
        if self.failures:
            print("\nNot measured:\n" + "\n".join(f"- {failure}" for failure in self.failures), file=sys.stderr)
            return 1
        return 0

    def targets(self) -> list[dict]:
        rows, comments = self.rows, self.arguments.comments
        rate = {key: row["requests_per_second"] for key, row in rows.items()}
        targets = []

        def target(issue, name, figure, met, note=""):
            targets.append({"issue": issue, "target": name, "figure": figure, "met": met, "note": note})

        def share(issue, name, key, over, floor, note=""):
            """``key``'s requests/s against ``over``'s, to be at least ``floor``."""
            if rate.get(key) is None or not rate.get(over):
                target(issue, name, "n/a", None, "not measured")
            else:
                target(issue, name, f"{rate[key]:,.0f}/s / {rate[over]:,.0f}/s = {rate[key] / rate[over]:.2f} x",
                       rate[key] >= floor * rate[over], note)

        share(14, "post page through nginx's micro-cache >= 3 x hello-world", "page_nginx", "hello", 3)
        share(14, f"post page direct, {comments:,} approved comments with replies, >= 0.6 x hello-world", "page",
              "hello", 0.6, "" if comments == 200 else "the target is stated for 200 comments")
        share(14, f"comment POSTs >= 2 x Isso {isso.VERSION}'s", "posts", "isso_posts", 2)
        share(14, f"comment POSTs while {READERS} readers load the post page >= 0.5 x POSTs alone", "posts_read",
              "posts", 0.5)
        small, large = (rows.get("page" if comments == size else key, {}).get("p50_ms")
                        for size, key in ((MEDIUM, "page_1k"), (LARGE, "page_100k")))
        if large is None or small is None:
            target(6, "post page p50 at 100,000 comments <= 1.5 x p50 at 1,000", "n/a", None,
                   "skipped (QUICK=1)" if self.arguments.quick and comments != LARGE else "not measured")
        else:
            target(6, "post page p50 at 100,000 comments <= 1.5 x p50 at 1,000",
                   f"{large:.1f} ms / {small:.1f} ms = {large / small:.2f} x", large <= 1.5 * small)
        posts = rows.get("posts", {})
        if posts.get("requests_per_second") is None or "stored" not in posts:
            target(6, "comment POSTs >= 900/s with 4 workers, every one stored", "n/a", None, "not measured")
        else:
            every = posts["unexpected"] == 0 and posts["stored"] >= posts["acknowledged"]
            target(6, "comment POSTs >= 900/s with 4 workers, every one stored",
                   f"{posts['requests_per_second']:.0f}/s; {posts['unexpected']} not 303; "
                   f"stored {posts['stored']:,} of {posts['acknowledged']:,}",
                   posts["requests_per_second"] >= 900 and every,
                   "" if self.hosts == 1 and self.workers == 4 else f"measured with {self.workers_note}")
        rss = self.rss.get(LARGE)
        if rss is None:
            target(6, "gunicorn worker RSS <= 100 MB at 100,000 comments", "n/a", None,
                   "skipped (QUICK=1)" if self.arguments.quick and comments != LARGE else "not measured")
        else:
            target(6, "gunicorn worker RSS <= 100 MB at 100,000 comments", f"{rss:.1f} MB (max over workers)",
                   rss <= 100)
        return targets

    def report(self, seconds: float) -> dict:
        page = self.rows.get("page", {})
        return {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
                        "load_average_at_start": self.load_average_at_start, "python": platform.python_version()},
            "settings": {"hosts": self.hosts, "workers_per_host": self.workers_per_host,
                         "workers": self.workers_per_host * self.hosts, "isso_workers": self.workers,
                         "database": ("SQLite" if self.hosts == 1 else
                                      f"PostgreSQL + Redis, {self.hosts} hosts behind nginx"),
                         "comments": self.arguments.comments, "quick": self.arguments.quick,
                         "load_generator": self.tool, "threads": THREADS, "connections": CONNECTIONS,
                         "readers_during_posts": READERS, "seconds_per_row": self.duration,
                         "comments_shown": page.get("shown"), "replies_shown": page.get("replies_shown"),
                         "nginx_workers": NGINX_WORKERS, "isso": isso.VERSION, **SERVER_SETTINGS},
            "rows": [self.rows[key] for key in ("hello", "page", "page_nginx", "page_1k", "page_100k", "feed", "posts",
                                                "posts_read", "isso_posts") if key in self.rows],
            "worker_rss_mb": {str(comments): rss for comments, rss in self.rss.items()},
            "targets": self.targets(),
            "failures": self.failures,
            "seconds": round(seconds, 1),
        }


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _figure(value, digits=0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def print_report(report: dict) -> None:
    settings, machine, hosts = report["settings"], report["machine"], report["settings"]["hosts"]
    command, workers = "make bench", f"{settings['workers']} gunicorn workers"
    if hosts > 1:
        command += f" HOSTS={hosts}"
        workers = f"{hosts} hosts × {settings['workers_per_host']} gunicorn workers ({settings['workers']} in all)"
    print(f"\n{command}, {report['date']}: {workers}, {machine['cpus']} CPUs (load average "
          f"{machine['load_average_at_start'][0]:.1f} at the start, {machine['load_average'][0]:.1f} at the end), "
          f"{settings['load_generator']} with {settings['connections']} connections, "
          f"{settings['seconds_per_row']:g} s per row, {settings['database']}.")
    if hosts > 1:
        print("Every row goes through nginx, round robin over the hosts: the rows straight to the app through one "
              "that passes every request by its micro-cache (X-Cache-Status BYPASS), the micro-cache row through "
              f"one that uses it. Isso as in the single-host run: its own SQLite, one gunicorn, "
              f"{settings['isso_workers']} workers.")
    print("Post page rows show the first page of the thread, COMMENTS_PER_PAGE (50 by default) top-level comments "
          f"and their replies whatever the total: {_figure(settings['comments_shown'])} comments at "
          f"{settings['comments']:,}, {_figure(settings['replies_shown'])} of them replies.\n")
    print("| row | requests/s | p50 ms | p99 ms | × hello-world | notes |")
    print("|---|--:|--:|--:|--:|---|")
    for row in report["rows"]:
        print(f"| {row['row']} | {_figure(row['requests_per_second'])} | {_figure(row['p50_ms'], 1)} | "
              f"{_figure(row['p99_ms'], 1)} | {_figure(row['ratio'], 2)} | {row['note']} |")
    if report["worker_rss_mb"]:
        print("\nLargest gunicorn worker RSS after the run: " + ", ".join(
            f"{_figure(rss, 1)} MB at {int(comments):,} comments" for comments, rss in report["worker_rss_mb"].items()))
    for issue, heading in ((14, "Targets (issue 14):"),
                           (6, "Targets of issue 6 still standing (its post page >= 0.5 x is issue 14's 0.6 x now):")):
        print(f"\n{heading}")
        for target in report["targets"]:
            if target["issue"] == issue:
                verdict = {True: "met", False: "NOT MET", None: "n/a"}[target["met"]]
                note = f" ({target['note']})" if target["note"] else ""
                print(f"- {target['target']}: {target['figure']} — {verdict}{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the blog under gunicorn (issues 6 and 14).")
    parser.add_argument("--comments", type=int, default=200, help="approved comments on the post (default 200)")
    parser.add_argument("--quick", action="store_true", help="5 s per row, and skip the 100,000-comment server")
    parser.add_argument("--loadgen", choices=["wrk", "python"], help="default: wrk when installed, else python")
    parser.add_argument("--duration", type=float, help="seconds per row (default 10, 5 with --quick)")
    parser.add_argument("--hosts", type=int, default=1,
                        help="app hosts behind nginx on PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL); "
                             "default 1: one gunicorn on SQLite")
    arguments = parser.parse_args()
    arguments.loadgen = arguments.loadgen or ("wrk" if shutil.which("wrk") else "python")
    if arguments.loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed")
    arguments.duration = arguments.duration or (5 if arguments.quick else 10)
    arguments.workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
    if (not 0 <= arguments.comments <= 1_000_000 or not 0 < arguments.duration <= 60 or not 1 <= arguments.workers <= 32
            or not 1 <= arguments.hosts <= MAX_HOSTS):
        parser.error(f"keep it bounded: at most 1,000,000 comments, 60 s per row, 32 workers, {MAX_HOSTS} hosts")
    if arguments.hosts > 1 and nginx_binary() is None:
        parser.error("nginx is not installed: with several hosts every row goes through it")
    arguments.postgres_url = os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_URL
    arguments.redis_url = os.environ.get("BENCH_REDIS_URL") or REDIS_URL
    # A stop from outside (SIGTERM) unwinds like Ctrl-C, so every server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(arguments)
    progress(f"{arguments.loadgen} load, {arguments.duration:g} s per row, {bench.workers_note}, "
             f"scratch folder {bench.root}")
    try:
        return bench.run()
    finally:
        shutil.rmtree(bench.root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
