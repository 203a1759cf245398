"""What a database cannot hold never reaches a query (issue 18, point 3): an id past 32 bits or a NUL in a
path, a query string or a form field is a 404 or a 400 on every database, never a 500 (PostgreSQL refuses
both outright)."""

import pytest
from sqlalchemy import select

from blog.comments.models import Comment, CommentStatus
from blog.extensions import ID_MAX, db
from tests.factories import make_admin, make_app, make_comment, make_post
from tests.readers import AdminActions, Reader

# The first id no INTEGER column holds on PostgreSQL and MariaDB, and a number past 64 bits.
PAST_32_BITS = str(ID_MAX + 1)
PAST_64_BITS = "9" * 20


@pytest.fixture
def site(tmp_path, database_url):
    """The blog on each database of the matrix: a post at /hello/ with one pending comment, and an admin."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url, COMMENTS_MODERATION="none")
    with app.app_context():
        db.create_all()
        post = make_post(slug="hello", title="Hello world")
        app.comment_id = make_comment(f"post-{post.id}", status=CommentStatus.PENDING).id
        make_admin()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def moderator(site):
    actions = AdminActions(site.test_client())
    assert actions.login().status_code == 303
    return actions


def get(client, path):
    with client.get(path) as response:
        response.get_data()
    return response.status_code


def statuses(site) -> list[str]:
    with site.app_context():
        return [str(status) for status in db.session.scalars(select(Comment.status).order_by(Comment.id))]


@pytest.mark.parametrize("path, status", [
    ("/%00/", 404),
    ("/%00/feed/", 404),
    ("/hello%00/", 404),
    ("/hello/?replytocom=" + PAST_32_BITS, 200),
    ("/hello/?replytocom=" + PAST_64_BITS, 200),
    ("/hello/?comments_page=" + PAST_64_BITS, 200),
    ("/hello/?replytocom=%00", 400),
    ("/?page=" + PAST_64_BITS, 404),
])
def test_public_pages_never_query_what_the_database_refuses(site, path, status):
    assert get(site.test_client(), path) == status


def test_a_comment_posted_to_a_path_with_nul_is_404(site):
    reader = Reader(site.test_client())
    reader.hidden_fields()
    reader.page = "/%00/"
    assert reader.post().status_code == 404
    assert statuses(site) == ["pending"]


@pytest.mark.parametrize("parent", [PAST_32_BITS, PAST_64_BITS, str(ID_MAX)])
def test_a_reply_to_an_id_no_row_can_have_is_400_with_the_text_kept(site, parent):
    reader = Reader(site.test_client())
    response = reader.post(parent=parent, comment="Kept for the reader.")
    assert response.status_code == 400
    assert "Kept for the reader." in response.get_data(as_text=True)
    assert statuses(site) == ["pending"]


@pytest.mark.parametrize("number", [PAST_32_BITS, PAST_64_BITS, str(ID_MAX), "0"])
@pytest.mark.parametrize("path", ["/admin/comments/{}/edit", "/admin/posts/{}/edit"])
def test_admin_pages_for_an_id_no_row_has_are_404(moderator, path, number):
    assert get(moderator.client, path.format(number)) == 404


@pytest.mark.parametrize("number", [PAST_32_BITS, PAST_64_BITS, str(ID_MAX)])
@pytest.mark.parametrize("action", ["approve", "reply", "edit"])
def test_admin_actions_on_an_id_no_row_has_are_404(site, moderator, action, number):
    response = moderator.post(f"/admin/comments/{number}/{action}", comment="An answer.")
    assert response.status_code == 404
    assert statuses(site) == ["pending"]


@pytest.mark.parametrize("number", [PAST_32_BITS, PAST_64_BITS, "-1", "0"])
def test_bulk_action_with_an_id_no_row_can_have_is_400_and_changes_nothing(site, moderator, number):
    response = moderator.post("/admin/comments/bulk", action="approve", ids=[str(site.comment_id), number])
    assert response.status_code == 400
    assert statuses(site) == ["pending"]


@pytest.mark.parametrize("query, status", [("q=%00", 400), ("q=a%00b", 400), ("status=%00", 400),
                                           ("page=" + PAST_64_BITS, 200), ("q=" + PAST_64_BITS, 200)])
def test_queue_search_never_sends_nul_to_the_database(moderator, query, status):
    assert get(moderator.client, "/admin/comments?" + query) == status
