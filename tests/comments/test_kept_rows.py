"""A full page's rows and the thread's counts, kept by each worker while a new comment only adds to the
end of the thread (blog.comments.section.kept_page_rows, blog.comments.counts,
blog.comments.thread_cache.VERSION_STEP): the page shows what a whole rendering shows, its count and page
links included, and is read again on every other change and whenever a comment came in before its last one."""

from datetime import timedelta

from blog.comments import Comment
from blog.comments.moderation import apply_action
from blog.comments.thread_cache import VersionedCache
from blog.extensions import db, utcnow
from tests.pages import folded_text, parse_page, with_class
from tests.readers import Reader
from tests.statements import recorded_statements

SETTINGS = {"COMMENTS_PER_PAGE": 2, "COMMENTS_FLOOD_SECONDS": 0, "COMMENTS_MIN_FILL_SECONDS": 0}


def shared_page(blog, path="/hello/"):
    """A reader without a cookie's page, its body, and whether it read comments' rows or counted them."""
    with recorded_statements(blog.app) as statements, blog.app.test_client().get(path) as response:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
    return body, any("comment.body_html" in statement or "count(" in statement.lower() for statement in statements)


def rendered_afresh(blog, path="/hello/") -> str:
    """The page as a worker that keeps nothing renders it."""
    for name in ("comments.rendered_threads", "comments.rendered_pages", "comments.rendered_comments"):
        blog.app.extensions[name] = VersionedCache()
    return shared_page(blog, path)[0]


def authors(body) -> list[str]:
    return [folded_text(element) for element in with_class(parse_page(body), "b", "fn")]


def post(blog, text, **fields):
    """A new comment through the form, from a reader of its own."""
    response = Reader(blog.app.test_client()).post(comment=text, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_a_new_comment_on_a_later_page_leaves_a_full_page_unread(make_blog, database_url):
    blog = make_blog(database_url=database_url, **SETTINGS)
    for name in ("Ann", "Bob"):
        blog.add(author=name)
    first, read = shared_page(blog)
    assert read and authors(first) == ["Ann", "Bob"]
    post(blog, "On the second page.", author="Cy")
    page, read = shared_page(blog)
    assert not read  # the page's rows and counts follow from what was kept: only its last comment's place read
    assert authors(page) == ["Ann", "Bob"] and "3 thoughts on" in page and 'href="/hello/?comments_page=2' in page
    assert page == rendered_afresh(blog)


def test_a_reply_or_an_edit_on_the_page_reads_it_again(make_blog):
    blog = make_blog(**SETTINGS)
    ann = blog.add(author="Ann")
    blog.add(author="Bob")
    shared_page(blog)
    post(blog, "A reply to Ann.", author="Dee", parent=str(ann))
    page, read = shared_page(blog)
    assert read and "A reply to Ann." in page
    with blog.app.app_context():
        apply_action("trash", db.session.get(Comment, ann), "tester")
        db.session.commit()
    page, read = shared_page(blog)
    assert read and "Ann" not in authors(page)
    assert page == rendered_afresh(blog)


def test_a_comment_that_comes_in_before_the_last_on_the_page_reads_it_again(make_blog):
    """A comment's time is taken before it waits for the write lock, and hosts' clocks differ: a new
    comment may go before others. The page's last comment then moves on, and the page is read again."""
    blog = make_blog(**SETTINGS)
    later = utcnow() + timedelta(hours=1)
    for offset, name in enumerate(("Ann", "Bob", "Cy")):
        blog.add(author=name, created_at=later + timedelta(minutes=offset))
    assert authors(shared_page(blog)[0]) == ["Ann", "Bob"]
    post(blog, "Earlier than all of them.", author="Dee")
    page, read = shared_page(blog)
    assert read and authors(page) == ["Dee", "Ann"]
    assert page == rendered_afresh(blog)


def test_counts_follow_from_the_kept_ones_on_every_page(make_blog, database_url):
    blog = make_blog(database_url=database_url, **SETTINGS)
    blog.add(author="Ann")
    shared_page(blog)
    for number in range(3):
        post(blog, f"Comment {number}.", author=f"Poster {number}")
    last, read = shared_page(blog, "/hello/?comments_page=2")
    assert read and "4 thoughts on" in last
    first, read = shared_page(blog)
    assert "4 thoughts on" in first
    assert folded_text(with_class(parse_page(first), "span", "comments-link")[0]) == "| 4 comments"
    assert first == rendered_afresh(blog)
