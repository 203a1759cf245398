"""Redis for tests (DESIGN.md section 11): the server at TEST_REDIS_URL, each test's keys under a prefix of
its own and removed afterwards, and a redis-server of a test's own, to stop and start again."""

import contextlib
import os
import shutil
import subprocess
import time
import uuid

import pytest
import redis

from tests.servers import free_port


def redis_url_or_skip() -> str:
    """TEST_REDIS_URL, or the test skipped saying why."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set; the Redis tests skipped")
    return url


@contextlib.contextmanager
def key_prefix(url: str, name: str = "blog-test"):
    """A prefix ``<name>-<random>:`` no other test (or bench run) uses; every key under it is deleted afterwards."""
    prefix = f"{name}-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        with redis.Redis.from_url(url) as client:
            for key in client.scan_iter(match=prefix + "*"):
                client.delete(key)


class RedisServer:
    """A redis-server of the test's own on a free loopback port, keeping nothing on disk."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed; the Redis outage tests skipped")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = None

    def start(self):
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
            for _ in range(100):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self._process.poll() is not None:
                        raise RuntimeError("redis-server exited") from None
                    time.sleep(0.05)
        raise RuntimeError("redis-server did not answer")

    def kill(self):
        """Stop it at once, as a crash would (SIGKILL)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)
