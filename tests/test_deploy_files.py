"""The deployment files in deploy/: the systemd units parse and agree with the project, the multi-host nginx
upstream is valid nginx and never retries a POST on another host, and gunicorn really takes its socket
from systemd-style socket activation and says when it is ready.

Every tool is the real one (systemd-analyze, nginx, systemd-socket-activate); a test skips, saying which
is missing, only where this machine lacks it. Only loopback traffic; every wait has a deadline.
"""

import contextlib
import http.client
import os
import re
import runpy
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.nginx import HTTP_CONF, LOCATION_CONF, nginx_binary
from tests.servers import PROJECT_ROOT, blog_environment, flask_command, free_port

pytestmark = pytest.mark.processes

DEPLOY = PROJECT_ROOT / "deploy"
UPSTREAM_CONF = DEPLOY / "nginx" / "blog-upstream.conf"
UNITS = ("blog.socket", "blog.service", "blog-migrate.service", "blog-purge.service", "blog-purge.timer")
# Where the units expect the code; the tests' copies point at this checkout and its virtualenv instead.
DEPLOYED_ROOT = "/srv/blog"
DEPLOYED_BIN = "/srv/blog/.venv/bin"
TIMEOUT = 30
UPSTREAM_BLOCK = re.compile(r"^upstream blog_app \{.*?^\}\n", re.MULTILINE | re.DOTALL)


