"""The moderation queue's tabs and filters: a live count on every status tab, an "All" view (every comment
but spam and trash, as WordPress's), and filters by thread and by commenter that combine with the tabs and
the search and are kept across pages; no query string makes it fail."""

from datetime import timedelta

import pytest

from blog.comments import CommentStatus
from blog.extensions import utcnow
from tests.factories import make_comment, make_post
from tests.pages import by_id, folded_text, parse_page, with_class

PENDING, APPROVED, SPAM, TRASH = CommentStatus


@pytest.fixture
def desk(app, admin):
    assert admin.login().status_code == 303
    return admin


@pytest.fixture
def threads(app):
    """Two posts, "Hello world" and "Another post": their thread keys."""
    with app.app_context():
        return {slug: f"post-{make_post(slug=slug, title=title).id}"
                for slug, title in (("hello", "Hello world"), ("other", "Another post"))}


def add(app, key, minutes_ago=0, **fields) -> int:
    with app.app_context():
        return make_comment(key, created_at=utcnow() - timedelta(minutes=minutes_ago), **fields).id


def queue_page(desk, **params):
    response = desk.client.get("/admin/comments", query_string=params)
    assert response.status_code == 200, response.status_code
    return parse_page(response)


def queue_ids(tree) -> list[int]:
    return [int(row.get("id").removeprefix("queue-comment-")) for row in tree.iter("tr")
            if (row.get("id") or "").startswith("queue-comment-")]


def tabs(tree) -> dict:
    """Each tab's text and link, by status."""
    [nav] = with_class(tree, "nav", "status-tabs")
    return {link.get("id").removeprefix("tab-"): (folded_text(link), link.get("href")) for link in nav.iter("a")}


@pytest.fixture
def mixed(app, threads):
    """Comments in every status on both threads, by two commenters; newest first within each list."""
    hello, other = threads["hello"], threads["other"]
    return {
        "ann-pending": add(app, hello, 1, status=PENDING, author="Ann Reader", email="ann@example.org"),
        "ann-approved": add(app, other, 2, status=APPROVED, author="Ann Reader", email="ann@example.org"),
        "bob-pending": add(app, other, 3, status=PENDING, author="Bob_100%", email="bob@example.org"),
        "bob-approved": add(app, hello, 4, status=APPROVED, author="Bob_100%", email="bob@example.org"),
        "bob-spam": add(app, hello, 5, status=SPAM, author="Bob_100%", email="bob@example.org"),
        "ann-trash": add(app, hello, 6, status=TRASH, author="Ann Reader", email="ann@example.org"),
    }


def test_every_tab_counts_its_comments(desk, mixed):
    assert {name: text for name, (text, _) in tabs(queue_page(desk)).items()} == {
        "pending": "Pending (2)", "approved": "Approved (2)", "spam": "Spam (1)", "trash": "Trash (1)",
        "all": "All (4)"}


def test_counts_are_live(app, desk, mixed, threads):
    add(app, threads["hello"], status=PENDING)
    assert tabs(queue_page(desk))["pending"][0] == "Pending (3)"


def test_all_shows_pending_and_approved_newest_first(desk, mixed):
    tree = queue_page(desk, status="all")
    assert queue_ids(tree) == [mixed[name] for name in ("ann-pending", "ann-approved", "bob-pending", "bob-approved")]
    assert tabs(tree)["all"][1] == "/admin/comments?status=all"
    [current] = [link for link in tree.iter("a") if link.get("aria-current") == "page"]
    assert current.get("id") == "tab-all"
    options = [option.get("value") for option in by_id(tree, "bulk-action").iter("option")]
    assert options == ["approve", "unapprove", "spam", "trash"]
    dates = [folded_text(line) for line in with_class(tree, "p", "queue-date")]
    assert [date.split(" · ")[1] for date in dates] == ["Pending", "Approved", "Pending", "Approved"]


def test_filter_by_thread(desk, mixed, threads):
    tree = queue_page(desk, status="all", target=threads["other"])
    assert queue_ids(tree) == [mixed["ann-approved"], mixed["bob-pending"]]
    assert {name: text for name, (text, _) in tabs(tree).items()} == {
        "pending": "Pending (1)", "approved": "Approved (1)", "spam": "Spam (0)", "trash": "Trash (0)",
        "all": "All (2)"}
    options = {option.get("value"): (folded_text(option), option.get("selected") is not None)
               for option in by_id(tree, "target-filter").iter("option")}
    assert options == {"": ("All posts", False), threads["other"]: ("Another post", True),
                       threads["hello"]: ("Hello world", False)}
    assert list(options) == ["", threads["other"], threads["hello"]], "sorted by title"


