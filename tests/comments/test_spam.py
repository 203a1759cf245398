"""Bots: the honeypot field is answered as if the comment were held, and the comment stored as spam."""

import re

from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.extensions import db


def test_honeypot_is_answered_like_a_held_comment_and_stored_as_spam(app, reader):
    app.config["COMMENTS_MODERATION"] = "none"
    human = reader.post(comment="A person wrote this.")
    bot = reader.post(comment="A bot wrote this.", homepage="http://spam.example")
    assert bot.status_code == 303 and re.fullmatch(r"/hello/#comment-\d+", bot.headers["Location"])
    with app.app_context():
        statuses = db.session.execute(select(Comment.body_raw, Comment.status, Comment.status_reason)
                                      .order_by(Comment.id)).all()
    assert statuses == [("A person wrote this.", CommentStatus.APPROVED, ""),
                        ("A bot wrote this.", CommentStatus.SPAM, "honeypot field filled")]
    assert human.status_code == 303
    assert "A bot wrote this." not in app.test_client().get("/hello/").get_data(as_text=True)


def test_honeypot_is_hidden_from_people(client, post):
    page = client.get("/hello/").get_data(as_text=True)
    assert '<p class="comment-form-homepage" aria-hidden="true">' in page
    assert 'name="homepage" type="text" value="" tabindex="-1" autocomplete="off"' in page
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+comments\.css[^"]*)">', page).group(1)
    with client.get(stylesheet) as response:
        css = response.get_data(as_text=True)
    assert ".comment-form-homepage { position: absolute !important; left: -10000px;" in css
