"""``make bench``'s yardstick for comment POSTs: Isso 0.14.0, a comment server of its own, set up alike.

Isso lives in a venv of its own, bench/.isso-venv (made on first use, then kept: git ignores it),
never in the project's. It runs under gunicorn with the project's gunicorn.conf.py and as many sync
workers as the blog (``isso.run:application``, its WSGI entry point, reads ``ISSO_SETTINGS``). Its
configuration, in the scratch folder, has what the blog has in the bench: no moderation, no rate
limit (``[guard] enabled = false``), no notices; its site (``[general] host``) is the blog's gunicorn.

A POST to ``/new?uri=<page>`` takes JSON (text, author, email, website, parent). Isso's only CSRF check
is the Content-Type: anything but ``application/json`` (what a plain form could send) is a 403; there
is no token, no cookie and no form to fetch first. A new page's thread is made on its first comment,
with the title read from the page over HTTP (or a ``title`` field); here it is opened beforehand with
Isso's own code, in one process, so no POST under load fetches a page, and gunicorn's workers, booting
together, find a database with its tables and session key made (each would otherwise try to insert it).
"""

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VERSION = "0.14.0"
VENV = PROJECT_ROOT / "bench" / ".isso-venv"
APP = "isso.run:application"
LUA_SCRIPT = PROJECT_ROOT / "bench" / "isso_comments.lua"
DATABASE = "comments.db"
TITLE = "How ketamine works"

CONFIG = """\
# make bench's Isso: as the blog is in the bench, no moderation, no rate limit, no notices.
[general]
dbpath = {database}
host = {origin}/
# No notices: Isso has no word for none, so an empty list (it logs "unknown notification backend ''").
notify =
reply-notifications = false
gravatar = false

[moderation]
enabled = false

[guard]
enabled = false
"""

# Isso's own schema and thread code, run once before gunicorn starts.
OPEN_THREAD = """\
import sys
from isso import config, db
conf = config.load(config.default_file(), sys.argv[1])
db.SQLite3(conf.get("general", "dbpath"), conf).threads.new(sys.argv[2], sys.argv[3])
"""


def gunicorn_requirement() -> str:
    """The blog's own gunicorn pin, so both servers run the same gunicorn."""
    pinned = re.search(r"^gunicorn==\S+", (PROJECT_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    return pinned.group(0) if pinned else "gunicorn"


def python(progress) -> Path:
    """bench/.isso-venv's interpreter, with Isso and gunicorn, installed from PyPI the first time (a minute:
    misaka, one of Isso's dependencies, is compiled). A venv without its marker is made again from scratch."""
    interpreter = VENV / "bin" / "python"
    marker = VENV / f".installed-isso-{VERSION}"
    if not marker.exists():
        progress(f"installing Isso {VERSION} into {VENV.relative_to(PROJECT_ROOT)} (once)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True,
                       text=True, timeout=300)
        subprocess.run([str(interpreter), "-m", "pip", "install", "--quiet", f"isso=={VERSION}",
                        gunicorn_requirement()], check=True, capture_output=True, text=True, timeout=900)
        marker.touch()
    return interpreter


def prepare(interpreter: Path, folder: Path, origin: str, uri: str) -> Path:
    """The scratch folder with Isso's configuration and a database holding the thread for ``uri``."""
    folder.mkdir()
    config = folder / "isso.cfg"
    config.write_text(CONFIG.format(database=folder / DATABASE, origin=origin))
    subprocess.run([str(interpreter), "-c", OPEN_THREAD, str(config), uri, TITLE], cwd=folder, check=True,
                   capture_output=True, text=True, timeout=60)
    return config


def new_path(uri: str) -> str:
    return f"/new?uri={uri}"


def stored_comments(folder: Path, tag: str) -> int:
    connection = sqlite3.connect(folder / DATABASE, timeout=30)
    try:
        return connection.execute("SELECT count(*) FROM comments WHERE text LIKE ?",
                                  (f"Benchmark comment {tag}-%",)).fetchone()[0]
    finally:
        connection.close()