@pytest.mark.parametrize(("author", "expected"), [
    ("ann@example.org", ["ann-pending", "ann-approved"]),
    ("ANN@Example.org", ["ann-pending", "ann-approved"]),
    ("Ann Reader", ["ann-pending", "ann-approved"]),
    ("ann reader", ["ann-pending", "ann-approved"]),
    ("Ann", []),  # a name is matched whole: the search is for parts
    ("Bob_100%", ["bob-pending", "bob-approved"]),
    ("Bob%", []),
    ("Bob_1_0%", []),
    ("%", []),
    ("_", []),
    ("  bob@example.org ", ["bob-pending", "bob-approved"]),
])
def test_filter_by_author_name_or_email(desk, mixed, author, expected):
    tree = queue_page(desk, status="all", author=author)
    assert queue_ids(tree) == [mixed[name] for name in expected]
    assert by_id(tree, "author-filter").get("value") == author.strip()


def test_filters_combine_with_the_tabs_and_the_search(desk, mixed, threads):
    tree = queue_page(desk, status="approved", author="bob@example.org", target=threads["hello"], q="comment")
    assert queue_ids(tree) == [mixed["bob-approved"]]
    links = {name: href for name, (_, href) in tabs(tree).items()}
    assert links["spam"] == f"/admin/comments?status=spam&q=comment&author=bob@example.org&target={threads['hello']}"
    assert queue_ids(queue_page(desk, status="spam", author="bob@example.org", target=threads["hello"])) == [
        mixed["bob-spam"]]
    assert tabs(tree)["spam"][0] == "Spam (1)"


def test_a_row_links_to_its_thread_and_its_author(desk, mixed, threads):
    tree = queue_page(desk)
    row = by_id(tree, f"queue-comment-{mixed['bob-pending']}")
    hrefs = [link.get("href") for link in with_class(row, "a", "queue-filter")]
    assert hrefs == ["/admin/comments?status=pending&author=bob@example.org",
                     f"/admin/comments?status=pending&target={threads['other']}"]


def test_pagination_keeps_the_filters(app, desk, threads):
    app.config["COMMENTS_ADMIN_PER_PAGE"] = 2
    ids = [add(app, threads["hello"], n, status=PENDING, author="Pat") for n in range(3)]
    add(app, threads["other"], status=PENDING, author="Pat")
    first = queue_page(desk, author="pat", target=threads["hello"])
    assert queue_ids(first) == ids[:2]
    [older] = [link.get("href") for link in first.iter("a") if link.get("rel") == "next"]
    assert older == f"/admin/comments?status=pending&author=pat&target={threads['hello']}&page=2"
    assert queue_ids(queue_page(desk, author="pat", target=threads["hello"], page=2)) == ids[2:]


@pytest.mark.parametrize("query", [
    {"author": "x" * 10_000}, {"target": "x" * 10_000}, {"q": "x" * 10_000},
    {"author": "\u202eevil"}, {"author": "'; DROP TABLE comment; --"}, {"target": "post-99999999999999999999"},
    {"target": ""}, {"author": "\\"}, {"page": "-1"}, {"page": "99999999999"},
    {"author": "é" * 300}, {"target": "%"}, {"author": ["a", "b"]}, {"unknown": "1"},
])
def test_hostile_filters_never_fail(desk, mixed, query):
    tree = queue_page(desk, **query)
    assert queue_ids(tree) in ([], [mixed["ann-pending"], mixed["bob-pending"]])


@pytest.mark.parametrize("query", ["author=%00", "target=a%00", "status=all%00", "author=%C0%AF", "target=%ED%A0%80"])
def test_filters_with_what_no_text_holds_are_refused(desk, query):
    with desk.client.get("/admin/comments?" + query) as response:
        assert response.status_code == 400


def test_filters_on_every_database(matrix_moderator):
    app, desk = matrix_moderator
    with app.app_context():
        other = f"post-{make_post(slug='other', title='Another post').id}"
    bob = add(app, other, 1, status=PENDING, author="Bob_100%", email="bob@example.org")
    add(app, other, 2, status=PENDING, author="Bob 1000", email="bob2@example.org")
    add(app, other, 3, status=SPAM, author="Bob_100%", email="bob@example.org")
    assert queue_ids(queue_page(desk, author="bob_100%")) == [bob]
    assert queue_ids(queue_page(desk, author="BOB@example.org", target=other)) == [bob]
    assert tabs(queue_page(desk, author="Bob_100%"))["spam"][0] == "Spam (1)"
