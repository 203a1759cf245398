"""Instructions per comment POST, the blog's and Isso 0.14.0's, counted by callgrind in one process each.

Wall-clock figures on a shared machine say as much about the neighbours as about the code; the
instructions a POST executes do not. Each app runs in one process under ``valgrind --tool=callgrind``,
called as a WSGI app (an environ like gunicorn's, no server, no socket): the blog (``bench.app``, with
``make bench``'s database of 200 comments, or ``--comments``, and its settings) and Isso (``isso.run``, from
bench/.isso-venv, set up as ``make bench`` sets it up). Each takes WARMUP POSTs first (imports, caches,
compiled statements), then N, once with N = FEW and once with N = MANY; the difference of the two
totals over MANY - FEW is one POST's share, start-up and warm-up cancelled out. Every POST is a new
text from one of 32 readers in turn, as bench/post_comments.lua and bench/isso_comments.lua send; the
bodies are made once, only the text's number put in per POST, so the harness costs next to nothing.

    python bench/instructions.py [--keep FOLDER] [--few 20] [--many 120] [--with-page] [--comments 200]

With ``--with-page``, the blog alone, and each POST followed by a GET of the post page by a reader
without a cookie: the page rendered again after a new comment, as every worker renders it for the
readers that follow (its share is the difference with a run without it).

With ``--keep``, the callgrind files stay in FOLDER for ``callgrind_annotate``. It takes a few minutes:
callgrind runs Python some fifty times slower.
"""

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POST_PAGE = "/how-ketamine-works/"
READERS = 32
WARMUP = 30
TEXT = ("Benchmark comment NUMBER: thank you for the clear explanation. "
        "I had not understood how the dose changes the effect until now.")
ACKNOWLEDGED = {"blog": "303", "isso": "201"}


