"""Abuse of the comment form (issue 5, DESIGN.md section 5): floods per IP and per email, duplicates,
bots caught by the signed form stamp, oversized and hostile bodies, and forged cross-site posts on the
comment form and on the admin's forms. Each gets a clear answer and changes nothing."""

import re
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash
from werkzeug.test import encode_multipart

from blog.auth.models import Admin
from blog.comments.models import Comment, CommentStatus, FloodMark, ModerationLogEntry
from blog.extensions import db, utcnow
from blog.posts.models import Post
from tests.factories import make_comment
from tests.readers import CSRF_TOKEN, AdminActions, Reader

FLOOD = "You are posting comments too quickly. Slow down."
FLOOD_NL = "U plaatst te snel reacties. Rustig aan."
DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"
DUPLICATE_NL = "Dubbele reactie ontdekt: het lijkt erop dat u dit al heeft gezegd!"
CSRF_REFUSED = "This form has expired or did not come from this site."
NOT_ALLOWED = "This field contains characters that are not allowed."
PASSWORD = "correct horse battery staple"
FLOOD_SECONDS = 15
STAMP_SALT = "comments-form-issued"
# What the form keeps out of stored text (blog.comments.forms.FORBIDDEN_CHARACTERS, by its contract).
FORBIDDEN = ("\x00", "\ud800", "\ufffd")

HELD_LOCATION = re.compile(r"#comment-\d+$")


