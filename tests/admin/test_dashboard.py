"""The admin's dashboard at /admin/ (DESIGN.md section 4): counts per status and the newest pending comments."""

from datetime import timedelta

import pytest

from blog.comments import Comment, CommentStatus
from blog.extensions import db, utcnow
from tests.factories import make_comment, make_post
from tests.pages import by_id, folded_text, parse_page, with_class

PENDING, APPROVED, SPAM, TRASH = CommentStatus


@pytest.fixture
def posts(app):
    """Two published posts, by thread key: "hello" and "other"."""
    with app.app_context():
        return {slug: f"post-{make_post(slug=slug, title=title).id}"
                for slug, title in (("hello", "Hello world"), ("other", "Another post"))}


@pytest.fixture
def signed_in(admin):
    response = admin.login()
    assert response.status_code in (302, 303)
    return admin.client


def add(app, key, **fields) -> int:
    with app.app_context():
        return make_comment(key, **fields).id


def dashboard(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    return parse_page(response)


def counts(tree) -> dict:
    return {status.value: folded_text(by_id(tree, f"count-{status.value}")) for status in CommentStatus}


def newest_pending(tree) -> list:
    return [item for found in with_class(tree, "ul", "newest-pending") for item in found.iter("li")]


def test_dashboard_counts_comments_per_status(app, posts, signed_in):
    for key, status, number in ((posts["hello"], PENDING, 3), (posts["other"], PENDING, 1),
                                (posts["hello"], APPROVED, 2), (posts["other"], SPAM, 1)):
        for _ in range(number):
            add(app, key, status=status)
    assert counts(dashboard(signed_in)) == {"pending": "4", "approved": "2", "spam": "1", "trash": "0"}


def test_dashboard_counts_links_to_each_queue(app, posts, signed_in):
    tree = dashboard(signed_in)
    for status in CommentStatus:
        count = by_id(tree, f"count-{status.value}")
        link = next(element for element in tree.iter("a") if count in list(element.iter()))
        assert link.get("href") == f"/admin/comments?status={status.value}"


def test_empty_dashboard_says_nothing_is_waiting(app, posts, signed_in):
    tree = dashboard(signed_in)
    assert counts(tree) == {"pending": "0", "approved": "0", "spam": "0", "trash": "0"}
    assert newest_pending(tree) == []
    assert "Nothing is waiting." in folded_text(tree)


def test_dashboard_lists_the_newest_pending_with_their_posts(app, posts, signed_in):
    now = utcnow()
    older = add(app, posts["hello"], status=PENDING, author="Old Olga", body_raw="An older question.",
                created_at=now - timedelta(hours=2))
    newer = add(app, posts["other"], status=PENDING, author="New Nina", body_raw="A newer question.",
                created_at=now - timedelta(minutes=5))
    add(app, posts["hello"], status=APPROVED, author="Approved Anna", body_raw="Already public.", created_at=now)
    add(app, posts["hello"], status=SPAM, author="Spammy Sam", body_raw="Buy now.", created_at=now)

    tree = dashboard(signed_in)

    items = newest_pending(tree)
    texts = [folded_text(item) for item in items]
    assert len(items) == 2
    assert "New Nina" in texts[0] and "Another post" in texts[0] and "A newer question." in texts[0]
    assert "Old Olga" in texts[1] and "Hello world" in texts[1] and "An older question." in texts[1]
    assert [link.get("href") for item in items for link in item.iter("a")] == [
        f"/admin/comments?status=pending#queue-comment-{comment_id}" for comment_id in (newer, older)]
    assert "Approved Anna" not in folded_text(tree) and "Spammy Sam" not in folded_text(tree)


def test_dashboard_shows_only_the_newest_few_pending(app, posts, signed_in):
    now = utcnow()
    ids = [add(app, posts["hello"], status=PENDING, author=f"Reader {n}", created_at=now - timedelta(minutes=n))
           for n in range(30)]  # newest first
    items = newest_pending(dashboard(signed_in))
    assert 1 <= len(items) < 30
    shown = [item.find(".//a").get("href").rsplit("-", 1)[1] for item in items]
    assert shown == [str(comment_id) for comment_id in ids[:len(items)]]


def test_dashboard_escapes_what_readers_wrote(app, posts, signed_in):
    add(app, posts["hello"], status=PENDING, author="<script>alert(1)</script>", body_raw="<img src=x onerror=y>")
    tree = dashboard(signed_in)
    [item] = newest_pending(tree)
    assert item.find(".//script") is None and item.find(".//img") is None
    assert "<script>alert(1)</script>" in folded_text(item)


def test_dashboard_leaves_out_a_removed_post_title(app, posts, signed_in):
    """A comment whose thread key names no post is still listed, just without a title."""
    add(app, "post-999", status=PENDING, author="Orphan Oscar")
    [item] = newest_pending(dashboard(signed_in))
    assert "Orphan Oscar" in folded_text(item)


@pytest.mark.parametrize("path", ["/admin/", "/admin"])
def test_anonymous_visitor_is_sent_to_sign_in(app, posts, client, path):
    add(app, posts["hello"], status=PENDING, author="Secret Sarah", email="sarah@example.org")
    response = client.get(path)
    assert response.status_code in (301, 302, 303, 308)
    if response.status_code in (301, 308):  # /admin → /admin/ first
        response = client.get(response.headers["Location"])
    assert response.status_code in (302, 303)
    assert response.headers["Location"].split("?")[0].endswith("/admin/login")
    assert "Secret Sarah" not in response.get_data(as_text=True)
    assert "sarah@example.org" not in response.get_data(as_text=True)


def test_signed_out_admin_is_sent_to_sign_in(app, posts, admin):
    admin.login()
    assert admin.client.get("/admin/").status_code == 200
    assert admin.logout().status_code in (302, 303)
    response = admin.client.get("/admin/")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].split("?")[0].endswith("/admin/login")


def test_counts_follow_moderation(app, posts, admin):
    comment_id = add(app, posts["hello"], status=PENDING)
    admin.login()
    assert counts(dashboard(admin.client))["pending"] == "1"
    response = admin.post(f"/admin/comments/{comment_id}/approve")
    assert response.status_code == 303
    assert counts(dashboard(admin.client)) == {"pending": "0", "approved": "1", "spam": "0", "trash": "0"}
    with app.app_context():
        assert db.session.get(Comment, comment_id).is_approved
