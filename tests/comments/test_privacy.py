"""A commenter's email never leaves the server in a public response (DESIGN.md section 8), the details a
reader asks us to remember live in an encrypted cookie, and a held comment shows to its author's browser only."""

import base64
import hashlib
import html
import re
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus, unquote

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from blog.comments.models import Comment, CommentStatus
from blog.comments.moderation import apply_action
from blog.extensions import db
from tests.factories import make_app, make_post
from tests.pages import elements_by_id, parse_page
from tests.readers import Reader

CANARY = "canary.7f3a9c@example.org"
CANARY_MIXED_CASE = "Canary.7F3A9C@Example.ORG"
CANARY_LOCAL_PART = "canary.7f3a9c"
AWAITING = "Your comment is awaiting moderation."
HELD_COOKIE = "comments_held"
AUTHOR_COOKIE = "comment_author"
ONE_YEAR = 365 * 24 * 3600
FEEDS = ["/feed/", "/hello/feed/", "/comments/feed/"]
AVATAR = re.compile(r'<img class="avatar" src="([^"]+)"')


def _base64_fragments(data: bytes) -> set[str]:
    """Substrings any base64 text holding ``data`` contains, whatever its alignment, standard or URL-safe."""
    fragments = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        middle = encoded[4 if shift else 0:-4]
        fragments |= {middle, middle.replace("+", "-").replace("/", "_")}
    return fragments


# Hex characters of a hash that give it away: too many for a page to hold by chance.
HASH_PREFIX = 16


def email_traces(*emails) -> tuple[set[str], set[str]]:
    """What would give an email away: (found case-insensitively) the address and its local part, URL-encoded,
    the start of its MD5/SHA-1/SHA-256 hex (Gravatar and friends; a hash cut short is as easy to test
    guesses against); (found as is) its base64."""
    anywhere_case, exact = {CANARY_LOCAL_PART}, set()
    for email in {*emails, *(email.lower() for email in emails)}:
        raw = email.encode()
        anywhere_case |= {email.lower(), quote(email, safe="").lower(), quote_plus(email).lower()}
        anywhere_case |= {hashlib.new(name, raw).hexdigest()[:HASH_PREFIX] for name in ("md5", "sha1", "sha256")}
        exact |= _base64_fragments(raw)
    return anywhere_case, exact


TRACES = email_traces(CANARY, CANARY_MIXED_CASE)


def find_traces(text: str) -> list[str]:
    anywhere_case, exact = TRACES
    readings = {text, html.unescape(text), unquote(text)}
    return sorted({trace for reading in readings for trace in anywhere_case if trace in reading.lower()}
                  | {trace for reading in readings for trace in exact if trace in reading})


def assert_no_email(response, where):
    """Neither the body, nor any header (Set-Cookie and Location included) holds a trace of the email."""
    body = response.get_data().decode("utf-8", "replace")
    assert not find_traces(body), f"{where} ({response.status_code}): the body holds {find_traces(body)}"
    for name, value in response.headers.items():
        assert not find_traces(value), f"{where} ({response.status_code}): header {name} holds {find_traces(value)}"


def set_cookies(response) -> dict[str, tuple[str, dict[str, str]]]:
    """The response's Set-Cookie headers as {name: (value, {attribute (lower case): value})}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        cookies[name] = (value, {key.strip().lower(): val.strip()
                                 for key, _, val in (attribute.partition("=") for attribute in attributes)})
    return cookies


def form_values(response) -> dict[str, str | None]:
    """The form's author, email and url values and whether remember is ticked, as the browser shows them."""
    elements = elements_by_id(parse_page(response))
    values = {name: elements[name].get("value", "") for name in ("author", "email", "url")}
    values["remember"] = "checked" in elements["remember"].attrib
    return values


def cache_directives(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def comment_markup(page: str, comment_id: int) -> str:
    """The <li> of one comment, as served (comments here have no replies, so the first </li> closes it)."""
    start = page.index(f'<li id="comment-{comment_id}"')
    return page[start:page.index("</li>", start)]


def only_comment(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment)).one()


def approve(app, comment_id):
    with app.app_context():
        apply_action("approve", db.session.get(Comment, comment_id), "tester")
        db.session.commit()


def assert_public_responses_hold_no_email(app, comment_id, where):
    """Every public page a stranger can fetch: home, post, reply form, errors, feeds, crawler files, and
    the avatars the pages show, whose paths it returns."""
    stranger = Reader(app.test_client())
    paths = ["/", "/hello/", f"/hello/?replytocom={comment_id}", "/hello/?comments_page=2", "/no-such-post/",
             "/hello/comments", *FEEDS, "/sitemap.xml", "/robots.txt", "/healthz"]
    avatars = set()
    for path in paths:
        response = stranger.get(path)
        assert_no_email(response, f"{where}: GET {path} by another browser")
        avatars |= set(AVATAR.findall(response.get_data(as_text=True)))
    for path in avatars:
        assert_no_email(stranger.get(path), f"{where}: the avatar {path}")
    return avatars
    # A stranger whose form comes back with errors sees the thread again.
    refused = stranger.post(author="", email="not an address", comment="")
    assert refused.status_code == 400
    assert_no_email(refused, f"{where}: a stranger's refused form")