def quick_admin():
    """An admin "boss" whose password hash is quick to check (the tests sign in often), committed."""
    db.session.add(Admin(username="boss", password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")))
    db.session.commit()


def stored(blog) -> list[Comment]:
    return blog.comments()


def flood_marks(blog) -> list[FloodMark]:
    with blog.app.app_context():
        return db.session.scalars(select(FloodMark)).all()


def send(blog, ip="127.0.0.1", headers=None, language=None, page="/hello/", **fields):
    """Post the comment form from ``ip`` (the socket's address), with the reader's hidden fields;
    ``None`` leaves a field out. The response comes back read and closed."""
    data = {"author": "Ann Reader", "email": "ann@example.org", "url": "", "comment": "Thank you!",
            "parent": "0", **blog.reader.hidden_fields(), **fields}
    data = {name: value for name, value in data.items() if value is not None}
    headers = dict(headers or {})
    if language:
        headers["Accept-Language"] = language
    with blog.client.post(page + "comments", data=data, headers=headers,
                          environ_base={"REMOTE_ADDR": ip}) as response:
        response.get_data()
    return response


def send_raw(blog, field, raw, **fields):
    """Post the form as an urlencoded body written by hand, ``raw`` (already percent-encoded, possibly
    invalid UTF-8) appended to ``field``'s value: the bytes no browser sends, but a script can."""
    data = {"author": "Ann Reader", "email": "ann@example.org", "url": "https://ann.example/",
            "comment": "Thank you!", "parent": "0", "remember": "y", "homepage": "",
            **blog.reader.hidden_fields(), **fields}
    parts = []
    for name, value in data.items():
        encoded = quote(value, safe="")
        if name == field and name == "parent":
            encoded = raw
        elif name == field and name == "email":
            encoded = "ann" + raw + "%40example.org"
        elif name == field:
            encoded += raw
        parts.append(f"{name}={encoded}")
    with blog.client.post("/hello/comments", data="&".join(parts).encode("latin-1"),
                          content_type="application/x-www-form-urlencoded") as response:
        response.get_data()
    return response


def stamp_from(app, seconds_ago: float, secret=None) -> str:
    """A form stamp as the site would have signed it ``seconds_ago``, or with another ``secret``."""

    class SignedThen(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - seconds_ago)

    return SignedThen(secret or app.secret_key, salt=STAMP_SALT).sign("comment-form").decode("ascii")


def forget_flood(blog):
    """Move every flood mark into the past, as if the window had passed (no sleeping)."""
    with blog.app.app_context():
        db.session.execute(update(FloodMark).values(until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def assert_refused_as_flood(response, kept_text, window=FLOOD_SECONDS):
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert FLOOD in page
    assert kept_text in page
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= window


# Flood control


def test_second_comment_from_one_ip_within_the_window_is_429_with_the_text_kept(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    assert send(blog, email="ann@example.org", comment="First.").status_code == 303
    response = send(blog, author="Bob", email="bob@example.org", comment="Words I typed with care.")
    assert_refused_as_flood(response, "Words I typed with care.")
    assert [comment.body_raw for comment in stored(blog)] == ["First."]


def test_flood_message_in_dutch(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    send(blog, comment="First.")
    response = send(blog, email="bob@example.org", comment="Second.", language="nl")
    assert response.status_code == 429
    assert FLOOD_NL in response.get_data(as_text=True)


def test_same_email_from_two_ips_within_the_window_is_429(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    assert send(blog, ip="192.0.2.10", email="ann@example.org", comment="First.").status_code == 303
    # The address is compared as stored (lower case), so changing its case does not help either.
    response = send(blog, ip="198.51.100.20", email="Ann@Example.ORG", comment="From elsewhere.")
    assert_refused_as_flood(response, "From elsewhere.")
    assert len(stored(blog)) == 1


def test_different_ip_and_email_within_the_window_are_both_taken(make_blog):
    """The limit is per commenter, not for the whole site."""
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    assert send(blog, ip="192.0.2.10", email="ann@example.org", comment="One.").status_code == 303
    assert send(blog, ip="192.0.2.11", email="bob@example.org", comment="Two.").status_code == 303
    assert len(stored(blog)) == 2


def test_posting_works_again_once_the_window_has_passed(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    assert send(blog, comment="First.").status_code == 303
    assert send(blog, comment="Too soon.").status_code == 429
    forget_flood(blog)
    assert send(blog, comment="Later.").status_code == 303
    assert [comment.body_raw for comment in stored(blog)] == ["First.", "Later."]
    # ...and the new comment opened a new window.
    assert send(blog, comment="Too soon again.").status_code == 429


def test_flood_seconds_zero_turns_the_limit_off(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=0)
    statuses = [send(blog, comment=f"Comment {number}.").status_code for number in range(3)]
    assert statuses == [303, 303, 303]
    assert len(stored(blog)) == 3
    assert flood_marks(blog) == []


def test_signed_in_admin_is_exempt_from_the_flood_limit(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    with blog.app.app_context():
        quick_admin()
    assert AdminActions(blog.client, password=PASSWORD).login().status_code == 303
    statuses = [send(blog, author="boss", email="boss@example.org", comment=f"Note {number}.").status_code
                for number in range(3)]
    assert statuses == [303, 303, 303]
    assert len(stored(blog)) == 3


def test_forged_x_forwarded_for_does_not_dodge_the_limit(make_blog):
    """PROXY_FIX_X_FOR=0 (the default) trusts no proxy: the socket's address is the client's."""
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    first = send(blog, headers={"X-Forwarded-For": "203.0.113.1"}, email="a@example.org", comment="One.")
    assert first.status_code == 303
    response = send(blog, headers={"X-Forwarded-For": "203.0.113.2"}, email="b@example.org", comment="Two.")
    assert_refused_as_flood(response, "Two.")
    assert [comment.ip for comment in stored(blog)] == ["127.0.0.1"]


def test_trusted_proxy_forwarded_address_is_the_clients(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS, PROXY_FIX_X_FOR=1)
    proxy = "10.0.0.1"
    assert send(blog, ip=proxy, headers={"X-Forwarded-For": "203.0.113.1"},
                email="a@example.org", comment="One.").status_code == 303
    assert send(blog, ip=proxy, headers={"X-Forwarded-For": "203.0.113.2"},
                email="b@example.org", comment="Two.").status_code == 303
    # The first client again, with a new address: still too soon.
    response = send(blog, ip=proxy, headers={"X-Forwarded-For": "203.0.113.1"}, email="c@example.org",
                    comment="Three.")
    assert_refused_as_flood(response, "Three.")
    assert [comment.ip for comment in stored(blog)] == ["203.0.113.1", "203.0.113.2"]


def test_flood_limit_holds_on_every_database(make_blog, database_url):
    blog = make_blog(database_url=database_url, COMMENTS_FLOOD_SECONDS=FLOOD_SECONDS)
    assert send(blog, email="ann@example.org", comment="First.").status_code == 303
    assert_refused_as_flood(send(blog, email="bob@example.org", comment="Per IP."), "Per IP.")
    assert_refused_as_flood(send(blog, ip="192.0.2.99", email="ann@example.org", comment="Per email."),
                            "Per email.")
    assert len(stored(blog)) == 1
    forget_flood(blog)
    assert send(blog, email="bob@example.org", comment="Later.").status_code == 303
    assert len(stored(blog)) == 2


# Duplicates


def test_same_comment_again_is_409_and_not_stored(make_blog, database_url):
    blog = make_blog(database_url=database_url)
    assert send(blog, comment="I said this.").status_code == 303
    response = send(blog, comment="I said this.")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert DUPLICATE in page
    assert "I said this." in page
    assert len(stored(blog)) == 1


def test_duplicate_message_in_dutch(make_blog):
    blog = make_blog()
    send(blog, comment="I said this.")
    response = send(blog, comment="I said this.", language="nl")
    assert response.status_code == 409
    assert DUPLICATE_NL in response.get_data(as_text=True)


def test_same_text_trimmed_differently_is_still_a_duplicate(make_blog):
    """The form stores text trimmed and composed (NFC), so that is what is compared."""
    blog = make_blog()
    assert send(blog, comment="Café au lait.").status_code == 303
    assert send(blog, comment="  Cafe\u0301 au lait.\n").status_code == 409
    assert len(stored(blog)) == 1


def test_different_case_of_the_text_is_not_a_duplicate(make_blog, database_url):
    """MariaDB's default collation calls "Hi" and "hi" the same; the check must not."""
    blog = make_blog(database_url=database_url)
    assert send(blog, comment="Hello there.").status_code == 303
    assert send(blog, comment="HELLO THERE.").status_code == 303
    assert send(blog, comment="hello there.").status_code == 303
    assert sorted(comment.body_raw for comment in stored(blog)) == ["HELLO THERE.", "Hello there.", "hello there."]


def test_same_text_as_a_reply_to_another_comment_is_not_a_duplicate(make_blog, database_url):
    blog = make_blog(database_url=database_url)
    first, second = blog.add(body_raw="First."), blog.add(body_raw="Second.")
    assert send(blog, comment="I agree.").status_code == 303
    assert send(blog, comment="I agree.", parent=str(first)).status_code == 303
    assert send(blog, comment="I agree.", parent=str(second)).status_code == 303
    # The same reply under the same parent again is one.
    assert send(blog, comment="I agree.", parent=str(second)).status_code == 409
    replies = [(comment.parent_id, comment.body_raw) for comment in stored(blog) if comment.body_raw == "I agree."]
    assert replies == [(None, "I agree."), (first, "I agree."), (second, "I agree.")]


def test_same_text_on_another_post_or_by_another_author_is_not_a_duplicate(make_blog):
    blog = make_blog()
    assert send(blog, comment="Nice.").status_code == 303
    other = Reader(blog.client, "/other/")
    assert send(blog, page="/other/", comment="Nice.", **other.hidden_fields()).status_code == 303
    assert send(blog, author="Bob", email="bob@example.org", comment="Nice.").status_code == 303
    assert len(stored(blog)) == 3


# Bots: the signed form stamp


def held_answer(response) -> tuple:
    """What a browser learns from the answer to its post: status, where it goes (to its comment, whatever
    its id), which cookies it gets."""
    cookies = sorted(header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie"))
    return response.status_code, HELD_LOCATION.sub("#comment-<id>", response.headers["Location"]), cookies


def test_form_sent_at_once_is_answered_like_a_held_comment_and_stored_as_spam(make_blog, monkeypatch):
    # A second into a form window: the shared page's stamp tells for certain that the bot was too quick
    # (later in the window it cannot tell, and asks again: tests/comments/test_form_time.py).
    monkeypatch.setattr("time.time", lambda: 1_800_000_001)
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3, COMMENTS_MODERATION="all")
    person = Reader(blog.app.test_client())
    person_fields = {**person.hidden_fields(), "issued": stamp_from(blog.app, 60)}
    with person.client.post("/hello/comments", data={"author": "Pat", "email": "pat@example.org",
                                                     "comment": "Took my time.", **person_fields}) as held:
        held.get_data()
    bot = send(blog, author="Bot", email="bot@example.org", comment="Posted at once.")
    assert held_answer(held)[:2] == (303, "/hello/#comment-<id>") and "comments_held" in held_answer(held)[2]
    assert held_answer(bot) == held_answer(held)
    by_text = {comment.body_raw: comment for comment in stored(blog)}
    assert by_text["Took my time."].status is CommentStatus.PENDING
    assert by_text["Posted at once."].status is CommentStatus.SPAM
    assert by_text["Posted at once."].status_reason.startswith("form sent ")
    # The bot's browser sees what a held comment's author sees.
    page = blog.get().get_data(as_text=True)
    assert "Posted at once." in page and "Your comment is awaiting moderation." in page


@pytest.mark.parametrize("issued", [None, "", "garbage", "comment-form.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB",
                                   "another secret", "another value"])
def test_forged_or_missing_stamp_is_spam(make_blog, issued):
    blog = make_blog()
    if issued == "another secret":
        issued = stamp_from(blog.app, 60, secret="not the site's secret")
    elif issued == "another value":
        issued = TimestampSigner(blog.app.secret_key, salt=STAMP_SALT).sign("something-else").decode()
    response = send(blog, issued=issued, comment="Who signed this?")
    [comment] = stored(blog)
    assert response.status_code == 303 and response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert (comment.status, comment.status_reason) == (CommentStatus.SPAM, "form stamp missing or forged")


def test_stamp_older_than_the_form_lifetime_is_spam(make_blog):
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3)
    response = send(blog, issued=stamp_from(blog.app, 86_400 + 60), comment="From yesterday's form.")
    [comment] = stored(blog)
    assert response.status_code == 303 and response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert (comment.status, comment.status_reason) == (CommentStatus.SPAM, "form older than its lifetime")


@pytest.mark.parametrize("seconds_ago", [10, 3600, 86_400 - 60])
def test_stamp_older_than_the_minimum_is_handled_normally(make_blog, seconds_ago):
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3)
    response = send(blog, issued=stamp_from(blog.app, seconds_ago), comment="A person wrote this.")
    [comment] = stored(blog)
    assert (comment.status, comment.status_reason) == (CommentStatus.APPROVED, "")
    assert response.status_code == 303 and response.headers["Location"] == f"/hello/#comment-{comment.id}"


def test_form_lifetime_follows_its_setting(make_blog):
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3, COMMENTS_FORM_MAX_AGE=600)
    send(blog, issued=stamp_from(blog.app, 900), comment="Quarter of an hour.")
    send(blog, issued=stamp_from(blog.app, 300), comment="Five minutes.")
    statuses = {comment.body_raw: comment.status for comment in stored(blog)}
    assert statuses == {"Quarter of an hour.": CommentStatus.SPAM, "Five minutes.": CommentStatus.APPROVED}


# Oversized and hostile bodies


def test_oversized_body_is_a_413_page_and_nothing_stored(make_blog):
    blog = make_blog(MAX_CONTENT_LENGTH=10_000)
    response = send(blog, comment="x" * 20_000)
    assert response.status_code == 413
    assert "Request too large" in response.get_data(as_text=True)
    assert stored(blog) == []


def test_body_just_under_the_limit_is_taken(make_blog):
    blog = make_blog(MAX_CONTENT_LENGTH=10_000)
    assert send(blog, comment="x" * 9_000).status_code == 303


def send_multipart(blog, **fields):
    """The form as multipart/form-data, as a browser sends a form with enctype="multipart/form-data"."""
    data = {"author": "Ann Reader", "email": "ann@example.org", "comment": "Thank you!", "parent": "0",
            **blog.reader.hidden_fields(), **fields}
    boundary, body = encode_multipart(data)
    with blog.client.post("/hello/comments", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}") as response:
        response.get_data()
    return response


def test_a_multipart_form_larger_in_all_than_a_fields_memory_limit_is_taken(make_blog):
    """Werkzeug's limit (MAX_FORM_MEMORY_SIZE, 500 kB) holds per field, not for the whole body."""
    blog = make_blog()
    extra = {f"extra{number}": "y" * 8_000 for number in range(80)}
    assert send_multipart(blog, comment="x" * 60_000, **extra).status_code == 303
    assert [len(comment.body_raw) for comment in stored(blog)] == [60_000]


def test_one_multipart_field_past_the_memory_limit_is_413(make_blog):
    blog = make_blog(MAX_FORM_MEMORY_SIZE=50_000)
    assert send_multipart(blog, comment="x" * 60_000).status_code == 413
    assert stored(blog) == []


TEXT_FIELDS = ["author", "email", "url", "comment", "parent"]


def assert_hostile_bytes_refused(blog, raw):
    """Each text field in turn carries ``raw``: 400, the field's error, nothing stored."""
    outcomes = {}
    for field in TEXT_FIELDS:
        response = send_raw(blog, field, raw)
        outcomes[field] = (response.status_code, len(stored(blog)))
        assert response.status_code < 500
    assert outcomes == {field: (400, 0) for field in TEXT_FIELDS}


def test_nul_bytes_in_a_text_field_are_400_and_nothing_stored(make_blog, database_url):
    blog = make_blog(database_url=database_url)
    assert_hostile_bytes_refused(blog, "%00")
    page = send_raw(blog, "comment", "%00").get_data(as_text=True)
    assert "The request holds characters that are not text." in page


def test_control_characters_in_a_text_field_are_400(make_blog):
    blog = make_blog()
    for raw in ("%01", "%1B", "%7F", "%EF%BF%BE"):  # SOH, ESC, DEL, the noncharacter U+FFFE
        assert_hostile_bytes_refused(blog, raw)


@pytest.mark.parametrize("character", ["\u009b", "\u0090", "\U0001fffe", "\U0010ffff"],
                         ids=["CSI", "DCS", "U+1FFFE", "U+10FFFF"])
def test_c1_controls_and_astral_noncharacters_are_400(make_blog, character):
    blog = make_blog()
    response = send(blog, author=f"Ann{character}Reader", comment=f"Before{character}after.")
    assert response.status_code == 400
    assert stored(blog) == []


# Line breaks (a name in a mail's Subject), tabs, and the bidirectional controls with which one name can be
# made to read as another's ("Ann\u202eredaeR" shows as "AnnReader" backwards).
NOT_ONE_LINE = ["\r\n", "\n", "\r", "\t", "\u2028", "\u2029", "\u0085", "\u202e", "\u202a", "\u2066", "\u2069"]


@pytest.mark.parametrize("character", NOT_ONE_LINE, ids=[repr(character) for character in NOT_ONE_LINE])
@pytest.mark.parametrize("field", ["author", "email", "url"])
def test_one_line_fields_refuse_line_breaks_and_bidi_controls(make_blog, field, character):
    blog = make_blog()
    values = {"author": f"Mallory{character}Bcc: x@example.org", "email": f"ann{character}@example.org",
              "url": f"https://ann.example/{character}x"}
    response = send(blog, **{field: values[field]}, comment="Kept for the reader.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert NOT_ALLOWED in page
    assert "Kept for the reader." in page
    assert stored(blog) == []


def test_the_comment_text_keeps_its_line_breaks_and_tabs(make_blog):
    blog = make_blog()
    assert send(blog, comment="First line\r\nsecond\tline").status_code == 303
    assert [comment.body_raw for comment in stored(blog)] == ["First line\r\nsecond\tline"]


def test_lone_surrogate_in_a_text_field_is_400_and_nothing_stored(make_blog, database_url):
    blog = make_blog(database_url=database_url)
    assert_hostile_bytes_refused(blog, "%ED%A0%80")


def test_invalid_utf8_in_a_text_field_is_400_and_nothing_stored(make_blog, database_url):
    blog = make_blog(database_url=database_url)
    assert_hostile_bytes_refused(blog, "%FF%FE")


def test_hostile_bytes_in_any_field_never_cause_a_server_error(make_blog, database_url):
    """Whatever the field, the answer is a 4xx or a 303, and no stored text holds a forbidden character.
    A filled honeypot or a broken stamp is a bot's post (stored as spam, answered as held); the checkbox's
    value is never stored."""
    blog = make_blog(database_url=database_url)
    # NUL, a lone surrogate, invalid UTF-8, an overlong NUL, and a raw byte that is not urlencoded text.
    for raw in ("%00", "%ED%A0%80", "%FF%FE", "%C0%80", "\xff"):
        for field in [*TEXT_FIELDS, "remember", "homepage", "issued", "csrf_token"]:
            response = send_raw(blog, field, raw, comment=f"Hostile {field}.")
            assert response.status_code < 500, (raw, field)
            for comment in stored(blog):
                for text in (comment.author, comment.email, comment.url, comment.body_raw):
                    assert not any(character in text for character in FORBIDDEN), (raw, field, text)
                if field in ("homepage", "issued"):
                    assert comment.status is CommentStatus.SPAM, (raw, field)
            with blog.app.app_context():
                db.session.execute(db.delete(Comment))
                db.session.commit()


# Forged cross-site posts (CSRF)


def other_sessions_token(app, page="/hello/") -> str:
    """The token another browser with a session of its own is given on ``page``."""
    other = app.test_client()
    other.get("/admin/login").close()  # a page that gives it a session
    with other.get(page) as response:
        return CSRF_TOKEN.search(response.get_data(as_text=True)).group(1)


BAD_TOKENS = ["missing", "garbage", "another session's"]


def bad_token(app, kind, page="/hello/"):
    return {"missing": None, "garbage": "IjEyMyI.ZZZZZZ.not-a-signature", "another session's":
            other_sessions_token(app, page)}[kind]


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_comment_form_without_a_valid_csrf_token_is_400_and_nothing_stored(make_blog, kind):
    blog = make_blog()
    response = send(blog, csrf_token=bad_token(blog.app, kind), comment="Kept for me.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert CSRF_REFUSED in page and "Kept for me." in page
    assert stored(blog) == []
    assert flood_marks(blog) == []


@pytest.fixture
def admin_blog(make_blog):
    """The blog with an admin "boss", a pending comment and a browser signed in as the admin."""
    blog = make_blog(COMMENTS_MODERATION="all")
    with blog.app.app_context():
        quick_admin()
        blog.pending = make_comment(blog.key, status=CommentStatus.PENDING, body_raw="Waiting.").id
    blog.admin = AdminActions(blog.app.test_client(), password=PASSWORD)
    assert blog.admin.login().status_code == 303
    return blog


def post_count(blog) -> int:
    with blog.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post))


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_sign_in_without_a_valid_csrf_token_is_400_and_signs_no_one_in(make_blog, kind):
    blog = make_blog()
    with blog.app.app_context():
        quick_admin()
    browser = blog.app.test_client()
    with browser.get("/admin/login") as response:
        response.get_data()
    data = {"username": "boss", "password": PASSWORD}
    token = bad_token(blog.app, kind, "/admin/login")
    if token is not None:
        data["csrf_token"] = token
    with browser.post("/admin/login", data=data) as response:
        page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form has expired" in page
    with browser.get("/admin/") as dashboard:
        assert dashboard.status_code == 302
        assert dashboard.headers["Location"].startswith("/admin/login")


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_moderation_action_without_a_valid_csrf_token_is_400_and_changes_nothing(admin_blog, kind):
    blog = admin_blog
    token = bad_token(blog.app, kind, "/admin/login")
    data = {} if token is None else {"csrf_token": token}
    for path in (f"/admin/comments/{blog.pending}/approve", "/admin/comments/bulk"):
        fields = dict(data, action="approve", ids=str(blog.pending)) if path.endswith("bulk") else data
        with blog.admin.client.post(path, data=fields) as response:
            response.get_data()
        assert response.status_code == 400, path
    comment = blog.comment(blog.pending)
    assert comment.status is CommentStatus.PENDING
    with blog.app.app_context():
        assert db.session.scalars(select(ModerationLogEntry)).all() == []
    # The same button with the page's own token does work: the refusal was the token's.
    assert blog.admin.post(f"/admin/comments/{blog.pending}/approve").status_code == 303
    assert blog.comment(blog.pending).status is CommentStatus.APPROVED


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_comment_edit_without_a_valid_csrf_token_is_400_and_changes_nothing(admin_blog, kind):
    blog = admin_blog
    token = bad_token(blog.app, kind, "/admin/login")
    data = {"author": "Mallory", "email": "mallory@example.org", "url": "", "comment": "Rewritten."}
    if token is not None:
        data["csrf_token"] = token
    with blog.admin.client.post(f"/admin/comments/{blog.pending}/edit", data=data) as response:
        response.get_data()
    assert response.status_code == 400
    comment = blog.comment(blog.pending)
    assert (comment.author, comment.body_raw) == ("Reader", "Waiting.")


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_post_writing_without_a_valid_csrf_token_is_400_and_changes_nothing(admin_blog, kind):
    blog = admin_blog
    token = bad_token(blog.app, kind, "/admin/login")
    before = post_count(blog)
    with blog.app.app_context():
        hello = db.session.scalar(select(Post).where(Post.slug == "hello"))
        hello_id, hello_title = hello.id, hello.title
    data = {"title": "Forged", "slug": "", "body": "Forged text.", "is_published": "y", "save": "Save"}
    if token is not None:
        data["csrf_token"] = token
    for path in ("/admin/posts/new", f"/admin/posts/{hello_id}/edit"):
        with blog.admin.client.post(path, data=data) as response:
            response.get_data()
        assert response.status_code == 400, path
    assert post_count(blog) == before
    with blog.app.app_context():
        assert db.session.get(Post, hello_id).title == hello_title


def test_sign_out_without_a_valid_csrf_token_keeps_the_admin_signed_in(admin_blog):
    blog = admin_blog
    with blog.admin.client.post("/admin/logout", data={"csrf_token": "garbage"}) as response:
        response.get_data()
    assert response.status_code == 400
    with blog.admin.client.get("/admin/") as dashboard:
        assert dashboard.status_code == 200
    with blog.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Admin)) == 1
