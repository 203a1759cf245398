"""The real thing for tests that need it: the app served by gunicorn on a loopback port."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def blog_environment(instance_path, **variables) -> dict:
    """The process environment for the blog's commands, without the developer's own settings."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("FLASK_") and name not in {"DATABASE_URL", "WEB_CONCURRENCY"}}
    environment.update(BLOG_INSTANCE_PATH=str(instance_path), **variables)
    return environment


def flask_command(environment, *arguments) -> subprocess.CompletedProcess:
    """Run ``flask --app wsgi …`` as an operator would, failing the test if it fails."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], cwd=PROJECT_ROOT,
                          env=environment, capture_output=True, text=True, check=True, timeout=120)


@contextlib.contextmanager
def gunicorn(environment, workers=2, ready_path="/healthz", timeout=30):
    """Serve the blog with gunicorn.conf.py on a free loopback port; yield its base URL."""
    with gunicorn_process(environment, workers, ready_path, timeout) as (base_url, _process):
        yield base_url


@contextlib.contextmanager
def gunicorn_process(environment, workers=2, ready_path="/healthz", timeout=30):
    """Like ``gunicorn``, yielding the base URL and the master process too, for tests that signal it."""
    port = free_port()
    environment = dict(environment, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY=str(workers))
    # gunicorn's own log goes to a file, not a pipe that could fill up and stall the workers.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                               cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn exited: {log.read()}")
            try:
                with urllib.request.urlopen(base_url + ready_path, timeout=2):
                    break
            except OSError:  # refused, reset or timed out while the workers boot
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base_url, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
