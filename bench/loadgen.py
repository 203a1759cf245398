"""A bounded HTTP load generator for ``make bench`` when wrk is not installed.

Keep-alive connections (``http.client``), one thread each, spread over a few processes so that one
interpreter's lock does not cap the load; every connection runs for the same fixed time, then stops.
It prints one JSON object: requests, requests/s, latency percentiles, statuses, errors.

    python -m bench.loadgen http://127.0.0.1:8000/bench/hello --connections 32 --duration 10

With ``--clients FILE`` it posts comments instead: each connection is one reader whose form was
fetched once (a line ``cookie<TAB>csrf_token<TAB>issued`` of FILE, the cookie possibly empty), and
every post has its own text. With ``--isso`` it posts Isso's comments: JSON, no form, no cookie.
"""

import argparse
import http.client
import json
import os
import socket
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

REQUEST_TIMEOUT = 10


def comment_text(tag: str, connection: int, number: int) -> str:
    """Distinct text each time, so no post is refused as a duplicate."""
    return (f"Benchmark comment {tag}-{connection}-{number}: thank you for the clear explanation. "
            "I had not understood how the dose changes the effect until now.")


def comment_body(client: dict, tag: str, connection: int, number: int) -> bytes:
    """The form a reader sends."""
    return urllib.parse.urlencode({
        "author": "Bench Reader", "email": f"bench{connection}@example.org", "url": "",
        "comment": comment_text(tag, connection, number),
        "parent": "0", "csrf_token": client["csrf_token"], "issued": client["issued"],
    }).encode()


def isso_body(tag: str, connection: int, number: int) -> bytes:
    """What Isso's own client sends: JSON, which is also Isso's CSRF check (a form cannot send it)."""
    return json.dumps({"text": comment_text(tag, connection, number), "author": f"Bench Reader {connection}",
                       "email": f"bench{connection}@example.org", "website": None, "parent": None}).encode()


def send(connection: http.client.HTTPConnection, path: str, client: dict | None, isso: bool, tag: str, index: int,
         number: int) -> None:
    """One request: a GET, a reader's comment form, or an Isso comment."""
    if isso:
        connection.request("POST", path, body=isso_body(tag, index, number),
                           headers={"Content-Type": "application/json"})
    elif client is not None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if client["cookie"]:
            headers["Cookie"] = client["cookie"]
        connection.request("POST", path, body=comment_body(client, tag, index, number), headers=headers)
    else:
        connection.request("GET", path)


def read_clients(path: str) -> list[dict]:
    clients = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                cookie, token, issued = line.rstrip("\n").split("\t")
                clients.append({"cookie": cookie, "csrf_token": token, "issued": issued})
    return clients


def _connection_loop(host, port, path, start_at, stop_at, index, clients, isso, tag, results):
    latencies, statuses, errors, number = [], Counter(), 0, 0
    client = clients[index % len(clients)] if clients else None
    connection = None
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        began = time.perf_counter()
        if time.time() >= stop_at:
            break
        try:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
            number += 1
            send(connection, path, client, isso, tag, index, number)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - began)
            statuses[response.status] += 1
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException, socket.timeout):
            errors += 1
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.01)
    if connection is not None:
        connection.close()
    results.append((latencies, statuses, errors, time.time()))


def _process(host, port, path, start_at, stop_at, indexes, clients, isso, tag):
    results = []
    threads = [threading.Thread(target=_connection_loop,
                                args=(host, port, path, start_at, stop_at, index, clients, isso, tag, results))
               for index in indexes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=stop_at - time.time() + 2 * REQUEST_TIMEOUT)
    latencies, statuses, errors, ended = [], Counter(), 0, start_at
    for part_latencies, part_statuses, part_errors, part_ended in list(results):
        latencies += part_latencies
        statuses += part_statuses
        errors += part_errors
        ended = max(ended, part_ended)
    return latencies, dict(statuses), errors, ended


def percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run(url: str, connections: int, duration: float, clients: list[dict] | None = None, tag: str = "",
        processes: int | None = None, isso: bool = False) -> dict:
    """Drive ``url`` for ``duration`` seconds; the summary as a dict (latencies in milliseconds)."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("the load generator only drives loopback addresses")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    processes = max(1, min(processes or os.cpu_count() or 1, 2, connections))
    groups = [list(range(number, connections, processes)) for number in range(processes)]
    start_at = time.time() + 0.5
    stop_at = start_at + duration
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("fork")) as pool:
        futures = [pool.submit(_process, parts.hostname, parts.port or 80, path, start_at, stop_at, group,
                               clients, isso, tag) for group in groups]
        outcomes = [future.result(timeout=duration + 4 * REQUEST_TIMEOUT) for future in futures]
    latencies, statuses, errors, ended = [], Counter(), 0, start_at
    for part_latencies, part_statuses, part_errors, part_ended in outcomes:
        latencies += part_latencies
        statuses.update({int(status): count for status, count in part_statuses.items()})
        errors += part_errors
        ended = max(ended, part_ended)
    latencies.sort()
    elapsed = max(ended - start_at, 1e-9)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_second": len(latencies) / elapsed,
        "p50_ms": None if not latencies else percentile(latencies, 0.50) * 1000,
        "p99_ms": None if not latencies else percentile(latencies, 0.99) * 1000,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "errors": errors,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--clients", help="post comments as these readers (cookie, csrf_token, issued per line)")
    parser.add_argument("--isso", action="store_true", help="post Isso comments (JSON) instead")
    parser.add_argument("--tag", default="py", help="part of every posted text, unique per run")
    arguments = parser.parse_args()
    if not 1 <= arguments.connections <= 256 or not 0 < arguments.duration <= 120:
        parser.error("keep it bounded: 1-256 connections, at most 120 seconds")
    clients = read_clients(arguments.clients) if arguments.clients else None
    print(json.dumps(run(arguments.url, arguments.connections, arguments.duration, clients, arguments.tag,
                         arguments.processes, arguments.isso)))


if __name__ == "__main__":
    main()
