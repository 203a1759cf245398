"""Whole requests against every form, in process (issue 12): Hypothesis draws the request itself, not only
its field values: content types and charsets, multipart layouts, JSON with escaped lone surrogates, bytes
that are not text in fields, query strings, headers, cookies and paths (tests/wire.py builds them byte by
byte, and hands them to the app as the WSGI environ gunicorn would).

The contract: only the two encodings a browser form uses are taken; anything else, and any text that is
not text, gets 400 or 415 (404 in the path), an HTML page in the reader's language, no row written and no
error logged; never a 5xx; a taken comment reads back as sent, whichever encoding carried it.

One app per test; each request starts from the same rows (a post, a comment in each status)."""

import logging
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from werkzeug.security import generate_password_hash
from werkzeug.wrappers import Request

from blog.auth.models import Admin
from blog.comments.models import CommentStatus
from blog.comments.reply_notices import unsubscribe_token
from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.wire import (
    ADMIN_ROUTES,
    BROWSER_FORMS,
    COMMENT,
    CSRF,
    HOSTILE,
    PASSWORD,
    POST_PAGE,
    READER_EMAIL,
    SIGN_IN,
    SIGN_OUT,
    UNSUBSCRIBE,
    UNSUBSCRIBE_ALL,
    Answer,
    JsonValue,
    Plan,
    Session,
    Slot,
    admin_session,
    check_answer,
    plans,
    route_session,
    snapshot,
)

PROPERTIES = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Site:
    """The blog in process, the browsers that post to it, and the rows every route needs, made anew
    before each request."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client(use_cookies=False)
        self.values = self.reset()
        self._admin = None

    def send(self, request) -> Answer:
        """The request's bytes as gunicorn would hand them over, through Flask's test client."""
        with self.client.open(Request(request.environ())) as response:
            return Answer.of(response)

    def reset(self) -> dict:
        """Every row but the admin's dropped; a post, and a comment in each status, made: their ids, the
        post's slug and an unsubscribe token, for the paths and fields of the requests."""
        with self.app.app_context():
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "admin":
                    db.session.execute(table.delete())
            db.session.commit()
            post = make_post(slug="hello", title="Hello world")
            key = f"post-{post.id}"
            approved = make_comment(key, email=READER_EMAIL, wants_reply_notice=True, body_raw="Approved.")
            ids = {status: make_comment(key, status=CommentStatus(status), author=status.title(),
                                        body_raw=f"A {status} comment.").id for status in ("pending", "spam", "trash")}
            return {"slug": "hello", "post": post.id, "approved": approved.id, **ids,
                    "token": unsubscribe_token(approved)}

    def session_for(self, route) -> Session:
        if route.who == "admin":
            self._admin = self._admin or admin_session(self.send)
            return self._admin
        if route.who == "reader":
            return route_session(self.send, route, b"/hello/")
        return Session(None, {"csrf_token": "", "issued": ""})

    def snapshot(self) -> dict:
        with self.app.app_context(), db.engine.connect() as connection:
            return snapshot(connection)

    def check(self, plan: Plan, caplog) -> Answer:
        """Send the plan from fresh rows and hold the answer to the contract; the answer."""
        self.values = self.reset()
        session = self.session_for(plan.route)
        request = plan.render(session.cookie, {**self.values, **session.secrets})
        before = self.snapshot()
        caplog.clear()
        answer = self.send(request)
        after = self.snapshot()
        lines = caplog.text.splitlines()
        logged = "\n".join(lines if len(lines) <= 40 else [*lines[:3], "…", *lines[-30:]])
        if currently_in_test_context():  # under Hypothesis, not in the explicit tests
            event(f"{plan.verdict}: {answer.status}")
            if plan.route is COMMENT and answer.status == 303:
                event(f"comment stored from {plan.encoding}")
        check_answer(plan, request, answer, before, after, self.values, logged)
        errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert not errors, f"an error was logged for {', '.join(plan.labels)}:\n{logged}\n\n{request!r}"
        if plan.route is SIGN_OUT and answer.status < 400:
            self._admin = None  # signed out everywhere: the next admin request signs in again
        return answer