@pytest.mark.parametrize("typed_email, url", [
    (CANARY, ""),
    (CANARY_MIXED_CASE, ""),
    (CANARY_MIXED_CASE, "https://ann.example/"),
])
def test_email_is_in_no_public_response_held_or_approved(app, post, typed_email, url):
    author = Reader(app.test_client())
    posted = author.post(email=typed_email, url=url, comment="A held thought, 4c1d.")
    assert posted.status_code == 303
    assert_no_email(posted, "the 303 after posting")
    comment = only_comment(app)
    assert (comment.status, comment.email) == (CommentStatus.PENDING, CANARY)  # the canary is really stored

    own_page = author.get("/hello/")
    assert "A held thought, 4c1d." in own_page.get_data(as_text=True)
    assert_no_email(own_page, "held: the post page in the author's own browser (remember unticked)")
    assert_no_email(author.get(f"/hello/?replytocom={comment.id}"), "held: the reply form in the author's browser")
    assert_public_responses_hold_no_email(app, comment.id, "held")

    approve(app, comment.id)
    stranger_page = Reader(app.test_client()).get("/hello/")
    assert "A held thought, 4c1d." in stranger_page.get_data(as_text=True)  # now public
    assert_no_email(author.get("/hello/"), "approved: the post page in the author's own browser")
    assert assert_public_responses_hold_no_email(app, comment.id, "approved"), "the comment shows no avatar"


@pytest.mark.parametrize("url", ["", "https://ann.example/"])
def test_approved_comment_markup_never_shows_the_email(app, post, url):
    """Not as the author link (no mailto:), not in an attribute, not hashed for an avatar."""
    Reader(app.test_client()).post(email=CANARY_MIXED_CASE, url=url)
    comment = only_comment(app)
    approve(app, comment.id)
    page = Reader(app.test_client()).get("/hello/").get_data(as_text=True)
    markup = comment_markup(page, comment.id)
    assert not find_traces(markup)
    assert "mailto:" not in markup.lower()
    author = elements_by_id(parse_page(page))[f"comment-{comment.id}"].find(".//div[@class='comment-author']")
    links = [element.get("href") for element in author.iter("a")]
    assert links == ([url] if url else [])


def test_remember_sets_an_encrypted_http_only_lax_cookie_for_a_year(app, post):
    response = Reader(app.test_client()).post(email=CANARY_MIXED_CASE, url="https://ann.example/", remember="y")
    assert response.status_code == 303
    value, attributes = set_cookies(response)[AUTHOR_COOKIE]
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["max-age"] == str(ONE_YEAR)
    assert attributes["path"] == "/"
    assert value and not find_traces(value)
    assert "Ann Reader" not in value and "ann.example" not in value
    assert_no_email(response, "the 303 that sets the remembered details")


def test_remembered_details_prefill_the_form_on_a_private_page(app, post):
    author = Reader(app.test_client())
    author.post(email=CANARY_MIXED_CASE, url="https://ann.example/", remember="y")
    page = author.get("/hello/")
    assert form_values(page) == {"author": "Ann Reader", "email": CANARY_MIXED_CASE, "url": "https://ann.example/",
                                 "remember": True}
    assert {"private", "no-store"} <= cache_directives(page)
    assert "public" not in cache_directives(page)
    assert "cookie" in vary(page)


