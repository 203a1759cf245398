"""App "hosts" on one machine: each a network namespace of its own, joined to the test's own bridge.

``private_network(count)`` makes a bridge in the root namespace with the address 10.213.<n>.254/24 (a
/24 nothing on the machine uses yet) and ``count`` namespaces ``blogtest-<tag>-a``, ``-b``…, each with
loopback up and one end of a veth pair (the other end on the bridge) at 10.213.<n>.11, .12…. The
namespaces have no route but that /24, so nothing they send can leave the machine; loopback there is
their own, which is why what they need of the root namespace (PostgreSQL, Redis) must be offered at
the bridge's address. Everything is removed on exit, whatever happened.

``AppHost`` runs gunicorn (gunicorn.conf.py, ``wsgi:app``) inside one namespace, bound to its address,
in a process group of its own, so a test can kill the master and its workers at once or reload it.
"""

import contextlib
import dataclasses
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from tests.servers import PROJECT_ROOT

COMMAND_TIMEOUT = 30
APP_PORT = 8000


def ip(*arguments, check=True) -> subprocess.CompletedProcess:
    """Run ``ip …``; a failure raises with ip's own message."""
    result = subprocess.run(["ip", *arguments], capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(arguments)}: {result.stderr.strip()}")
    return result


def unavailable_reason() -> str | None:
    """Why this machine cannot make network namespaces for the test, or None when it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "network namespaces need root (ip netns add), and the test does not run as root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    probe = f"blogtest-probe-{secrets.token_hex(3)}"
    result = ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"ip netns add fails here: {result.stderr.strip()}"
    ip("netns", "delete", probe, check=False)
    return None


def unused_subnet() -> int:
    """A third octet n for which no address or route of the machine is in 10.213.n.0/24."""
    used = ip("-4", "-o", "addr", "show").stdout + ip("-4", "route", "show", "table", "all").stdout
    candidates = [n for n in range(1, 255) if f"10.213.{n}." not in used and "10.213.0.0/16" not in used]
    if not candidates:
        raise RuntimeError("every 10.213.n.0/24 is in use on this machine")
    return random.choice(candidates)


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: a zombie has closed its files and counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


@dataclasses.dataclass
class Network:
    subnet: int
    bridge: str
    namespaces: list[str]

    @property
    def gateway(self) -> str:
        """The bridge's address, in the root namespace: where the hosts find PostgreSQL and Redis."""
        return f"10.213.{self.subnet}.254"

    def address(self, index: int) -> str:
        """The address of host ``index`` (0 for the first), inside its namespace."""
        return f"10.213.{self.subnet}.{11 + index}"


@contextlib.contextmanager
def private_network(count: int):
    """A bridge and ``count`` namespaces on it (see the module docstring); all removed afterwards."""
    tag = secrets.token_hex(3)
    subnet = unused_subnet()
    network = Network(subnet, f"bt{tag}", [f"blogtest-{tag}-{chr(ord('a') + index)}" for index in range(count)])
    with contextlib.ExitStack() as cleanup:
        ip("link", "add", network.bridge, "type", "bridge")
        cleanup.callback(ip, "link", "delete", network.bridge, check=False)
        ip("addr", "add", f"{network.gateway}/24", "dev", network.bridge)
        ip("link", "set", network.bridge, "up")
        for index, namespace in enumerate(network.namespaces):
            outside, inside = f"bt{tag}{index}o", f"bt{tag}{index}i"
            ip("netns", "add", namespace)
            cleanup.callback(ip, "netns", "delete", namespace, check=False)
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            # Deleting the namespace deletes the inside end and so the pair; this is for a half-made one.
            cleanup.callback(ip, "link", "delete", outside, check=False)
            ip("link", "set", inside, "netns", namespace)
            ip("link", "set", outside, "master", network.bridge)
            ip("link", "set", outside, "up")
            ip("-n", namespace, "addr", "add", f"{network.address(index)}/24", "dev", inside)
            ip("-n", namespace, "link", "set", inside, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield network


class AppHost:
    """gunicorn with ``workers`` workers in ``namespace``, bound to ``address``:8000."""

    def __init__(self, name: str, namespace: str, address: str, environment: dict, workers: int = 2,
                 log_path=None):
        self.name, self.namespace, self.address = name, namespace, address
        self.base_url = f"http://{address}:{APP_PORT}"
        self.environment = dict(environment, HOST=address, PORT=str(APP_PORT), WEB_CONCURRENCY=str(workers))
        self.workers = workers
        self.process = None
        # gunicorn's log goes to a file, not a pipe that could fill up and stall it; shown when it fails to
        # start, and kept at ``log_path`` (if given) for a failed test to be read.
        self.log = open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+")

    def start(self, timeout: float = 60):
        """Start it, and wait until /healthz answers from the root namespace."""
        self.launch()
        self.wait_until_ready(timeout)

    def launch(self):
        """Start it, not waiting: several hosts boot at once."""
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "wsgi:app"], cwd=PROJECT_ROOT, env=self.environment, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)

    def wait_until_ready(self, timeout: float = 60):
        """Wait until /healthz answers from the root namespace; fail with gunicorn's log if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on host {self.name} exited: {self.log_text()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn on host {self.name} did not answer: {self.log_text()}") from None
                time.sleep(0.2)

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def worker_pids(self) -> list[int]:
        result = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True,
                                timeout=COMMAND_TIMEOUT)
        return [int(pid) for pid in result.stdout.split()]

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the master and its workers at once, as a host that loses power; return once all of them
        are gone (the listening socket closes with the last of them)."""
        processes = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=COMMAND_TIMEOUT)
        for _ in range(COMMAND_TIMEOUT * 100):
            if not any(is_alive(pid) for pid in processes):
                return
            time.sleep(0.01)
        raise RuntimeError(f"host {self.name}'s processes outlived SIGKILL")

    def reload(self):
        """SIGHUP: gunicorn starts new workers and lets the old ones finish their requests."""
        self.process.send_signal(signal.SIGHUP)

    def stop(self):
        """Stop it gracefully if it runs, and make sure nothing of its process group is left."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=COMMAND_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=COMMAND_TIMEOUT)
        self.log.close()
