"""A real nginx on loopback in front of the app, configured with the project's own files.

``nginx_proxy(upstream)`` (one address, or a list of app hosts for round robin) writes a scratch
``nginx.conf`` in a temporary folder (pid file, logs, temp folders and the cache all inside it), includes
a copy of ``deploy/nginx/blog-http.conf`` at http level (only its cache folder and upstream address
changed: one ``server`` line per host) and ``deploy/nginx/blog-location.conf`` itself in
``location /``, starts ``nginx -g 'daemon off;'`` on a free 127.0.0.1 port, waits until it answers and
yields an ``Nginx`` (base URL, cache folder, its access log read as JSON lines). It stops nginx on exit,
and fails loudly, with nginx's error log, if it cannot start.
"""

import contextlib
import dataclasses
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.servers import PROJECT_ROOT, free_port

HTTP_CONF = PROJECT_ROOT / "deploy" / "nginx" / "blog-http.conf"
LOCATION_CONF = PROJECT_ROOT / "deploy" / "nginx" / "blog-location.conf"
# What the copy of blog-http.conf changes: nothing else of the deployed file.
DEPLOYED_CACHE_PATH = "/var/cache/nginx/blog"
DEPLOYED_UPSTREAM = "127.0.0.1:8000"
# The private networks tests/netns.py makes for its app hosts.
TEST_NETWORKS = ipaddress.ip_network("10.213.0.0/16")

# One JSON object a request: what the tests look at. $upstream_addr is empty when nginx answered from
# its cache alone; $upstream_cache_status is empty when the cache was not used (a POST, say).
LOG_FORMAT = (
    "log_format blog_test escape=json '{"
    '"time":"$msec","method":"$request_method","uri":"$request_uri","status":"$status",'
    '"cache":"$upstream_cache_status","upstream":"$upstream_addr",'
    '"upstream_status":"$upstream_status","cookie":"$http_cookie","set_cookie":"$sent_http_set_cookie"'
    "}';"
)


def nginx_binary() -> str | None:
    """The nginx executable, if this machine has one (Debian keeps it in /usr/sbin, often off PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("nginx", path=path)


@dataclasses.dataclass
class Nginx:
    base_url: str
    cache_path: Path
    directory: Path
    access_log: Path
    error_log: Path

    def log_entries(self) -> list[dict]:
        """Every request nginx has logged so far, oldest first."""
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]

    def wait_for_entries(self, select, count, timeout=5.0) -> list[dict]:
        """The logged requests ``select(entry)`` picks, once there are at least ``count`` of them: nginx
        writes a request's line after its response has gone, so a test may read the log a little early.
        Returns what there is when ``timeout`` runs out (the caller's assertion then says what is missing)."""
        deadline = time.monotonic() + timeout
        while True:
            chosen = [entry for entry in self.log_entries() if select(entry)]
            if len(chosen) >= count or time.monotonic() > deadline:
                return chosen
            time.sleep(0.05)

    def cache_files(self) -> list[Path]:
        """Every file in the cache folder (cached responses, and any being written)."""
        return sorted(path for path in self.cache_path.rglob("*") if path.is_file())

    def error_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""


def write_config(directory: Path, upstreams: list[str], port: int, workers: int, access_log: bool,
                 server_directives: str = "") -> Path:
    """The scratch nginx.conf and the copy of blog-http.conf it includes; returns the nginx.conf path."""
    cache_path = directory / "cache"
    cache_path.mkdir()
    (directory / "temp").mkdir()
    http_conf = HTTP_CONF.read_text()
    # Several app hosts: one `server` line each in the upstream block, round robin (nginx's default).
    replacements = {DEPLOYED_CACHE_PATH: str(cache_path), DEPLOYED_UPSTREAM: ";\n    server ".join(upstreams)}
    for literal, replacement in replacements.items():
        if http_conf.count(literal) != 1:
            raise RuntimeError(f"{HTTP_CONF} should name {literal!r} exactly once, for the tests to replace it")
        http_conf = http_conf.replace(literal, replacement)
    (directory / "blog-http.conf").write_text(http_conf)

    temp_paths = "\n".join(f"    {kind}_temp_path {directory / 'temp' / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would run its workers as "nobody", who cannot enter a private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = f"""\
{user}worker_processes {workers};
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} notice;
events {{}}
http {{
    {LOG_FORMAT}
    access_log {f"{directory / 'access.log'} blog_test" if access_log else "off"};
{temp_paths}
    include {directory / 'blog-http.conf'};
    server {{
        listen 127.0.0.1:{port};
        {server_directives}
        location / {{
            include {LOCATION_CONF};
        }}
    }}
}}
"""
    path = directory / "nginx.conf"
    path.write_text(conf)
    return path


def upstream_address(upstream: str) -> str:
    """``"HOST:PORT"`` of a base URL or address, refused unless the host is loopback or a private address
    (the test's own network namespaces): the tests never proxy to anything off this machine."""
    upstream = upstream.removeprefix("http://").rstrip("/")
    host, _, port = upstream.rpartition(":")
    try:
        is_local = ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host) in TEST_NETWORKS
    except ValueError:
        is_local = False
    if not is_local or not port.isdigit():
        raise ValueError(f"only a loopback or test-network upstream, please: {upstream}")
    return upstream


@contextlib.contextmanager
def nginx_proxy(upstream: str | list[str], workers: int = 1, ready_path: str = "/healthz", timeout: float = 15,
                access_log: bool = True, server_directives: str = ""):
    """nginx on a free loopback port in front of ``upstream`` (``"127.0.0.1:PORT"`` or a base URL, or a list of
    them: round robin over several app hosts), with ``server_directives`` added to its ``server`` block;
    without ``access_log`` it logs no request (``make bench``, where writing the log would be part of the
    figure)."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed")
    upstreams = [upstream_address(each) for each in ([upstream] if isinstance(upstream, str) else upstream)]
    with tempfile.TemporaryDirectory(prefix="blog-nginx-") as name:
        directory = Path(name)
        port = free_port()
        conf = write_config(directory, upstreams, port, workers, access_log, server_directives)
        server = Nginx(f"http://127.0.0.1:{port}", directory / "cache", directory, directory / "access.log",
                       directory / "error.log")
        with open(directory / "stderr.log", "w+") as stderr:
            process = subprocess.Popen([binary, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                                       cwd=directory, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)

            def failure(what: str) -> RuntimeError:
                stderr.seek(0)
                return RuntimeError(f"nginx {what}\n--- nginx.conf ---\n{conf.read_text()}\n"
                                    f"--- output ---\n{stderr.read()}\n--- error.log ---\n{server.error_text()}")

            try:
                deadline = time.monotonic() + timeout
                while True:
                    if process.poll() is not None:
                        raise failure(f"exited with status {process.returncode} before it answered")
                    try:
                        # Any answer will do (a 502 too): nginx is up, whatever the upstream says.
                        with urllib.request.urlopen(server.base_url + ready_path, timeout=2):
                            break
                    except urllib.error.HTTPError as error:
                        error.close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise failure(f"did not answer on {server.base_url} within {timeout} s") from None
                        time.sleep(0.05)
                yield server
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)  # fast shutdown; the master stops its workers
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=10)
