"""Whether a sign-in's answer time tells which admin names exist: an unknown name against a wrong password
for a real one, alternated in one process, as the ratio of their medians (1.0: the same hash work).

    .venv/bin/python bench/sign_in.py [--rounds 15]

It is a benchmark, not a test: it prints the figures and asserts no timing.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from blog.extensions import db  # noqa: E402 -- needs the project on sys.path first
from tests.factories import make_admin, make_app  # noqa: E402

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    # No throttle in the way: every attempt must reach the password check.
    app = make_app(Path(tempfile.mkdtemp()), AUTH_MAX_FAILURES=rounds * 2, AUTH_MAX_FAILURES_PER_IP=rounds * 2)
    with app.app_context():
        db.create_all()
        make_admin("boss")
    client = app.test_client()
    token = CSRF_TOKEN.search(client.get("/admin/login").get_data(as_text=True)).group(1)

    def attempt(name: str) -> float:
        started = time.perf_counter()
        response = client.post("/admin/login", data={"username": name, "password": "not the password",
                                                     "csrf_token": token})
        assert response.status_code == 401, response.status_code
        return time.perf_counter() - started

    times = {"unknown name": [], "wrong password": []}
    for _ in range(rounds):
        times["unknown name"].append(attempt("nobody"))
        times["wrong password"].append(attempt("boss"))
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    for kind, median in medians.items():
        print(f"{kind:>15}: median {median * 1000:.1f} ms of {rounds}")
    print(f"unknown name / wrong password: {medians['unknown name'] / medians['wrong password']:.2f}")


if __name__ == "__main__":
    main()