def test_posting_with_remember_unticked_deletes_the_cookie(app, post):
    author = Reader(app.test_client())
    author.post(email=CANARY, remember="y", comment="First.")
    assert author.client.get_cookie(AUTHOR_COOKIE) is not None
    response = author.post(email=CANARY, comment="Second, forget me.")
    assert response.status_code == 303
    value, attributes = set_cookies(response)[AUTHOR_COOKIE]
    assert value == ""
    expired = attributes.get("max-age") == "0" or (
        "expires" in attributes
        and datetime.strptime(attributes["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
        < datetime.now(timezone.utc))
    assert expired, attributes
    assert author.client.get_cookie(AUTHOR_COOKIE) is None
    assert form_values(author.get("/hello/")) == {"author": "", "email": "", "url": "", "remember": False}


def _from_another_site(tmp_path) -> str:
    """A comment_author cookie from the same blog software running with another secret key."""
    other = make_app(tmp_path / "other", SECRET_KEY="another secret key")
    try:
        with other.app_context():
            db.create_all()
            make_post(slug="hello", title="Hello world")
        return set_cookies(Reader(other.test_client()).post(email=CANARY, remember="y"))[AUTHOR_COOKIE][0]
    finally:
        with other.app_context():
            db.engine.dispose()


def _edit(token: str) -> str:
    """The token with one character in its middle changed."""
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


@pytest.mark.parametrize("tamper", ["garbage", "edited", "truncated", "another secret", "unencrypted json"])
def test_tampered_remembered_details_are_ignored(app, post, tmp_path, tamper):
    """No prefill and no error: a cookie we cannot decrypt is as good as none."""
    (tmp_path / "other").mkdir()
    genuine = set_cookies(Reader(app.test_client()).post(email=CANARY, remember="y"))[AUTHOR_COOKIE][0]
    value = {
        "garbage": lambda: "not-a-token",
        "edited": lambda: _edit(genuine),
        "truncated": lambda: genuine[:-12],
        "another secret": lambda: _from_another_site(tmp_path),
        "unencrypted json": lambda: base64.urlsafe_b64encode(
            b'{"author": "Eve", "email": "eve@example.org", "url": ""}').decode(),
    }[tamper]()
    visitor = Reader(app.test_client())
    visitor.client.set_cookie(AUTHOR_COOKIE, value)
    page = visitor.get("/hello/")
    assert page.status_code == 200
    assert form_values(page) == {"author": "", "email": "", "url": "", "remember": False}
    assert_no_email(page, f"a page with a {tamper} comment_author cookie")


def test_held_comment_is_seen_by_its_author_only(app, post):
    author = Reader(app.test_client())
    author.post(email=CANARY, comment="Only for my eyes, 9e2b.")
    own = author.get("/hello/").get_data(as_text=True)
    assert "Only for my eyes, 9e2b." in own and AWAITING in own
    stranger = Reader(app.test_client()).get("/hello/").get_data(as_text=True)
    assert "Only for my eyes, 9e2b." not in stranger and AWAITING not in stranger


def _held_cookie(browser) -> str:
    return browser.client.get_cookie(HELD_COOKIE).value


def _payload(ids) -> str:
    return base64.urlsafe_b64encode(str(ids).replace(" ", "").encode()).decode().rstrip("=")


def forge(kind: str, victim_id: int, victims: str, own: str) -> str:
    """A comments_held cookie value naming the victim's comment, forged in one of several ways."""
    own_signature = own.split(".", 1)[1]
    victim_payload, victim_signature = victims.split(".", 1)
    return {
        # Signed as the app signs it, but with another secret.
        "another secret": lambda: URLSafeSerializer("another secret key", salt="comments-held").dumps([victim_id]),
        # The attacker's own held cookie, its payload swapped for (or extended with) the victim's id.
        "payload swapped": lambda: _payload([victim_id]) + "." + own_signature,
        "payload extended": lambda: _payload([victim_id, victim_id + 1]) + "." + own_signature,
        # The author's own cookie with one character of its signature changed.
        "signature edited": lambda: victim_payload + "." + _edit(victim_signature),
        "unsigned": lambda: _payload([victim_id]),
        "plain json": lambda: f"[{victim_id}]",
    }[kind]()


@pytest.mark.parametrize("forgery", ["another secret", "payload swapped", "payload extended", "signature edited",
                                     "unsigned", "plain json"])
def test_forged_held_cookie_does_not_show_anothers_held_comment(app, post, forgery):
    victim = Reader(app.test_client())
    victim.post(email=CANARY, comment="Only for my eyes, 9e2b.")
    victim_id = only_comment(app).id
    attacker = Reader(app.test_client())
    attacker.post(author="Mallory", email="mallory@example.org", comment="Mine, 0b7e.")
    attacker.client.set_cookie(HELD_COOKIE, forge(forgery, victim_id, _held_cookie(victim), _held_cookie(attacker)))
    page = attacker.get("/hello/")
    assert page.status_code == 200
    assert "Only for my eyes, 9e2b." not in page.get_data(as_text=True)
    assert_no_email(page, f"a page with a {forgery} comments_held cookie")


def test_page_with_a_held_comment_is_private_and_varies_by_cookie(app, post):
    author = Reader(app.test_client())
    author.post(email=CANARY)
    page = author.get("/hello/")
    assert AWAITING in page.get_data(as_text=True)
    assert {"private", "no-store"} <= cache_directives(page)
    assert "public" not in cache_directives(page)
    assert "cookie" in vary(page)


def test_page_without_personal_data_is_not_private(app, post):
    Reader(app.test_client()).post(email=CANARY)  # someone else's held comment exists
    stranger = Reader(app.test_client())
    for path in ["/hello/", "/"]:
        page = stranger.get(path)
        assert page.status_code == 200
        assert not {"private", "no-store"} & cache_directives(page), (path, page.headers.get("Cache-Control"))


def test_held_cookie_is_http_only_lax_and_holds_no_email(app, post):
    response = Reader(app.test_client()).post(email=CANARY_MIXED_CASE)
    value, attributes = set_cookies(response)[HELD_COOKIE]
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert value and not find_traces(value)
    assert not find_traces(base64.urlsafe_b64decode(value.split(".")[0] + "==").decode("utf-8", "replace"))