def environ(method: str, path: str, query: str = "", body: bytes = b"", content_type: str = "") -> dict:
    """The environ gunicorn's sync worker hands an app for a request on loopback."""
    return {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
        "RAW_URI": path + (f"?{query}" if query else ""), "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "wrk", "HTTP_ACCEPT": "*/*",
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def call(app, request: dict) -> tuple[str, bytes]:
    """The status and body of one request."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status.split()[0]

    chunks = app(request, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], body


def blog_posts():
    """The blog's app and a function making its ``number``-th POST: the shared page's form, fetched once."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.app import app
    from bench.run import CSRF_TOKEN, FORM_STAMP

    status, page = call(app, environ("GET", POST_PAGE))
    html = page.decode()
    token, stamp = CSRF_TOKEN.search(html).group(1), FORM_STAMP.search(html).group(1)

    bodies = [urlencode({"author": f"Bench Reader {reader}", "email": f"bench{reader}@example.org", "url": "",
                         "comment": TEXT, "parent": "0", "csrf_token": token, "issued": stamp})
              for reader in range(1, READERS + 1)]

    def post(number: int) -> dict:
        body = bodies[number % READERS].replace("NUMBER", str(number), 1).encode()
        return environ("POST", POST_PAGE + "comments", body=body, content_type="application/x-www-form-urlencoded")

    return app, post


def isso_posts():
    """Isso's app and a function making its ``number``-th POST (JSON, its thread opened beforehand)."""
    # This script's folder comes first on sys.path, and its isso.py is not Isso.
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
    from isso.run import application

    bodies = [json.dumps({"text": TEXT, "author": f"Bench Reader {reader}", "email": f"bench{reader}@example.org",
                          "website": None, "parent": None}) for reader in range(1, READERS + 1)]

    def post(number: int) -> dict:
        body = bodies[number % READERS].replace("NUMBER", str(number), 1).encode()
        return environ("POST", "/new", query=urlencode({"uri": POST_PAGE}), body=body,
                       content_type="application/json")

    return application, post


def child(kind: str, count: int, with_page: bool = False) -> None:
    """In the process callgrind watches: WARMUP POSTs, then ``count`` more, each followed by a GET of the
    post page ``with_page``; any other answer fails it."""
    app, post = blog_posts() if kind == "blog" else isso_posts()
    for number in range(WARMUP + count):
        status, body = call(app, post(number))
        if status != ACKNOWLEDGED[kind]:
            sys.exit(f"{kind}: POST {number} answered {status}: {body[:300]!r}")
        if with_page and (page_status := call(app, environ("GET", POST_PAGE))[0]) != "200":
            sys.exit(f"{kind}: the post page after POST {number} answered {page_status}")


def counted(python: Path, kind: str, count: int, folder: Path, source: Path, environment: dict,
            with_page: bool = False) -> int:
    """The instructions of one run under callgrind, on a fresh copy of ``source`` (the prepared folder)."""
    work = folder / f"{kind}-{count}"
    shutil.copytree(source, work)
    output = folder / f"callgrind.{kind}.{count}.out"
    variables = {**environment, "PYTHONHASHSEED": "0"}
    if kind == "blog":
        variables["BLOG_INSTANCE_PATH"] = str(work)
    else:
        config = work / "isso.cfg"
        config.write_text(re.sub(r"^dbpath = .*$", f"dbpath = {work / 'comments.db'}",
                                 config.read_text(), flags=re.MULTILINE))
        variables["ISSO_SETTINGS"] = str(config)
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}",
                    str(python), str(Path(__file__).resolve()), "--child", kind, "--count", str(count),
                    *(["--with-page"] if with_page else [])],
                   cwd=work, env=variables, check=True, capture_output=True, text=True, timeout=3600)
    totals = re.search(r"^(?:summary|totals): (\d+)", output.read_text(), re.MULTILINE)
    return int(totals.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description="callgrind instructions per comment POST, the blog's and Isso's.")
    parser.add_argument("--few", type=int, default=20)
    parser.add_argument("--many", type=int, default=120)
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this folder")
    parser.add_argument("--only", choices=["blog", "isso"], help="count one app alone")
    parser.add_argument("--comments", type=int, default=200, help="approved comments on the post beforehand")
    parser.add_argument("--with-page", action="store_true",
                        help="the blog alone, each POST followed by a GET of the post page")
    parser.add_argument("--child", choices=["blog", "isso"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.count, arguments.with_page)
        return 0
    if not 0 <= arguments.few < arguments.many <= 2000:
        parser.error("keep it bounded: 0 <= --few < --many <= 2000")
    if not 0 <= arguments.comments <= 100_000:
        parser.error("keep it bounded: 0 <= --comments <= 100000")
    if not shutil.which("valgrind"):
        parser.error("valgrind is not installed")

    sys.path.insert(0, str(PROJECT_ROOT))
    from bench import isso, run

    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="blog-instructions-"))
    folder.mkdir(parents=True, exist_ok=True)
    if arguments.with_page and arguments.only == "isso":
        parser.error("--with-page counts the blog's page: Isso has none")
    kinds = ["blog"] if arguments.with_page else [arguments.only] if arguments.only else ["blog", "isso"]
    try:
        sources = {}
        if "blog" in kinds:
            # Its folder stays until the end, in ``folder``.
            with run.sqlite_database(folder, arguments.comments) as database:
                sources["blog"] = (Path(sys.executable), database.folder, run.blog_environment(folder))
        if "isso" in kinds:
            python = isso.python(run.progress)
            sources["isso"] = (python, isso.prepare(python, folder / "isso", origin="http://127.0.0.1:8000",
                                                    uri=POST_PAGE).parent, run.clean_environment())
        run.progress(f"counting {', '.join(kinds)} under callgrind: {arguments.few} and {arguments.many} POSTs "
                     f"after {WARMUP}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = {(kind, count): pool.submit(counted, *sources[kind][:1], kind, count, folder, *sources[kind][1:],
                                               with_page=arguments.with_page)
                    for kind in kinds for count in (arguments.few, arguments.many)}
            totals = {job: run.result() for job, run in runs.items()}
        posts = arguments.many - arguments.few
        per_post = {kind: (totals[kind, arguments.many] - totals[kind, arguments.few]) / posts for kind in kinds}
        what = "comment POST and the post page after it" if arguments.with_page else "comment POST"
        print(f"\n| app | instructions per {what} |\n|---|--:|")
        for kind in kinds:
            print(f"| {'the blog' if kind == 'blog' else f'Isso {isso.VERSION}'} | {per_post[kind] / 1e6:.2f} M |")
        if len(kinds) == 2:
            print(f"\nThe blog's POST executes {per_post['blog'] / per_post['isso']:.2f} x Isso's instructions.")
        if arguments.keep:
            print(f"\ncallgrind files in {folder} (callgrind_annotate {folder}/callgrind.blog.{arguments.many}.out)")
    finally:
        if not arguments.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