def unit_settings(name: str) -> dict[str, list[str]]:
    """A unit file's settings as ``"Section.Key" -> [values]`` (systemd allows a key more than once)."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def setting(name: str, key: str) -> str:
    """The one value of ``key`` in unit ``name``."""
    (value,) = unit_settings(name)[key]
    return value


def local_units(directory: Path) -> Path:
    """Copies of every unit in ``directory``, their code paths turned to this checkout (so the commands they
    name are real executables for systemd-analyze to check), nothing else changed."""
    bin_directory = str(Path(sys.executable).parent)
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        text = text.replace(DEPLOYED_BIN, bin_directory).replace(DEPLOYED_ROOT, str(PROJECT_ROOT))
        (directory / name).write_text(text)
    return directory


def systemd_analyze_verify(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no", *map(str, paths)],
                          capture_output=True, text=True, timeout=TIMEOUT)


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian: the systemd package): the unit files are not verified")
needs_nginx = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (Debian: apt-get install nginx-light): the upstream file is not checked")


# --- the systemd units ----------------------------------------------------------------------------------

@needs_systemd_analyze
@pytest.mark.parametrize("name", UNITS)
def test_unit_passes_systemd_analyze_verify(name, tmp_path):
    """systemd-analyze prints a warning (unknown key, bad value, missing command) and goes on: any output
    at all is a failure."""
    units = local_units(tmp_path)
    result = systemd_analyze_verify(units / name)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@needs_systemd_analyze
def test_systemd_analyze_verify_reports_a_broken_unit(tmp_path):
    """The check above is not vacuous: a misspelt value, an unknown key and a missing command are reported."""
    units = local_units(tmp_path)
    service = units / "blog.service"
    text = service.read_text().replace("KillMode=mixed", "KillMode=mixd\nRestartt=always")
    service.write_text(text.replace(str(Path(sys.executable).parent), "/nonexistent/bin"))
    output = systemd_analyze_verify(service).stderr
    assert "kill mode" in output and "Restartt" in output and "/nonexistent/bin/gunicorn" in output


def test_service_runs_the_projects_gunicorn_config():
    """The service runs the deployed checkout's own gunicorn, with gunicorn.conf.py and wsgi:app, from the
    checkout's folder (the config and ``wsgi`` are found relative to it)."""
    command = shlex.split(setting("blog.service", "Service.ExecStart"))
    assert command == [f"{DEPLOYED_BIN}/gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    assert setting("blog.service", "Service.WorkingDirectory") == DEPLOYED_ROOT
    assert (PROJECT_ROOT / "gunicorn.conf.py").is_file() and (PROJECT_ROOT / "wsgi.py").is_file()


def test_service_is_socket_activated_and_reloads_gracefully():
    service = unit_settings("blog.service")
    assert service["Unit.Requires"] == ["blog.socket"]
    # gunicorn sends READY=1 once it listens (gunicorn/arbiter.py); test_socket_activation checks it does.
    assert service["Service.Type"] == ["notify"]
    assert service["Service.ExecReload"] == ["/bin/kill -s HUP $MAINPID"]
    assert service["Service.KillMode"] == ["mixed"]
    assert service["Service.Restart"] == ["on-failure"]
    assert service["Service.User"] == ["blog"]


def test_stopping_gives_gunicorn_its_graceful_timeout():
    """systemd kills what is left after TimeoutStopSec: that must come after gunicorn's own graceful stop."""
    gunicorn_settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    stop_seconds = int(setting("blog.service", "Service.TimeoutStopSec").removesuffix("s"))
    assert stop_seconds > gunicorn_settings["graceful_timeout"]


@pytest.mark.parametrize("name", ["blog.service", "blog-migrate.service", "blog-purge.service"])
def test_every_unit_writes_only_the_instance_folder(name):
    """All the blog's commands see the same instance folder, and it is the only place they may write."""
    settings = unit_settings(name)
    assert settings["Service.Environment"][0] == "BLOG_INSTANCE_PATH=/var/lib/blog"
    assert settings["Service.ProtectSystem"] == ["strict"]
    assert settings["Service.ReadWritePaths"] == ["/var/lib/blog"]
    assert settings["Service.NoNewPrivileges"] == ["yes"]
    assert settings["Service.PrivateTmp"] == ["yes"] and settings["Service.ProtectHome"] == ["yes"]
    assert settings["Service.User"] == ["blog"] and settings["Service.WorkingDirectory"] == [DEPLOYED_ROOT]


def test_migrations_and_purge_run_the_projects_commands():
    assert setting("blog-migrate.service", "Service.ExecStart") == f"{DEPLOYED_BIN}/flask --app wsgi db upgrade"
    assert setting("blog-purge.service", "Service.ExecStart") == f"{DEPLOYED_BIN}/flask --app wsgi blog purge"
    # Once per release, started by hand on one host: never pulled in by the hosts' own service.
    assert "Install.WantedBy" not in unit_settings("blog-migrate.service")
    assert "blog-migrate" not in (DEPLOY / "blog.service").read_text()


def test_socket_lets_nginx_connect():
    socket_unit = unit_settings("blog.socket")
    assert socket_unit["Socket.ListenStream"] == ["/run/blog/gunicorn.sock"]
    assert socket_unit["Socket.SocketGroup"] == ["www-data"] and socket_unit["Socket.SocketMode"] == ["0660"]


def test_socket_and_nginx_agree_on_the_address():
    """Every address the deployment files give nginx is one blog.socket listens on: the unix socket for an
    nginx beside the app, the port of its TCP line for a front nginx (the examples in the files' comments
    are what an operator copies)."""
    listen_path = setting("blog.socket", "Socket.ListenStream")
    def unix_paths(paths) -> set[str]:
        return {found for path in paths for found in re.findall(r"unix:(/\S+?);", path.read_text())}

    assert unix_paths(DEPLOY.glob("nginx/*.conf")) == {listen_path}
    assert unix_paths(DEPLOY.glob("blog*")) == {listen_path}

    socket_tcp = re.findall(r"^#\s+ListenStream=([\d.]+):(\d+)$", (DEPLOY / "blog.socket").read_text(), re.M)
    upstream_servers = re.findall(r"^\s*server ([\d.]+):(\d+)\b", UPSTREAM_CONF.read_text(), re.M)
    assert len(socket_tcp) == 1 and len(upstream_servers) >= 2
    assert socket_tcp[0] in upstream_servers
    assert {port for _address, port in upstream_servers} == {socket_tcp[0][1]}


# --- the nginx upstream for several hosts -----------------------------------------------------------------

def multi_host_config(directory: Path, port: int, servers: list[str] | None = None,
                      max_fails: int | None = None) -> Path:
    """A scratch nginx.conf serving as the README says: blog-http.conf with its upstream block replaced by
    blog-upstream.conf (the drop-in), blog-location.conf in ``location /``. Only the cache folder changes,
    and when given, the hosts (the first ``len(servers)`` server lines get those addresses, the others go)
    and their max_fails. Returns the nginx.conf path."""
    (directory / "cache").mkdir()
    (directory / "temp").mkdir()
    include = f"include {directory / 'blog-upstream.conf'};\n"
    http_conf, replaced = UPSTREAM_BLOCK.subn(lambda _block: include, HTTP_CONF.read_text())
    assert replaced == 1, f"{HTTP_CONF} should hold one `upstream blog_app` block"
    (directory / "blog-http.conf").write_text(http_conf.replace("/var/cache/nginx/blog", str(directory / "cache")))

    upstream = UPSTREAM_CONF.read_text()
    if servers is not None:
        addresses = iter(servers)

        def host(line: re.Match) -> str:
            address = next(addresses, None)
            return f"{line[1]}{address}{line[2]}\n" if address else ""

        upstream = re.sub(r"^(\s*server )[\d.]+:\d+(.*)\n", host, upstream, flags=re.M)
    if max_fails is not None:
        upstream = re.sub(r"max_fails=\d+", f"max_fails={max_fails}", upstream)
    (directory / "blog-upstream.conf").write_text(upstream)

    temp_paths = "\n".join(f"    {kind}_temp_path {directory / 'temp' / kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would run its workers as "nobody", who cannot enter a private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(f"""\
{user}worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} notice;
events {{}}
http {{
    access_log off;
{temp_paths}
    include {directory / 'blog-http.conf'};
    server {{
        listen 127.0.0.1:{port};
        location / {{
            include {LOCATION_CONF};
        }}
    }}
}}
""")
    return conf


def nginx_command(conf: Path, *arguments: str) -> list[str]:
    return [nginx_binary(), "-p", str(conf.parent), "-c", str(conf), *arguments]


@needs_nginx
def test_multi_host_upstream_passes_nginx_t(tmp_path):
    """The drop-in as shipped, hosts 10.0.0.11-13 and all, with the project's other two nginx files."""
    conf = multi_host_config(tmp_path, free_port())
    result = subprocess.run(nginx_command(conf, "-t"), capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "upstream blog_app" not in (tmp_path / "blog-http.conf").read_text()



class Host:
    """A stand-in app host on loopback that records the request line of every request it reads, then dies
    before it answers (as a host killed in the middle of a request does)."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.is_running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        while self.is_running:
            try:
                connection, _peer = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                self.answer(connection, *self.read_head(connection))

    def read_head(self, connection) -> tuple[bytes, bytes]:
        """The request's head (recorded) and what of its body came with it."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the headers ended")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        method, path, _version = head.split(b"\r\n", 1)[0].decode().split(" ")
        self.requests.append((method, path))
        return head, body

    def answer(self, connection, head: bytes, body: bytes):
        """Nothing: the connection closes unanswered."""

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.is_running = False
        self.thread.join(timeout=5)
        self.listener.close()


class AnsweringHost(Host):
    """A host that reads the whole request and answers 200."""

    def answer(self, connection, head: bytes, body: bytes):
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        while length and len(body) < int(length[1]):
            body += connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nanswered")


@contextlib.contextmanager
def running_nginx(conf: Path, port: int):
    """nginx in the foreground with ``conf``, once it accepts connections on ``port``; stopped on exit."""
    with open(conf.parent / "output.log", "w+") as output:
        process = subprocess.Popen(nginx_command(conf, "-g", "daemon off;"), stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=output)
        try:
            deadline = time.monotonic() + TIMEOUT
            while True:
                assert process.poll() is None, (conf.parent / "output.log").read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not listen in time"
                    time.sleep(0.05)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


@needs_nginx
def test_a_post_that_reached_a_host_is_never_sent_to_another(tmp_path):
    """Through the drop-in, with a host that dies after reading each request and one that answers: a GET it
    took is answered by the other host; a POST it took gets a 502 and reaches no other host, since the dead
    one may have stored the comment. (max_fails is off in this copy, so the dead host keeps its turn.)"""
    port = free_port()
    with Host() as dying, AnsweringHost() as answering:
        conf = multi_host_config(tmp_path, port, servers=[dying.address, answering.address], max_fails=0)
        with running_nginx(conf, port):
            statuses = {}
            # A GET the dying host took is retried on the other, which moves the round robin on by two, so
            # which one goes first alternates: each method meets the dying host.
            for number in range(6):
                for method in ("GET", "POST") if number % 2 else ("POST", "GET"):
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
                    path = f"/{method.lower()}/{number}"
                    connection.request(method, path, body=b"comment=hello" if method == "POST" else None)
                    response = connection.getresponse()
                    statuses[method, path] = (response.status, response.read())
                    connection.close()

    died_on = set(dying.requests)
    assert {method for method, _path in died_on} == {"GET", "POST"}, "the dying host took no GET or no POST"
    assert len(answering.requests) == len(set(answering.requests))
    for (method, path), (status, body) in statuses.items():
        if method == "GET" or (method, path) not in died_on:
            assert (status, body) == (200, b"answered"), (method, path)
            assert (method, path) in answering.requests
        else:
            assert status == 502, (method, path)
            assert (method, path) not in answering.requests


# --- socket activation, as systemd does it -----------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, as nginx talks to /run/blog/gunicorn.sock."""

    def __init__(self, socket_path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def health_over(socket_path: str) -> tuple[int, bytes]:
    connection = UnixHTTPConnection(socket_path, timeout=TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                    reason="systemd-socket-activate is not installed (Debian: the systemd package): "
                           "gunicorn's socket activation is not tried")
def test_socket_activation(tmp_path):
    """blog.service's command under systemd-socket-activate, which holds the socket, starts the command at
    the first connection and hands it the socket (LISTEN_FDS) as systemd does: gunicorn serves on that
    socket and not on gunicorn.conf.py's bind, says READY=1 (Type=notify), reloads on SIGHUP still
    serving, and stops on SIGTERM leaving the socket, which is systemd's, in place."""
    instance = tmp_path / "instance"
    flask_command(blog_environment(instance), "db", "upgrade")
    command = shlex.split(setting("blog.service", "Service.ExecStart"))
    command[0] = command[0].replace(DEPLOYED_BIN, str(Path(sys.executable).parent))
    unused_port = free_port()

    # A unix socket's path has to be short: not under pytest's tmp_path.
    with tempfile.TemporaryDirectory(prefix="blog-activate-") as name, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify, \
            open(tmp_path / "gunicorn.log", "w+") as log:
        socket_path, notify_path = f"{name}/gunicorn.sock", f"{name}/notify"
        notify.bind(notify_path)
        notify.settimeout(TIMEOUT)
        environment = {"BLOG_INSTANCE_PATH": str(instance), "WEB_CONCURRENCY": "1", "HOST": "127.0.0.1",
                       "PORT": str(unused_port), "NOTIFY_SOCKET": notify_path}
        process = subprocess.Popen(
            ["systemd-socket-activate", "--listen", socket_path,
             *(f"--setenv={key}={value}" for key, value in environment.items()), *command],
            cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            wait_for(lambda: Path(socket_path).exists() or process.poll() is not None, "the socket")
            assert process.poll() is None, log.read()

            assert health_over(socket_path) == (200, b'{"status":"ok"}\n')
            assert b"READY=1" in notify.recv(4096).split(b"\n")
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", unused_port), timeout=2).close()

            process.send_signal(signal.SIGHUP)
            wait_for(lambda: "Handling signal: hup" in (tmp_path / "gunicorn.log").read_text(), "the reload")
            for _ in range(3):
                assert health_over(socket_path)[0] == 200

            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=TIMEOUT) == 0
            assert Path(socket_path).is_socket()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