def make_site(tmp_path, **settings) -> Site:
    """The blog, comments approved at once, an admin "boss" with a quick hash (the tests sign in often),
    and exceptions answered as 500s rather than raised."""
    app = make_app(tmp_path, COMMENTS_MODERATION="none", PROPAGATE_EXCEPTIONS=False, **settings)
    with app.app_context():
        db.create_all()
        db.session.add(Admin(username="boss", password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")))
        db.session.commit()
    return Site(app)


@pytest.fixture
def site(tmp_path):
    site = make_site(tmp_path)
    yield site
    with site.app.app_context():
        db.engine.dispose()


@pytest.fixture
def matrix_site(tmp_path, database_url):
    site = make_site(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    yield site
    with site.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    """One site for the explicit tests: each request resets the rows anyway."""
    site = make_site(tmp_path_factory.mktemp("requests"))
    yield site
    with site.app.app_context():
        db.engine.dispose()


# Explicit requests: the two of the issue and one of each kind, to the comment form.


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_request_to_the_comment_form_is_refused(shared_site, caplog, name):
    shared_site.check(HOSTILE[name], caplog)


def test_browser_forms_are_stored_as_sent_in_either_encoding(matrix_site, caplog):
    """Urlencoded and multipart, as browsers send them: each stores the comment, reading back as sent."""
    failures = []
    for name, plan in BROWSER_FORMS.items():
        try:
            matrix_site.check(plan, caplog)
        except AssertionError as failure:
            failures.append(f"{name}: {failure}")
    assert not failures, "\n\n".join(failures)


def issue_cases(route) -> dict[str, Plan]:
    """The issue's two requests, and JSON and text/plain carrying the CSRF token in their header (so that
    the token cannot be what refuses them), made for ``route``: its first field a person types (or a new
    one) is where the file part, the surrogate or the number goes."""
    plan = Plan.of(route, headers=((b"Accept-Language", b"nl"),))
    typed = [index for index, (_, value) in enumerate(plan.fields) if not isinstance(value, Slot)]
    if not typed:
        plan = replace(plan, fields=(*plan.fields, (b"note", b"Hello")))
        typed = [len(plan.fields) - 1]
    index, name = typed[0], plan.fields[typed[0]][0]
    with_token = plan.with_header(b"X-CSRFToken", CSRF)
    cases = {
        "a file part": replace(plan.as_multipart(), files=((name, b"a.txt"),)),
        "JSON with a lone surrogate": replace(plan.with_field(index, value="\udce0".encode("utf-8", "surrogatepass")),
                                              encoding="json", content_type=b"application/json"),
        "JSON with a lone surrogate, CSRF token in its header": replace(
            with_token.with_field(index, value="\ud800".encode("utf-8", "surrogatepass")),
            encoding="json", content_type=b"application/json"),
        "JSON with a number, CSRF token in its header": replace(with_token.with_field(index, value=JsonValue(7)),
                                                                encoding="json", content_type=b"application/json"),
        "text/plain, CSRF token in its header": replace(with_token, encoding="text", content_type=b"text/plain"),
    }
    return {label: replace(case, refusals=frozenset({label})) for label, case in cases.items()}


POST_ROUTES = [route for route in (COMMENT, SIGN_IN, UNSUBSCRIBE, UNSUBSCRIBE_ALL, *ADMIN_ROUTES)
               if route.method == "POST"]


@pytest.mark.parametrize("case", list(issue_cases(COMMENT)))
@pytest.mark.parametrize("route", POST_ROUTES, ids=[route.name for route in POST_ROUTES])
def test_every_form_refuses_the_issue_requests(shared_site, caplog, route, case):
    shared_site.check(issue_cases(route)[case], caplog)


# Drawn requests.


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
@settings(max_examples=80, **PROPERTIES)
@example(plan=HOSTILE["path: NUL"])
@example(plan=HOSTILE["field value: NUL in the comment"])
@example(plan=HOSTILE["multipart: comment as a file part (issue 12)"])
@example(plan=HOSTILE["content type: JSON with a lone surrogate (issue 12)"])
@example(plan=BROWSER_FORMS["urlencoded"])
@example(plan=BROWSER_FORMS["multipart (Chrome)"])
@given(plan=plans([COMMENT, POST_PAGE]))
def test_comment_form_takes_any_request(matrix_site, caplog, plan):
    matrix_site.check(plan, caplog)


@settings(max_examples=60, **PROPERTIES)
@given(plan=plans([SIGN_IN, UNSUBSCRIBE, UNSUBSCRIBE_ALL]))
def test_sign_in_and_unsubscribe_take_any_request(site, caplog, plan):
    site.check(plan, caplog)


@settings(max_examples=100, **PROPERTIES)
@given(plan=plans(ADMIN_ROUTES))
def test_admin_forms_take_any_request(site, caplog, plan):
    site.check(plan, caplog)
