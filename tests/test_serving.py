"""What ``make run`` does, done by hand: migrate, seed, and serve with gunicorn and several workers."""

import stat
import subprocess
import urllib.request

import pytest

from tests.servers import PROJECT_ROOT, blog_environment, flask_command, gunicorn

pytestmark = pytest.mark.processes


def test_gunicorn_serves_the_seed_article(tmp_path):
    environment = blog_environment(tmp_path / "instance")
    flask_command(environment, "db", "upgrade")
    seeded = flask_command(environment, "blog", "seed")
    assert seeded.stdout == "Imported the seed post /how-ketamine-works/.\n"

    with gunicorn(environment, workers=3) as base_url:
        for _ in range(6):
            with urllib.request.urlopen(base_url + "/how-ketamine-works/", timeout=10) as page:
                assert page.status == 200
                assert b"N-methyl-D-aspartate" in page.read()
        with urllib.request.urlopen(base_url + "/healthz", timeout=10) as health:
            assert health.read() == b'{"status":"ok"}\n'

    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (tmp_path / "instance" / "blog.sqlite3").exists()


def test_make_run_says_how_to_start_moderating():
    """``make run`` ends serving, so what to do next (an admin, where to sign in) comes before gunicorn starts,
    at the address it serves on. ``make -n`` prints the recipe without running it."""
    recipe = subprocess.run(["make", "-n", "run", "HOST=127.0.0.9", "PORT=8123"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    serve = next(index for index, line in enumerate(recipe) if "gunicorn" in line)
    hints = "\n".join(line for line in recipe[:serve] if line.startswith("echo"))
    assert ".venv/bin/flask --app wsgi blog create-admin NAME" in hints
    assert "http://127.0.0.9:8123/admin/login" in hints
