"""POST /<slug>/comments: one case per outcome row of DESIGN.md section 5."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blog.comments import Comment, CommentStatus, comment_posted
from blog.comments.forgery import post_token
from blog.comments.forms import EMAIL_MAX, CommentForm, _is_known_email_address, is_email_address
from blog.comments.submission import new_comment, submit_comment
from blog.comments.timing import current_window, issue_form_stamp
from blog.extensions import db, utcnow
from blog.posts.models import Post, PostStatus
from tests.factories import make_app, make_comment, make_post
from tests.readers import CSRF_TOKEN, Reader


def stored(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_approved_comment_redirects_to_itself(app, reader, post):
    with app.app_context():
        make_comment(post, author="Ann Reader", email="ann@example.org")  # an earlier approved comment
    response = reader.post(comment="Second thoughts.")
    comment = stored(app)[-1]
    assert response.status_code == 303
    assert response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert comment.status is CommentStatus.APPROVED and comment.approved_at is not None
    assert "Second thoughts." in reader.client.get("/hello/").get_data(as_text=True)


def test_held_comment_redirects_to_itself_and_shows_to_its_author(app, reader, client):
    response = reader.post(comment="My first comment.")
    [comment] = stored(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert comment.status is CommentStatus.PENDING
    page = client.get("/hello/").get_data(as_text=True)
    assert "My first comment." in page and "Your comment is awaiting moderation." in page


def test_stored_fields_are_trimmed_and_normalized(app, reader):
    reader.post(author="  Ann  ", email="  Ann@Example.ORG ", url=" https://ann.example/ ",
                comment="  Cafe\u0301 <b>bold</b>  ")
    [comment] = stored(app)
    assert (comment.author, comment.email, comment.url) == ("Ann", "ann@example.org", "https://ann.example/")
    assert comment.body_raw == "Café <b>bold</b>"  # NFC: one code point for é
    assert comment.body_html == "<p>Café <b>bold</b></p>"
    assert comment.ip == "127.0.0.1"
    assert comment.user_agent.startswith("Werkzeug/")


VALIDATION_ROWS = [
    ({"author": ""}, "author", "Please fill the required fields."),
    ({"author": "   "}, "author", "Please fill the required fields."),
    ({"author": None}, "author", "Please fill the required fields."),
    ({"email": ""}, "email", "Please fill the required fields."),
    ({"email": "not-an-address"}, "email", "Please enter a valid email address."),
    ({"email": "a@b"}, "email", "Please enter a valid email address."),
    ({"comment": ""}, "comment", "Please type your comment text."),
    ({"comment": " \n\t "}, "comment", "Please type your comment text."),
    ({"url": "javascript:alert(1)"}, "url", "Please enter a web address that starts with http:// or https://."),
    ({"url": "ftp://example.org"}, "url", "Please enter a web address that starts with http:// or https://."),
    ({"author": "a" * 246}, "author", "Your name is too long."),
    ({"email": "a" * 89 + "@example.org"}, "email", "Your email address is too long."),
    ({"url": "https://example.org/" + "a" * 181}, "url", "Your URL is too long."),
    ({"comment": "a" * 65_526}, "comment", "Your comment is too long."),
    ({"comment": "delete \x7f here"}, "comment", "This field contains characters that are not allowed."),
    ({"author": "Ann\r\nBcc: x@example.org"}, "author", "This field contains characters that are not allowed."),
    ({"author": "Ann \u202eredaeR"}, "author", "This field contains characters that are not allowed."),
]


@pytest.mark.parametrize(("fields", "field", "message"), VALIDATION_ROWS,
                         ids=[f"{index}-{field}:{message[:24]}" for index, (_, field, message) in
                              enumerate(VALIDATION_ROWS)])
def test_invalid_form_is_400_with_the_message_beside_the_field(app, reader, fields, field, message):
    submitted = {"author": "Ann", "email": "ann@example.org", "url": "https://ann.example/",
                 "comment": "Kept as typed <b>here</b>", **fields}
    response = reader.post(**submitted)
    assert response.status_code == 400
    page = page_of(response)
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in page
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    for name in ("author", "email", "url", "comment"):
        value = submitted.get(name)
        if value and name != field and value.strip():
            assert value.strip() in page, f"{name} input was not kept"
    assert stored(app) == []


def test_limits_hold_exactly_at_the_edge(app, reader):
    response = reader.post(author="a" * 245, email="a" * 88 + "@example.org", url="https://example.org/" + "a" * 180,
                           comment="a" * 65_525)
    assert response.status_code == 303
    [comment] = stored(app)
    assert (len(comment.author), len(comment.email), len(comment.url), len(comment.body_raw)) == (245, 100, 200, 65_525)


def test_limits_count_characters_not_bytes(app, reader):
    response = reader.post(author="😀" * 245, comment="😀" * 1000)
    assert response.status_code == 303
    assert stored(app)[0].author == "😀" * 245


@pytest.mark.parametrize("token", [None, "", "garbage", "IjEyMyI.ZZZZ.ZZZZ"])
def test_missing_or_bad_csrf_token_is_400_with_the_form_kept(app, reader, token):
    response = reader.post(csrf_token=token, comment="Words I do not want to lose.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired or did not come from this site." in page
    assert "Words I do not want to lose." in page
    assert stored(app) == []
    # The page carries a fresh token: sending the same form again works.
    fresh = CSRF_TOKEN.search(page).group(1)
    assert reader.post(csrf_token=fresh, comment="Words I do not want to lose.").status_code == 303
    assert len(stored(app)) == 1


def test_expired_form_message_in_dutch(reader):
    page = reader.post(csrf_token="garbage", language="nl").get_data(as_text=True)
    assert "Dit formulier is verlopen of kwam niet van deze site." in page


def test_closed_post_is_403(app, reader, post):
    with app.app_context():
        db.session.execute(db.update(Post).values(comments_open=False))
        db.session.commit()
    response = reader.post()
    assert response.status_code == 403
    assert "Comments are closed." in response.get_data(as_text=True)
    assert stored(app) == []


def test_comments_close_after_the_configured_days(tmp_path):
    app = make_app(tmp_path, COMMENTS_CLOSE_AFTER_DAYS=14)
    with app.app_context():
        db.create_all()
        make_post(slug="old", published_at=utcnow() - timedelta(days=15))
        make_post(slug="new", published_at=utcnow() - timedelta(days=13))
    client = app.test_client()
    assert Reader(client, "/old/").post().status_code == 403
    assert Reader(client, "/new/").post().status_code == 303


def test_dutch_closed_message(app, reader, post):
    with app.app_context():
        db.session.execute(db.update(Post).values(comments_open=False))
        db.session.commit()
    assert "Reacties zijn gesloten." in reader.post(language="nl").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/no-such-post/comments", "/draft/comments"])
def test_unknown_or_unpublished_post_is_404(app, reader, path):
    with app.app_context():
        make_post(slug="draft", status=PostStatus.DRAFT)
    token = reader.csrf_token()
    response = reader.client.post(path, data={"author": "A", "email": "a@example.org", "comment": "x",
                                              "csrf_token": token})
    assert response.status_code == 404
    assert stored(app) == []


def test_body_over_the_limit_is_413(app, reader):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = reader.post(comment="a" * 60_000)
    assert response.status_code == 413
    assert stored(app) == []


def test_get_on_the_comments_url_is_405(client, post):
    assert client.get("/hello/comments").status_code == 405


def test_matrix_round_trip(matrix_comments_app):
    """Posting stores exactly what was typed on every database, 4-byte characters included."""
    matrix_comments_app.config["COMMENTS_MODERATION"] = "none"
    text = "Emoji 😀, Ω and <b>bold</b>\n\nline two " + "x" * 70_000
    response = Reader(matrix_comments_app.test_client()).post(author="Zoë 😀", comment=text[:65_525])
    assert response.status_code == 303
    with matrix_comments_app.app_context():
        comment = db.session.scalars(select(Comment)).one()
        assert comment.author == "Zoë 😀"
        assert comment.body_raw == text[:65_525]
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_a_posted_comment_is_the_row_its_database_keeps(matrix_comments_app):
    """The comment the receivers get (inserted without the ORM's unit of work) holds every column as its
    database stored it, sits in the session with nothing to flush, and a receiver's change to it is kept."""
    app = matrix_comments_app
    app.config["COMMENTS_MODERATION"] = "none"
    with app.app_context():
        parent_id = make_comment(f"post-{db.session.scalar(select(Post.id))}", author="Mia").id
    seen = {}

    def keep(sender, comment, target):
        seen.update({column.key: getattr(comment, column.key) for column in Comment.__table__.columns})
        seen["is_clean"] = comment in db.session and not db.session.dirty and not db.session.new
        comment.status_reason = "changed by a receiver"
        db.session.commit()

    with comment_posted.connected_to(keep, app):
        response = Reader(app.test_client()).post(author="Zoë", url="https://zoe.example/", notify="y",
                                                  comment="A reply.", parent=str(parent_id))
    assert response.status_code == 303 and seen.pop("is_clean")
    with app.app_context():
        stored_row = db.session.execute(select(Comment.__table__).where(Comment.id == seen["id"])).one()._asdict()
        if db.engine.dialect.name == "mysql":  # MariaDB's DATETIME keeps whole seconds, cutting the rest
            seen.update({moment: seen[moment].replace(microsecond=0) for moment in ("created_at", "approved_at")})
    assert stored_row.pop("status_reason") == "changed by a receiver"
    seen.pop("status_reason")
    assert stored_row == seen
    assert (seen["parent_id"], seen["root_id"], seen["depth"]) == (parent_id, parent_id, 1)
    assert seen["wants_reply_notice"] and seen["url"] == "https://zoe.example/"


def test_submit_comment_takes_the_address_and_browser_and_leaves_the_transaction_to_its_caller(app, post):
    """The view decides what to keep: a refusal (here a flood) undoes nothing the caller did before."""
    app.config["COMMENTS_FLOOD_SECONDS"] = 15
    with app.test_request_context("/hello/comments", method="POST"):
        target = app.extensions["comments"].load_target("hello")

        def submit(text):
            form = CommentForm(formdata=None, target_key=target.key, author="Ann", email="ann@example.org",
                               comment=text, parent="0", issued=issue_form_stamp(),
                               csrf_token=post_token(target.key, current_window()))
            assert form.validate()
            return submit_comment(target, form, new_comment(target, form, ip="203.0.113.7", user_agent="Probe/1.0\x00"))

        first = submit("One.")
        assert first.refusal is None
        assert (first.comment.ip, first.comment.user_agent) == ("203.0.113.7", "Probe/1.0")
        second = submit("Two.")
        assert second.comment is None
        assert second.refusal.status == 429 and 1 <= second.refusal.retry_after <= 15
        assert first.comment in db.session and db.session().in_transaction()
        db.session.rollback()
    assert stored(app) == []


@pytest.mark.parametrize("address, is_valid", [
    ("ann@example.org", True), ("not-an-address", False), ("a@b", False),
    # Longer than the form takes (its length check refuses it), and still answered as email_validator does.
    ("a" * 60 + "@" + "b" * 60 + ".example.org", True), ("a" * EMAIL_MAX + "@b", False),
])
def test_an_address_is_checked_as_email_validator_checks_it_and_only_a_short_one_is_kept(address, is_valid):
    _is_known_email_address.cache_clear()
    assert is_email_address(address) is is_valid
    assert is_email_address(address) is is_valid
    assert _is_known_email_address.cache_info().currsize == (len(address) <= EMAIL_MAX)
