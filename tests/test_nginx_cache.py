"""The micro-cache of deploy/nginx in front of real gunicorn: anonymous readers share one copy of a post
page, renewed within max-age + stale-while-revalidate; a burst costs one render; nothing of a person
(cookies, held comments, remembered details, an admin's pages) is ever kept for, or shown to, others;
POSTs always reach the app; a page in the language its URL names is one copy whatever the Accept-Language.

Two sites, each one gunicorn (two workers, a fresh SQLite instance) behind its own nginx (tests/nginx.py,
with the project's very nginx files): "open" approves every comment and keeps pages 2 s (+ 1 s stale),
so a test can wait for them to change; "held" holds every comment and keeps the defaults (60 s + 60 s).
Only loopback traffic; every wait has a deadline.
"""

import dataclasses
import http.client
import http.cookiejar
import json
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.nginx import Nginx, nginx_binary, nginx_proxy
from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.servers import blog_environment, flask_command, gunicorn

pytestmark = [pytest.mark.processes, pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (Debian: apt-get install nginx-light): the micro-cache tests run a real one")]

TIMEOUT = 15
PAGE = "/how-ketamine-works/"
HELD_TEXT = "Your comment is awaiting moderation."
OWN_EDIT_TEXT = "You can edit or delete your comment until"
INBOX_TEXT = "Check your inbox: follow the link in our confirmation mail to get mail about replies."
ADMIN, PASSWORD = "boss", "correct horse battery staple"
OWN_COOKIES = ("session", "comments_held", "comment_author", "comments_posted", "comments_own", "comments_notice")
# What nginx says when it answered from what it keeps: such a response must carry no cookie.
FROM_CACHE = {"HIT", "STALE", "UPDATING", "REVALIDATED"}

# Every answer any test got through nginx, and every address a commenter gave: test 5 looks at them all.
ANSWERS: list["Answer"] = []
EMAILS: set[str] = set()
PERSONAL_TEXTS: set[str] = set()


# --- a reader's browser, over real HTTP --------------------------------------------------------------

@dataclasses.dataclass
class Answer:
    method: str
    url: str
    status: int
    headers: http.client.HTTPMessage = dataclasses.field(repr=False)
    body: bytes = dataclasses.field(repr=False)

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def cache(self) -> str | None:
        return self.headers.get("X-Cache-Status")

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies it sets, by name: the whole Set-Cookie line of each."""
        return {line.split("=", 1)[0].strip(): line for line in self.headers.get_all("Set-Cookie") or []}

    def directives(self, header="Cache-Control") -> set[str]:
        return {part.strip().lower() for part in (self.headers.get(header) or "").split(",") if part.strip()}

    def hidden_fields(self) -> dict[str, str]:
        token, stamp = CSRF_TOKEN.search(self.text), FORM_STAMP.search(self.text)
        assert token and stamp, "the page has no comment form with a csrf_token and an issued stamp"
        return {"csrf_token": token.group(1), "issued": stamp.group(1)}


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand back a redirect as it came, so its status, Location and cookies can be checked."""

    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One reader: with ``cookies``, a cookie jar kept between requests; without, never a cookie sent."""

    def __init__(self, base_url: str, cookies=False):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar() if cookies else None
        handlers = [NoRedirects()] + ([urllib.request.HTTPCookieProcessor(self.jar)] if cookies else [])
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method, path, data=None, headers=None) -> Answer:
        url = self.base_url + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                answer = Answer(method, url, response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                answer = Answer(method, url, error.code, error.headers, error.read())
        ANSWERS.append(answer)
        return answer

    def get(self, path=PAGE, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path, data) -> Answer:
        return self.request("POST", path, data=data)

    def comment(self, form_page: Answer, text: str, author="Ann Reader", email="ann@example.org", **fields):
        """Post the comment form of ``form_page`` (a page it read) with its hidden fields."""
        EMAILS.add(email.lower())
        data = {"author": author, "email": email, "url": "", "comment": text, "parent": "0",
                **form_page.hidden_fields(), **fields}
        return self.post(PAGE + "comments", data)

    def cookie_names(self) -> set[str]:
        return {cookie.name for cookie in self.jar}

    def keep_only(self, *names):
        """Forget every cookie but these (as if the others had expired)."""
        for cookie in list(self.jar):
            if cookie.name not in names:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)


# --- the two sites -----------------------------------------------------------------------------------

@dataclasses.dataclass(repr=False)
class Site:
    app_url: str
    proxy: Nginx
    database: Path
    max_age: int
    stale: int

    def anonymous(self) -> Browser:
        return Browser(self.proxy.base_url)

    def reader(self) -> Browser:
        return Browser(self.proxy.base_url, cookies=True)

    def logged(self, uri, method="GET", count=1) -> list[dict]:
        """nginx's log lines for ``uri``, once at least ``count`` of them are written."""
        return self.proxy.wait_for_entries(lambda entry: entry["uri"] == uri and entry["method"] == method, count)

    def stored_comments(self) -> list[tuple]:
        with closing(sqlite3.connect(self.database, timeout=TIMEOUT)) as connection:
            return connection.execute("SELECT id, author, email, body_raw, status FROM comment ORDER BY id").fetchall()


@contextmanager
def site(folder: Path, moderation: str, max_age: int | None = None, stale: int | None = None):
    instance = folder / "instance"
    settings = {"FLASK_COMMENTS_MODERATION": json.dumps(moderation), "FLASK_COMMENTS_MIN_FILL_SECONDS": "0",
                "FLASK_COMMENTS_FLOOD_SECONDS": "0"}
    if max_age is not None:
        settings["FLASK_COMMENTS_CACHE_MAX_AGE"] = str(max_age)
    if stale is not None:
        settings["FLASK_COMMENTS_CACHE_STALE_WHILE_REVALIDATE"] = str(stale)
    environment = blog_environment(instance, **settings)
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")
    flask_command(environment, "blog", "create-admin", ADMIN, "--password", PASSWORD)
    with gunicorn(environment, workers=2) as app_url, nginx_proxy(app_url, workers=2) as proxy:
        yield Site(app_url, proxy, instance / "blog.sqlite3", 60 if max_age is None else max_age,
                   60 if stale is None else stale)


@pytest.fixture(scope="module")
def open_site(tmp_path_factory):
    """Every comment approved; pages kept 2 s, then served stale for 1 s while renewed."""
    with site(tmp_path_factory.mktemp("open"), "none", max_age=2, stale=1) as opened:
        yield opened


@pytest.fixture(scope="module")
def held_site(tmp_path_factory):
    """Every comment held for moderation; the default cache times (60 s, then 60 s stale)."""
    with site(tmp_path_factory.mktemp("held"), "all") as held:
        yield held


def unique(words: str) -> str:
    return f"{words} {uuid.uuid4().hex[:12]}"


def assert_shared_page(answer: Answer, site: Site):
    """The contract of a page every anonymous reader may share."""
    assert answer.status == 200, answer.status
    assert answer.headers.get_all("Set-Cookie") is None, answer.headers.get_all("Set-Cookie")
    assert answer.directives() == {"public", f"max-age={site.max_age}",
                                   f"stale-while-revalidate={site.stale}"}, answer.headers.get("Cache-Control")
    etag = answer.headers.get("ETag") or ""
    assert etag.startswith('"') and etag.endswith('"'), f"not a strong ETag: {etag!r}"
    vary = answer.directives("Vary")
    assert "accept-language" in vary and "cookie" not in vary, answer.headers.get("Vary")


def assert_own_page(answer: Answer):
    """The contract of a page of a reader's own: never kept, by nginx or anyone."""
    assert answer.status == 200, answer.status
    assert answer.cache == "BYPASS", answer.cache
    assert {"private", "no-store"} <= answer.directives(), answer.headers.get("Cache-Control")
    assert "cookie" in answer.directives("Vary"), answer.headers.get("Vary")


def location(answer: Answer) -> tuple[str, str]:
    """A redirect's target: its path (with query) and its fragment."""
    parts = urllib.parse.urlsplit(answer.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else ""), parts.fragment


def max_age(cookie_line: str) -> int | None:
    found = re.search(r"(?i)\bmax-age=(\d+)", cookie_line)
    return int(found.group(1)) if found else None


# --- 1. anonymous readers share one copy -------------------------------------------------------------

def test_anonymous_readers_are_served_one_copy_from_the_cache(held_site):
    uri = PAGE + "?utm_source=feed"  # a key of its own: cold whatever the other tests did first
    readers = [held_site.anonymous() for _ in range(6)]

    first = readers[0].get(uri)
    assert first.cache == "MISS"
    assert_shared_page(first, held_site)
    assert b"N-methyl-D-aspartate" in first.body
    later = [reader.get(uri) for reader in readers[1:]]
    assert [answer.cache for answer in later] == ["HIT"] * 5
    for answer in later:
        assert answer.body == first.body
        assert answer.headers.get_all("Set-Cookie") is None
        assert answer.headers.get("ETag") == first.headers.get("ETag")

    logged = held_site.logged(uri, count=6)
    assert len(logged) == 6
    assert [entry["upstream"] for entry in logged if entry["upstream"]] == [held_site.app_url.removeprefix("http://")]


# --- 2. a burst on a cold page costs one render ------------------------------------------------------

def test_a_burst_on_a_cold_page_reaches_the_app_once(held_site):
    uri = PAGE + "?burst=1"
    count = 20
    start = threading.Barrier(count, timeout=TIMEOUT)

    def read(_):
        reader = held_site.anonymous()
        start.wait()
        return reader.get(uri)

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = [future.result(timeout=3 * TIMEOUT) for future in [pool.submit(read, n) for n in range(count)]]

    assert [answer.status for answer in answers] == [200] * count
    assert sorted(answer.cache for answer in answers) == ["HIT"] * (count - 1) + ["MISS"]
    logged = held_site.logged(uri, count=count)
    assert len(logged) == count
    assert len([entry for entry in logged if entry["upstream"]]) == 1, logged
    assert len({answer.body for answer in answers}) == 1


# --- 3. a new comment shows through the cache in time ------------------------------------------------

def test_a_new_comment_shows_through_the_cache_within_max_age_and_stale(open_site):
    text = unique("Fresh news from another reader")
    anonymous = open_site.anonymous()
    anonymous.get()
    warm = anonymous.get()
    assert warm.cache in {"HIT", "STALE", "UPDATING", "REVALIDATED"}, warm.cache  # the cache holds the page
    assert text not in warm.text

    poster = open_site.reader()
    form_page = poster.get()
    assert poster.cookie_names() == set()
    posted = poster.comment(form_page, text, author="Paul Poster", email="paul.poster@example.org")
    posted_at = time.monotonic()
    assert posted.status == 303, (posted.status, posted.text[:500])
    path, fragment = location(posted)
    assert path == PAGE and re.fullmatch(r"comment-\d+", fragment), posted.headers["Location"]
    assert set(posted.cookies) == {"comments_posted", "comments_own"}, posted.cookies
    assert max_age(posted.cookies["comments_posted"]) == open_site.max_age + open_site.stale
    assert max_age(posted.cookies["comments_own"]) == 900  # the edit window (COMMENTS_EDIT_WINDOW_SECONDS)
    assert posted.headers.get("Clear-Site-Data") == '"cache"'

    # The poster, with the cookie, gets the page from the app at once.
    own = poster.get(path)
    assert_own_page(own)
    assert text in own.text and f'id="{fragment}"' in own.text

    # Everyone else, from the cache, within max-age + stale-while-revalidate (and a second of slack).
    deadline = posted_at + open_site.max_age + open_site.stale + 1
    seen = []
    while True:
        answer = anonymous.get()
        seen.append(answer.cache)
        assert answer.status == 200 and answer.headers.get_all("Set-Cookie") is None
        if text in answer.text:
            break
        assert time.monotonic() < deadline, f"not shown to anonymous readers in time; cache said {seen}"
        time.sleep(0.1)
    assert_shared_page(answer, open_site)


def test_once_the_posters_mark_expires_the_cache_has_no_copy_from_before_the_comment(open_site):
    """With nobody reading in between, the first view after the poster's mark expires must not be an
    expired copy without the comment (``proxy_cache_use_stale updating`` would serve one of any age:
    blog-location.conf leaves it to the app's stale-while-revalidate)."""
    uri = PAGE + "?idle=1"
    anonymous = open_site.anonymous()
    assert anonymous.get(uri).cache == "MISS"
    poster = open_site.reader()
    text = unique("Posted while the page sat idle")
    assert poster.comment(poster.get(), text).status == 303
    time.sleep(open_site.max_age + open_site.stale + 1.5)  # the mark is gone; nobody asked meanwhile
    answer = anonymous.get(uri)
    assert text in answer.text, (answer.cache, open_site.stored_comments()[-1])


# --- 4. nobody's own page is kept for others ---------------------------------------------------------

def test_own_pages_bypass_the_cache_and_nothing_personal_reaches_others(held_site):
    # A reader whose comment is held sees it, marked as waiting, on their own page.
    held_text = unique("A remark for the moderators only")
    harriet = held_site.reader()
    held = harriet.comment(harriet.get(), held_text, author="Harriet Held", email="harriet.held@example.org")
    assert held.status == 303, (held.status, held.text[:500])
    assert {"comments_held", "comments_posted"} <= set(held.cookies), held.cookies
    harriet.keep_only("comments_held")  # the held-comments cookie alone makes the page her own
    own = harriet.get()
    assert_own_page(own)
    assert held_text in own.text and HELD_TEXT in own.text

    # A reader who ticked "remember" finds the form filled in.
    remembered_text = unique("Please remember me")
    rita = held_site.reader()
    remembered = rita.comment(rita.get(), remembered_text, author="Rita Remembered",
                              email="rita.remembered@example.org", remember="y")
    assert remembered.status == 303, (remembered.status, remembered.text[:500])
    assert "comment_author" in remembered.cookies, remembered.cookies
    rita.keep_only("comment_author")
    own = rita.get()
    assert_own_page(own)
    assert 'value="Rita Remembered"' in own.text and 'value="rita.remembered@example.org"' in own.text
    PERSONAL_TEXTS.update({held_text, remembered_text, "Rita Remembered", "Harriet Held", OWN_EDIT_TEXT, INBOX_TEXT})

    # A poster whose comment is still in its edit window finds their Edit and Delete there.
    edith = held_site.reader()
    editable = edith.comment(edith.get(), unique("A remark to fix in a minute"), author="Edith Editor",
                             email="edith.editor@example.org")
    assert editable.status == 303, (editable.status, editable.text[:500])
    assert "comments_own" in editable.cookies, editable.cookies
    edith.keep_only("comments_own")  # the own-comments cookie alone makes the page her own
    own = edith.get()
    assert_own_page(own)
    assert OWN_EDIT_TEXT in own.text

    # A poster who ticked "Notify me" is told to check their inbox, beside their comment.
    nina = held_site.reader()
    asking = nina.comment(nina.get(), unique("Tell me about answers"), author="Nina Notified",
                          email="nina.notified@example.org", notify="y")
    assert asking.status == 303, (asking.status, asking.text[:500])
    assert "comments_notice" in asking.cookies, asking.cookies
    nina.keep_only("comments_held", "comments_notice")
    own = nina.get()
    assert_own_page(own)
    assert INBOX_TEXT in own.text
    nina.keep_only("comments_notice")  # the notice cookie alone makes the page her own
    assert_own_page(nina.get())

    # An admin, signed in, gets the post page and the moderation queue from the app, never the cache.
    admin = held_site.reader()
    login_page = admin.get("/admin/login")
    signed_in = admin.post("/admin/login", {"username": ADMIN, "password": PASSWORD,
                                            "csrf_token": CSRF_TOKEN.search(login_page.text).group(1)})
    assert signed_in.status == 303, signed_in.status
    assert "session" in admin.cookie_names()
    assert_own_page(admin.get())
    queue = admin.get("/admin/comments")
    assert queue.status == 200 and queue.cache == "BYPASS"
    assert "harriet.held@example.org" in queue.text and held_text in queue.text

    # Straight after, anonymous readers see none of it: neither a copy kept from before nor a new one.
    for uri in (PAGE, PAGE, PAGE + "?after=personal", PAGE + "?after=personal"):
        answer = held_site.anonymous().get(uri)
        assert_shared_page(answer, held_site)
        for personal in (held_text, HELD_TEXT, OWN_EDIT_TEXT, INBOX_TEXT, remembered_text, "Rita Remembered",
                         "rita.remembered@example.org", "Harriet Held", "harriet.held@example.org"):
            assert personal not in answer.text, (uri, answer.cache, personal)
    assert answer.cache == "HIT"
    queue = held_site.anonymous().get("/admin/comments")
    assert queue.status in {302, 303} and "/admin/login" in queue.headers["Location"]
    assert "harriet.held@example.org" not in queue.text


# --- 5. no cookie in a cached response, none in the cache --------------------------------------------

def test_no_cookie_or_address_is_ever_kept_by_the_cache(open_site, held_site):
    # Walk one page through its life in the cache: stored, stale, renewed.
    uri = PAGE + "?life=1"
    anonymous = open_site.anonymous()
    assert anonymous.get(uri).cache == "MISS"
    assert anonymous.get(uri).cache == "HIT"
    time.sleep(open_site.max_age + 1.2)  # nginx counts freshness in whole seconds: up to max-age + 1
    lives = [anonymous.get(uri).cache]
    deadline = time.monotonic() + open_site.max_age + open_site.stale + 2
    while "HIT" != lives[-1] and time.monotonic() < deadline:
        time.sleep(0.05)
        lives.append(anonymous.get(uri).cache)
    assert lives[0] in {"STALE", "UPDATING", "EXPIRED", "REVALIDATED"} and lives[-1] == "HIT", lives

    # Every answer of this module that came from the cache, as the browser got it and as nginx logged it.
    cached = [answer for answer in ANSWERS if answer.cache in FROM_CACHE]
    assert cached, "no answer came from the cache"
    assert [answer.url for answer in cached if answer.headers.get_all("Set-Cookie")] == []
    for each in (open_site, held_site):
        entries = each.proxy.log_entries()
        assert [entry for entry in entries if entry["cache"] in FROM_CACHE and entry["set_cookie"]] == []
        # Nor is a cookie answered to one reader ever answered from the cache to another.
        assert [entry for entry in entries if entry["cache"] in FROM_CACHE and entry["cookie"]] == []

    # And nothing of the kind is in the files nginx keeps.
    personal = {text.lower().encode() for text in EMAILS | PERSONAL_TEXTS} | {b"set-cookie"}
    for each in (open_site, held_site):
        files = each.proxy.cache_files()
        assert files, "the cache holds no page"
        for path in files:
            kept = path.read_bytes().lower()
            assert [word for word in personal if word in kept] == [], path


# --- 6. POSTs always reach the app -------------------------------------------------------------------

def test_comment_posts_are_never_answered_from_the_cache(open_site):
    reader = open_site.anonymous()  # no cookie needed to comment, and none kept between the posts
    form_page = reader.get()
    action = PAGE + "comments"
    earlier = len(open_site.logged(action, "POST", count=0))
    words = unique("Same words")
    first = reader.comment(form_page, f"{words}, a first comment.", author="Sam Same", email="sam@example.org")
    second = reader.comment(form_page, f"{words}, a second comment.", author="Sam Same", email="sam@example.org")
    assert (first.status, second.status) == (303, 303), (first.text[:500], second.text[:500])
    assert (first.cache, second.cache) == (None, None)  # the cache was not even asked
    first_id, second_id = (int(location(answer)[1].removeprefix("comment-")) for answer in (first, second))
    assert first_id != second_id
    # The very same post again reaches the app too, which refuses it as a duplicate.
    again = reader.comment(form_page, f"{words}, a first comment.", author="Sam Same", email="sam@example.org")
    assert again.status == 409, again.status

    stored = [row for row in open_site.stored_comments() if row[3].startswith(words)]
    assert [(row[0], row[3]) for row in stored] == [(first_id, f"{words}, a first comment."),
                                                   (second_id, f"{words}, a second comment.")]
    posts = open_site.logged(action, "POST", count=earlier + 3)[earlier:]
    assert [(entry["status"], entry["cache"], bool(entry["upstream"])) for entry in posts] == [
        ("303", "", True), ("303", "", True), ("409", "", True)]


# --- 7. each language its own copy -------------------------------------------------------------------

def test_readers_of_a_language_in_the_url_and_of_their_browsers_each_get_their_own(held_site):
    """A page whose URL names its language is one copy whatever the browser's Accept-Language (it does
    not vary by it); the page without one varies by it, so nginx keeps a copy per Accept-Language and
    never hands the English copy to a Dutch browser, nor the ?lang=nl copy to anyone without it."""
    named, negotiated = PAGE + "?via=switch&lang=nl", PAGE + "?via=switch"
    dutch, english = "Laat een reactie achter", "Leave a Reply"

    first = held_site.anonymous().get(named)
    assert (first.status, first.cache) == (200, "MISS")
    assert first.headers.get_all("Set-Cookie") is None
    assert {"public", f"max-age={held_site.max_age}"} <= first.directives()
    assert "accept-language" not in first.directives("Vary") and "cookie" not in first.directives("Vary")
    assert '<html lang="nl">' in first.text and dutch in first.text
    assert 'action="/how-ketamine-works/comments?lang=nl#form-error"' in first.text
    for accept in ("en", "en-GB,en;q=0.9", "de", None):
        again = held_site.anonymous().get(named, headers={"Accept-Language": accept} if accept else None)
        assert (again.cache, again.body) == ("HIT", first.body), accept

    in_english = held_site.anonymous().get(negotiated, headers={"Accept-Language": "en"})
    in_dutch = held_site.anonymous().get(negotiated, headers={"Accept-Language": "nl"})
    assert (in_english.cache, in_dutch.cache) == ("MISS", "MISS")
    assert '<html lang="en">' in in_english.text and english in in_english.text
    assert '<html lang="nl">' in in_dutch.text and dutch in in_dutch.text
    assert 'action="/how-ketamine-works/comments#form-error"' in in_dutch.text  # not the ?lang=nl copy
    assert len({first.headers["ETag"], in_english.headers["ETag"], in_dutch.headers["ETag"]}) == 3
    for accept, expected in (("en", in_english), ("nl", in_dutch)):
        again = held_site.anonymous().get(negotiated, headers={"Accept-Language": accept})
        assert (again.cache, again.body) == ("HIT", expected.body), accept

    # Another spelling of the language is sent to the one nginx keeps, and reaches the app every time.
    for _ in range(2):
        moved = held_site.anonymous().get(PAGE + "?lang=nl&via=switch")
        assert moved.status == 301 and moved.headers["Location"] == named and moved.cache != "HIT"
    assert held_site.anonymous().get(PAGE + "?via=switch&lang=xx").headers["Location"] == negotiated
