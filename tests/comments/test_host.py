"""The plugin inside a toy host of a few lines: it needs nothing of the blog's posts, admin or auth."""

import pytest
from flask import Flask
from flask_babel import Babel
from sqlalchemy import select

from blog.comments import Comment, Comments, CommentStatus
from blog.extensions import db
from tests.readers import CSRF_TOKEN, Reader


def test_toy_host_shows_the_form_and_takes_a_comment(host_app):
    client = host_app.test_client()
    page = client.get("/about/").get_data(as_text=True)
    assert 'action="/about/comments#form-error"' in page and "Leave a Reply" in page
    response = Reader(client, "/about/").post(author="Toy", email="toy@example.org", comment="Works anywhere.")
    assert response.status_code == 303
    with host_app.app_context():
        comment = db.session.scalars(select(Comment)).one()
    assert (comment.target_key, comment.status) == ("page-about", CommentStatus.APPROVED)
    assert response.headers["Location"] == f"/about/#comment-{comment.id}"
    assert "Works anywhere." in client.get("/about/").get_data(as_text=True)


def test_toy_host_renders_its_page_for_errors(host_app):
    client = host_app.test_client()
    token = CSRF_TOKEN.search(client.get("/about/").get_data(as_text=True)).group(1)
    response = client.post("/about/comments", data={"author": "", "email": "x", "comment": "", "csrf_token": token})
    assert response.status_code == 400
    assert "<h1>About us</h1>" in response.get_data(as_text=True)


def test_unknown_target_is_404(host_app):
    assert host_app.test_client().post("/nowhere/comments", data={}).status_code == 404


def test_a_host_without_hooks_gets_a_clear_error(tmp_path):
    app = Flask("hookless")
    app.config.update(SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    db.init_app(app)
    Babel(app)
    comments = Comments(app)
    with app.app_context(), pytest.raises(RuntimeError, match="target_loader"):
        comments.load_target("anything")
    with app.app_context(), pytest.raises(RuntimeError, match="page_renderer"):
        comments.render_page(None, None, 400)
