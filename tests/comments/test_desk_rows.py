"""What a row of the moderation queue shows: the IP and browser behind a disclosure, what a reply answers,
and every date of the admin in one format, in the admin's language."""

from datetime import datetime, timezone

import pytest

from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationLogEntry
from blog.extensions import db
from blog.posts.models import Post
from tests.factories import make_comment
from tests.pages import by_id, folded_text, parse_page, text_of, with_class

PENDING, APPROVED, SPAM, TRASH = CommentStatus
MOMENT = datetime(2026, 3, 7, 14, 5, 9, tzinfo=timezone.utc)
SHOWN = {"en": "Mar 7, 2026 at 2:05\u202fPM", "nl": "7 mrt 2026 om 14:05"}


@pytest.fixture
def desk(app, admin, post):
    assert admin.login().status_code == 303
    return admin


def add(app, key, parent=None, **fields) -> int:
    with app.app_context():
        parent_comment = db.session.get(Comment, parent) if parent else None
        return make_comment(key, parent=parent_comment, **fields).id


def page(desk, path="/admin/comments", language="en", **params):
    response = desk.client.get(path, query_string=params, headers={"Accept-Language": language})
    assert response.status_code == 200
    return parse_page(response)


def row_of(tree, comment_id):
    row = by_id(tree, f"queue-comment-{comment_id}")
    assert row is not None
    return row


def test_ip_and_browser_sit_behind_a_disclosure(app, desk, post):
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    comment_id = add(app, post, status=PENDING, ip="2001:db8:85a3::8a2e:370:7334", user_agent=agent)
    row = row_of(page(desk), comment_id)
    [details] = with_class(row, "details", "queue-origin")
    assert folded_text(details.find("summary")) == "IP address and browser"
    assert details.get("open") is None, "closed until asked"
    assert [folded_text(part) for part in details.iter("div")] == ["2001:db8:85a3::8a2e:370:7334", agent]
    outside = [element for element in row.iter() if element not in set(details.iter())]
    assert agent not in "".join(text_of(element) for element in outside if element.tag == "div")


def test_no_disclosure_once_ip_and_browser_are_cleared(app, desk, post):
    comment_id = add(app, post, status=PENDING, ip=None, user_agent=None)
    assert with_class(row_of(page(desk), comment_id), "details", "queue-origin") == []


@pytest.mark.parametrize("language", SHOWN)
def test_every_admin_date_has_one_format(app, desk, post, language):
    comment_id = add(app, post, status=PENDING, created_at=MOMENT)
    desk.post(f"/admin/comments/{comment_id}/edit", author="Reader", email="reader@example.org", url="",
              comment="Edited.")
    with app.app_context():
        db.session.execute(db.update(ModerationLogEntry).values(created_at=MOMENT))
        db.session.execute(db.update(Post).values(updated_at=MOMENT))
        db.session.commit()
    queue, dashboard, posts = (page(desk, path, language) for path in ("/admin/comments", "/admin/", "/admin/posts"))
    row = row_of(queue, comment_id)
    [log] = with_class(row, "ul", "queue-log")
    # The comment's date and its log line's, the dashboard's newest pending, the posts' last change.
    times = [*row.find(".//p[@class='queue-date']").iter("time"), *log.iter("time"), *dashboard.iter("time"),
             *posts.iter("time")]
    assert [(text_of(time), time.get("datetime")) for time in times] == [
        (SHOWN[language], "2026-03-07T14:05:09+00:00")] * 4


def test_a_reply_shows_what_it_answers(app, desk, post):
    parent = add(app, post, author="Ada Lovelace", body_raw="The <b>engine</b> weaves algebraic patterns. " * 10)
    reply = add(app, post, parent=parent, status=PENDING, author="Grace")
    tree = page(desk)
    [answered] = with_class(row_of(tree, reply), "p", "queue-parent")
    assert folded_text(answered).startswith("In reply to Ada Lovelace: The engine weaves algebraic patterns.")
    [quote] = answered.iter("q")
    assert len(text_of(quote)) <= 140 and text_of(quote).endswith("...")
    [link] = answered.iter("a")
    assert (text_of(link), link.get("href")) == ("Ada Lovelace", f"/hello/#comment-{parent}")


def test_a_reply_to_a_comment_no_longer_public_links_to_its_edit_page(app, desk, post):
    parent = add(app, post, author="Ada Lovelace", body_raw="<script>alert(1)</script>Hi")
    reply = add(app, post, parent=parent, status=PENDING)
    desk.post(f"/admin/comments/{parent}/spam")
    [answered] = with_class(row_of(page(desk), reply), "p", "queue-parent")
    [link] = answered.iter("a")
    assert link.get("href").startswith(f"/admin/comments/{parent}/edit?next=")
    assert answered.find(".//script") is None and "alert(1)" in folded_text(answered)


def test_a_top_level_comment_answers_nothing(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    assert with_class(row_of(page(desk), comment_id), "p", "queue-parent") == []


# --- Edit and Reply: pages of their own, opened in the row with JavaScript --------------------------------------

def test_a_rows_edit_and_reply_links_lead_to_their_pages(app, desk, post):
    ids = {status: add(app, post, status=status) for status in CommentStatus}
    for status, comment_id in ids.items():
        row = row_of(page(desk, status=status.value), comment_id)
        links = {folded_text(link): link.get("href") for link in row.iter("a") if link.get("data-inline") is not None}
        here = f"/admin/comments?status%3D{status.value}"
        expected = {"Edit": f"/admin/comments/{comment_id}/edit?next={here}"}
        if status in (PENDING, APPROVED):
            expected["Reply" if status is APPROVED else "Approve and reply"] = (
                f"/admin/comments/{comment_id}/reply?next={here}")
        assert links == expected
        assert [slot.get("hidden") for slot in with_class(row, "div", "queue-inline")] == [""]


def test_the_queue_loads_its_script_and_hides_select_all_until_it_runs(app, desk, post):
    add(app, post, status=PENDING)
    tree = page(desk)
    assert by_id(tree, "select-all").get("hidden") == ""
    assert [script.get("src").split("?")[0] for script in tree.iter("script")] == ["/comments/static/queue.js"]


def test_the_reply_page_shows_the_comment_it_answers(app, desk, post):
    comment_id = add(app, post, status=PENDING, author="Ada Lovelace", body_raw="Is it <b>safe</b>?")
    tree = page(desk, f"/admin/comments/{comment_id}/reply", next="/admin/comments?status=pending")
    assert folded_text(tree.find(".//h1")) == "Reply to the comment by Ada Lovelace"
    [quote] = with_class(tree, "blockquote", "queue-answered")
    assert "Is it safe?" in folded_text(quote) and quote.find(".//b") is not None
    [form] = [form for form in tree.iter("form") if "/reply" in (form.get("action") or "")]
    assert form.get("action") == f"/admin/comments/{comment_id}/reply?next=/admin/comments?status%3Dpending"
    assert [folded_text(button) for button in form.iter("button")] == ["Approve and reply"]


def test_a_reply_without_text_comes_back_with_its_error(app, desk, post):
    comment_id = add(app, post, status=APPROVED)
    response = desk.post(f"/admin/comments/{comment_id}/reply", comment="  ")
    assert response.status_code == 400
    error = by_id(parse_page(response), "comment-error")
    assert folded_text(error) == "Please type your comment text."


@pytest.mark.parametrize("status", [SPAM, TRASH], ids=str)
def test_no_reply_page_for_spam_or_trash(app, desk, post, status):
    comment_id = add(app, post, status=status)
    assert desk.client.get(f"/admin/comments/{comment_id}/reply").status_code == 409
