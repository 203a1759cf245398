"""The moderation desk at /admin/comments (DESIGN.md section 4): actions one by one and in bulk, their
log, edits, replies from the queue, permanent deletion that keeps replies, and the queue itself."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationAction, ModerationLogEntry
from blog.comments.moderation import TRANSITIONS
from blog.extensions import db, utcnow
from blog.posts.models import Post
from tests.factories import make_admin, make_comment
from tests.pages import by_id, folded_text, parents_of, parse_page, text_of, with_class
from tests.readers import CSRF_TOKEN, AdminActions

PENDING, APPROVED, SPAM, TRASH = CommentStatus
ACTIONS = ["approve", "unapprove", "spam", "trash", "restore", "delete"]
# How the queue names each action in a comment's log.
ACTION_LABELS = {"approve": "Approve", "unapprove": "Unapprove", "spam": "Spam", "trash": "Trash",
                 "restore": "Restore", "edit": "edit", "reply": "reply"}


# --- helpers ---------------------------------------------------------------------------------------------------

def token(admin: AdminActions) -> str:
    return admin.csrf_token("/admin/comments")


def send(admin: AdminActions, path: str, **data):
    """POST an admin form with a valid CSRF token."""
    return admin.post(path, **data)


def add(app, key, **fields) -> int:
    with app.app_context():
        parent = db.session.get(Comment, fields.pop("parent")) if fields.get("parent") else None
        return make_comment(key, parent=parent, **fields).id


def load(app, comment_id) -> Comment | None:
    with app.app_context():
        return db.session.get(Comment, comment_id)


def statuses(app, ids) -> dict:
    with app.app_context():
        return {comment_id: db.session.get(Comment, comment_id).status for comment_id in ids}


def log_of(app, comment_id=None) -> list[tuple]:
    """(moderator, action, old status, new status) of the moderation log, oldest first."""
    with app.app_context():
        query = select(ModerationLogEntry).order_by(ModerationLogEntry.id)
        if comment_id is not None:
            query = query.where(ModerationLogEntry.comment_id == comment_id)
        return [(entry.moderator, entry.action, entry.old_status, entry.new_status)
                for entry in db.session.scalars(query)]


def public_page(app, path="/hello/"):
    """The post page as a stranger sees it: a browser of its own, no held-comment cookie."""
    with app.test_client() as stranger:
        response = stranger.get(path)
        assert response.status_code == 200
        return parse_page(response)


def queue_page(admin, **params):
    response = admin.client.get("/admin/comments", query_string=params)
    assert response.status_code == 200
    return parse_page(response)


def queue_ids(tree) -> list[int]:
    return [int(row.get("id").removeprefix("queue-comment-")) for row in tree.iter("tr")
            if (row.get("id") or "").startswith("queue-comment-")]


def queue_log(admin, comment_id, status) -> list[str]:
    """The log lines shown on the comment's row of the queue."""
    row = by_id(queue_page(admin, status=status), f"queue-comment-{comment_id}")
    assert row is not None, f"comment {comment_id} is not in the {status} queue"
    return [folded_text(item) for log in with_class(row, "ul", "queue-log") for item in log.iter("li")]


def is_redirect_to_queue(response) -> bool:
    return response.status_code == 303 and response.headers["Location"].split("?")[0].endswith("/admin/comments")


@pytest.fixture
def desk(app, admin, post):
    """The admin signed in, with the post at /hello/ to moderate comments on."""
    response = admin.login()
    assert response.status_code in (302, 303)
    return admin


# --- one action on one comment ---------------------------------------------------------------------------------

def test_the_six_actions_are_the_documented_ones():
    assert list(TRANSITIONS) == ACTIONS
    assert TRANSITIONS["delete"][0] == {SPAM, TRASH}, "delete is only from spam or trash (DESIGN.md section 4)"


def test_the_log_reads_back_each_action_as_a_moderation_action(app, desk, post):
    assert [type(action) for action in TRANSITIONS] == [ModerationAction] * len(ACTIONS)
    comment_id = add(app, post, status=PENDING)
    send(desk, f"/admin/comments/{comment_id}/approve")
    send(desk, f"/admin/comments/{comment_id}/edit", **EDITED)
    send(desk, f"/admin/comments/{comment_id}/reply", comment="Thanks.")
    with app.app_context():
        actions = db.session.scalars(select(ModerationLogEntry.action).order_by(ModerationLogEntry.id)).all()
    assert actions == [ModerationAction.APPROVE, ModerationAction.EDIT, ModerationAction.REPLY]
    assert [type(action) for action in actions] == [ModerationAction] * 3


@pytest.mark.parametrize("start", list(CommentStatus), ids=str)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_moves_the_comment_as_the_transitions_say(app, desk, post, action, start):
    comment_id = add(app, post, status=start)
    allowed, end = start in TRANSITIONS[action][0], TRANSITIONS[action][1]
    before = utcnow()

    response = send(desk, f"/admin/comments/{comment_id}/{action}")

    comment = load(app, comment_id)
    shown = by_id(public_page(app), f"comment-{comment_id}") is not None
    if not allowed:
        assert response.status_code == 409
        assert "A comment in this status cannot be moved that way." in response.get_data(as_text=True)
        assert comment.status is start
        assert log_of(app) == []
        assert shown is (start is APPROVED)
        return
    assert is_redirect_to_queue(response)
    if end is None:
        assert comment is None
        assert log_of(app) == [], "the deleted comment's log goes with it"
        assert not shown
        return
    assert comment.status is end
    assert shown is (end is APPROVED)
    assert log_of(app, comment_id) == [("boss", action, start.value, end.value)]
    [line] = queue_log(desk, comment_id, end.value)
    assert line.startswith(f"boss: {ACTION_LABELS[action]},")
    if action == "approve":
        assert comment.approved_at is not None and comment.approved_at >= before - timedelta(seconds=1)


def test_approve_makes_a_held_comment_public_with_its_count(app, desk, post):
    comment_id = add(app, post, status=PENDING, author="Held Harriet", body_raw="Worth the wait.")
    assert by_id(public_page(app), f"comment-{comment_id}") is None

    assert is_redirect_to_queue(send(desk, f"/admin/comments/{comment_id}/approve"))

    tree = public_page(app)
    assert "Worth the wait." in folded_text(by_id(tree, f"comment-{comment_id}"))
    assert "One thought on “Hello world”" in folded_text(tree)


def test_action_goes_back_to_the_queue_page_it_came_from(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    response = send(desk, f"/admin/comments/{comment_id}/spam?next=/admin/comments?status%3Dpending%26page%3D2")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/comments?status=pending&page=2")


@pytest.mark.parametrize("next_page", ["https://evil.example/admin/comments", "//evil.example/admin/comments",
                                       "/admin/comments//evil.example", "/hello/"])
def test_action_never_goes_back_anywhere_but_the_queue(app, desk, post, next_page):
    comment_id = add(app, post, status=PENDING)
    response = desk.client.post(f"/admin/comments/{comment_id}/spam", query_string={"next": next_page},
                                data={"csrf_token": token(desk)})
    assert response.status_code == 303
    assert response.headers["Location"] in ("/admin/comments", "http://localhost/admin/comments")


def test_action_without_csrf_token_is_refused(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    response = desk.client.post(f"/admin/comments/{comment_id}/approve", data={})
    assert response.status_code == 400
    assert load(app, comment_id).status is PENDING
    assert log_of(app) == []


def test_action_with_a_bad_csrf_token_is_refused(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    response = desk.client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert load(app, comment_id).status is PENDING


@pytest.mark.parametrize("action", ACTIONS)
def test_action_by_get_is_refused(app, desk, post, action):
    comment_id = add(app, post, status=SPAM)
    assert desk.client.get(f"/admin/comments/{comment_id}/{action}").status_code == 405
    assert load(app, comment_id).status is SPAM


@pytest.mark.parametrize("action", ["frobnicate", "Approve", "bulk", "approve "])
def test_unknown_action_is_404(app, desk, post, action):
    comment_id = add(app, post, status=PENDING)
    assert send(desk, f"/admin/comments/{comment_id}/{action}").status_code == 404
    assert load(app, comment_id).status is PENDING
    assert log_of(app) == []


@pytest.mark.parametrize("action", ACTIONS)
def test_unknown_comment_is_404(app, desk, post, action):
    comment_id = add(app, post, status=SPAM)
    assert send(desk, f"/admin/comments/{comment_id + 1}/{action}").status_code == 404
    assert load(app, comment_id).status is SPAM
    assert log_of(app) == []


def test_actions_are_for_signed_in_admins_only(app, admin, post):
    """A stranger with a valid CSRF token of their own is sent to sign in, and nothing changes."""
    comment_id = add(app, post, status=SPAM)
    with app.test_client() as stranger:
        stranger_token = CSRF_TOKEN.search(stranger.get("/admin/login").get_data(as_text=True)).group(1)
        for action in ACTIONS:
            response = stranger.post(f"/admin/comments/{comment_id}/{action}", data={"csrf_token": stranger_token})
            assert response.status_code in (302, 303)
            assert response.headers["Location"].split("?")[0].endswith("/admin/login")
        response = stranger.post("/admin/comments/bulk", data={"csrf_token": stranger_token, "action": "delete",
                                                              "ids": [str(comment_id)]})
        assert response.status_code in (302, 303)
    assert load(app, comment_id).status is SPAM
    assert log_of(app) == []


# --- bulk ------------------------------------------------------------------------------------------------------

def test_bulk_moves_the_allowed_and_leaves_the_rest(app, desk, post):
    ids = {status: add(app, post, status=status) for status in CommentStatus}

    response = send(desk, "/admin/comments/bulk", action="restore", ids=[str(i) for i in ids.values()])

    assert is_redirect_to_queue(response)
    assert statuses(app, ids.values()) == {ids[PENDING]: PENDING, ids[APPROVED]: APPROVED,
                                           ids[SPAM]: PENDING, ids[TRASH]: PENDING}
    assert sorted(log_of(app)) == [("boss", "restore", "spam", "pending"), ("boss", "restore", "trash", "pending")]


def test_bulk_delete_removes_only_spam_and_trash(app, desk, post):
    ids = {status: add(app, post, status=status) for status in CommentStatus}
    response = send(desk, "/admin/comments/bulk", action="delete", ids=[str(i) for i in ids.values()])
    assert is_redirect_to_queue(response)
    assert {status: load(app, i) is not None for status, i in ids.items()} == {
        PENDING: True, APPROVED: True, SPAM: False, TRASH: False}


def test_bulk_approve_publishes_each(app, desk, post):
    ids = [add(app, post, status=PENDING, body_raw=f"Held number {n}.") for n in range(3)]
    assert is_redirect_to_queue(send(desk, "/admin/comments/bulk", action="approve", ids=[str(i) for i in ids]))
    tree = public_page(app)
    assert all(by_id(tree, f"comment-{i}") is not None for i in ids)
    assert all(load(app, i).approved_at is not None for i in ids)


@pytest.mark.parametrize("ids", [["x"], ["x", "{first}"], ["{first}", "1.5"], ["{first}", ""]])
def test_bulk_with_garbage_ids_is_refused(app, desk, post, ids):
    first = add(app, post, status=PENDING)
    response = send(desk, "/admin/comments/bulk", action="approve", ids=[i.format(first=first) for i in ids])
    assert response.status_code == 400
    assert load(app, first).status is PENDING
    assert log_of(app) == []


@pytest.mark.parametrize("action", ["frobnicate", "", "edit", "reply"])
def test_bulk_with_an_unknown_action_is_refused(app, desk, post, action):
    first = add(app, post, status=SPAM)
    response = send(desk, "/admin/comments/bulk", action=action, ids=[str(first)])
    assert response.status_code == 400
    assert load(app, first).status is SPAM


def test_bulk_without_csrf_token_is_refused(app, desk, post):
    first = add(app, post, status=PENDING)
    response = desk.client.post("/admin/comments/bulk", data={"action": "approve", "ids": [str(first)]})
    assert response.status_code == 400
    assert load(app, first).status is PENDING


def test_bulk_ignores_unknown_ids(app, desk, post):
    first = add(app, post, status=PENDING)
    response = send(desk, "/admin/comments/bulk", action="approve", ids=[str(first), str(first + 100)])
    assert is_redirect_to_queue(response)
    assert load(app, first).status is APPROVED


def test_bulk_by_get_is_refused(app, desk, post):
    first = add(app, post, status=PENDING)
    assert desk.client.get("/admin/comments/bulk", query_string={"action": "approve", "ids": first}).status_code \
        in (404, 405)
    assert load(app, first).status is PENDING


# --- the first-time rule ---------------------------------------------------------------------------------------

def test_after_approval_the_same_reader_is_approved_at_once(app, desk, reader, post):
    """COMMENTS_MODERATION "first-time": one approved comment vouches for the name and email."""
    app.config["COMMENTS_FLOOD_SECONDS"] = 0
    assert reader.post(author="Ann Reader", email="ann@example.org", comment="My first.").status_code == 303
    with app.app_context():
        first = db.session.scalars(select(Comment)).one()
    assert (first.status, first.status_reason) == (PENDING, "first comment by this author")

    assert is_redirect_to_queue(send(desk, f"/admin/comments/{first.id}/approve"))

    response = reader.post(author="Ann Reader", email="ann@example.org", comment="My second.")
    with app.app_context():
        second = db.session.scalars(select(Comment).where(Comment.id != first.id)).one()
    assert second.status is APPROVED
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#comment-{second.id}")


def test_after_unapproval_the_reader_is_held_again(app, desk, reader, post):
    app.config["COMMENTS_FLOOD_SECONDS"] = 0
    reader.post(comment="My first.")
    with app.app_context():
        first_id = db.session.scalar(select(Comment.id))
    send(desk, f"/admin/comments/{first_id}/approve")
    send(desk, f"/admin/comments/{first_id}/unapprove")
    reader.post(comment="My second.")
    with app.app_context():
        second = db.session.scalars(select(Comment).where(Comment.id != first_id)).one()
    assert second.status is PENDING


# --- edit ------------------------------------------------------------------------------------------------------

EDITED = {"author": "Ann Editor", "email": "ann.editor@example.org", "url": "https://ann.example/",
          "comment": "Fixed it <script>alert(1)</script> see https://example.com/page"}


def field_value(tree, name):
    for element in tree.iter():
        if element.get("name") == name and element.tag in ("input", "textarea"):
            return text_of(element) if element.tag == "textarea" else element.get("value")
    raise AssertionError(f"no field named {name}")


def test_edit_page_shows_the_current_values(app, desk, post):
    comment_id = add(app, post, author="Orig Author", email="orig@example.org", url="https://orig.example/",
                     body_raw="Original <b>bold</b> & words")
    response = desk.client.get(f"/admin/comments/{comment_id}/edit")
    assert response.status_code == 200
    tree = parse_page(response)
    assert [field_value(tree, name) for name in ("author", "email", "url", "comment")] == [
        "Orig Author", "orig@example.org", "https://orig.example/", "Original <b>bold</b> & words"]


def test_edit_changes_the_comment_and_sanitizes_the_text(app, desk, post):
    comment_id = add(app, post, author="Orig Author", email="orig@example.org", body_raw="Original.")

    response = send(desk, f"/admin/comments/{comment_id}/edit", **EDITED)

    assert is_redirect_to_queue(response)
    comment = load(app, comment_id)
    assert (comment.author, comment.email, comment.url, comment.body_raw) == (
        "Ann Editor", "ann.editor@example.org", "https://ann.example/", EDITED["comment"])
    assert "<script" not in comment.body_html and "&lt;script&gt;" in comment.body_html
    assert '<a href="https://example.com/page" rel="nofollow ugc">' in comment.body_html
    assert comment.status is APPROVED
    assert log_of(app, comment_id) == [("boss", "edit", "approved", "approved")]

    shown = by_id(public_page(app), f"comment-{comment_id}")
    assert "Ann Editor" in folded_text(shown) and "Original." not in folded_text(shown)
    assert shown.find(".//script") is None
    assert "alert(1)" in folded_text(shown)


def test_edit_lowercases_the_email_and_allows_an_empty_url(app, desk, post):
    comment_id = add(app, post, status=PENDING, url="https://orig.example/")
    response = send(desk, f"/admin/comments/{comment_id}/edit", **{**EDITED, "email": " Ann@Example.ORG ", "url": ""})
    assert is_redirect_to_queue(response)
    comment = load(app, comment_id)
    assert (comment.email, comment.url, comment.status) == ("ann@example.org", "", PENDING)
    assert queue_log(desk, comment_id, "pending") and queue_log(desk, comment_id, "pending")[0].startswith("boss: edit")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not-an-email", "Please enter a valid email address."),
    ("email", "", "Please fill the required fields."),
    ("email", "a" * 90 + "@example.org", "Your email address is too long."),
    ("url", "javascript:alert(1)", "Please enter a web address that starts with http:// or https://."),
    ("url", "https://example.org/" + "a" * 200, "Your URL is too long."),
    ("comment", "", "Please type your comment text."),
    ("comment", "   ", "Please type your comment text."),
    ("comment", "x" * 65_526, "Your comment is too long."),
    ("author", "", "Please fill the required fields."),
    ("author", "a" * 246, "Your name is too long."),
    ("author", "Two\nlines", "This field contains characters that are not allowed."),
    ("email", "orig@example.org\r\nBcc: x@example.org", "This field contains characters that are not allowed."),
], ids=lambda value: value[:20] if isinstance(value, str) else value)
def test_edit_with_invalid_data_is_refused(app, desk, post, field, value, message):
    comment_id = add(app, post, author="Orig Author", email="orig@example.org", body_raw="Original.")
    before = load(app, comment_id)

    response = send(desk, f"/admin/comments/{comment_id}/edit", **{**EDITED, field: value})

    assert response.status_code == 400
    tree = parse_page(response)
    error = by_id(tree, f"{field}-error")
    assert error is not None and folded_text(error) == message
    after = load(app, comment_id)
    assert (after.author, after.email, after.url, after.body_raw, after.body_html) == (
        before.author, before.email, before.url, before.body_raw, before.body_html)
    assert log_of(app) == []


def test_edit_without_csrf_token_is_refused(app, desk, post):
    comment_id = add(app, post, body_raw="Original.")
    response = desk.client.post(f"/admin/comments/{comment_id}/edit", data=EDITED)
    assert response.status_code == 400
    assert load(app, comment_id).body_raw == "Original."


def test_edit_of_an_unknown_comment_is_404(app, desk, post):
    comment_id = add(app, post)
    assert desk.client.get(f"/admin/comments/{comment_id + 1}/edit").status_code == 404
    assert send(desk, f"/admin/comments/{comment_id + 1}/edit", **EDITED).status_code == 404


# --- reply from the queue --------------------------------------------------------------------------------------

def only_reply(app, parent_id) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).where(Comment.parent_id == parent_id)).one()


def nested_under(tree, child_id, parent_id) -> bool:
    """Whether li#comment-<child> sits in the ol.children of li#comment-<parent>."""
    parents = parents_of(tree)
    child = by_id(tree, f"comment-{child_id}")
    if child is None:
        return False
    children_list = parents[child]
    return "children" in (children_list.get("class") or "").split() and \
        parents[children_list] is by_id(tree, f"comment-{parent_id}")


def test_reply_from_the_queue_is_approved_and_nested(app, desk, post):
    parent_id = add(app, post, author="Ann Reader", body_raw="A question?")
    before = utcnow()

    response = send(desk, f"/admin/comments/{parent_id}/reply", comment="An <em>answer</em>.")

    assert is_redirect_to_queue(response)
    reply = only_reply(app, parent_id)
    assert (reply.status, reply.is_moderator_reply, reply.author) == (APPROVED, True, "boss")
    assert (reply.target_key, reply.depth, reply.root_id) == (post, 1, parent_id)
    assert reply.body_raw == "An <em>answer</em>." and "<em>answer</em>" in reply.body_html
    assert reply.approved_at is not None and reply.approved_at >= before - timedelta(seconds=1)
    assert log_of(app, reply.id) == [("boss", "reply", "approved", "approved")]
    tree = public_page(app)
    assert nested_under(tree, reply.id, parent_id)
    assert "An answer." in folded_text(by_id(tree, f"comment-{reply.id}"))


def test_reply_to_a_held_comment_approves_it_first(app, desk, post):
    parent_id = add(app, post, status=PENDING, body_raw="Held question?")

    response = send(desk, f"/admin/comments/{parent_id}/reply", comment="Answered and approved.")

    assert is_redirect_to_queue(response)
    parent = load(app, parent_id)
    assert parent.status is APPROVED and parent.approved_at is not None
    assert log_of(app, parent_id) == [("boss", "approve", "pending", "approved")]
    reply = only_reply(app, parent_id)
    assert reply.status is APPROVED
    assert nested_under(public_page(app), reply.id, parent_id)


def test_reply_to_a_reply_nests_one_level_deeper(app, desk, post):
    top = add(app, post)
    middle = add(app, post, parent=top)
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{middle}/reply", comment="Deeper."))
    reply = only_reply(app, middle)
    assert (reply.depth, reply.root_id) == (2, top)
    assert nested_under(public_page(app), reply.id, middle)


def test_reply_past_the_deepest_level_goes_beside_its_parent(app, desk, post):
    app.config["COMMENTS_THREAD_DEPTH"] = 2
    top = add(app, post)
    deepest = add(app, post, parent=top)
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{deepest}/reply", comment="Beside."))
    with app.app_context():
        reply = db.session.scalars(select(Comment).where(Comment.is_moderator_reply)).one()
    assert (reply.parent_id, reply.depth, reply.root_id) == (top, 1, top)
    assert nested_under(public_page(app), reply.id, top)


def test_a_moderators_reply_can_be_corrected(app, desk, post):
    parent_id = add(app, post)
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{parent_id}/reply", comment="My reply, with a tpyo."))
    reply = only_reply(app, parent_id)
    tree = parse_page(desk.client.get(f"/admin/comments/{reply.id}/edit"))
    # The site's own reply has no reader's address to correct: no email field.
    assert by_id(tree, "email") is None
    shown = {name: field_value(tree, name) for name in ("author", "url", "comment")}

    response = send(desk, f"/admin/comments/{reply.id}/edit", **{**shown, "comment": "My reply, with a typo."})

    assert is_redirect_to_queue(response)
    assert load(app, reply.id).body_raw == "My reply, with a typo."


@pytest.mark.parametrize("text", ["", "   ", "x" * 65_526])
def test_reply_with_bad_text_is_refused(app, desk, post, text):
    parent_id = add(app, post, status=PENDING)
    response = send(desk, f"/admin/comments/{parent_id}/reply", comment=text)
    assert response.status_code == 400
    assert load(app, parent_id).status is PENDING
    with app.app_context():
        assert db.session.scalar(select(Comment).where(Comment.parent_id == parent_id)) is None
    assert log_of(app) == []


def test_reply_without_csrf_token_is_refused(app, desk, post):
    parent_id = add(app, post, status=PENDING)
    response = desk.client.post(f"/admin/comments/{parent_id}/reply", data={"comment": "Sneaky."})
    assert response.status_code == 400
    assert load(app, parent_id).status is PENDING


def test_reply_to_an_unknown_comment_is_404(app, desk, post):
    parent_id = add(app, post)
    assert send(desk, f"/admin/comments/{parent_id + 1}/reply", comment="Hello?").status_code == 404


@pytest.mark.parametrize("start", [SPAM, TRASH], ids=str)
def test_reply_to_spam_or_trash_is_refused(app, desk, post, start):
    """The queue offers no reply form on spam and trash; a hand-made POST must not publish the comment."""
    parent_id = add(app, post, status=start, body_raw="Buy pills at https://spam.example")
    response = send(desk, f"/admin/comments/{parent_id}/reply", comment="Replying to spam.")
    assert response.status_code == 409
    assert load(app, parent_id).status is start
    assert by_id(public_page(app), f"comment-{parent_id}") is None


# --- delete keeps the replies ----------------------------------------------------------------------------------

def shape(app, comment_id) -> tuple:
    comment = load(app, comment_id)
    return comment.parent_id, comment.depth, comment.root_id


def spam_and_delete(desk, comment_id):
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{comment_id}/spam"))
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{comment_id}/delete"))


def test_deleting_a_top_level_comment_lifts_its_replies_a_level(app, desk, post):
    top = add(app, post, body_raw="Top.")
    child = add(app, post, parent=top, body_raw="Child.")
    grandchild = add(app, post, parent=child, body_raw="Grandchild.")
    sibling = add(app, post, parent=top, body_raw="Sibling.")

    spam_and_delete(desk, top)

    assert load(app, top) is None
    assert shape(app, child) == (None, 0, None)
    assert shape(app, sibling) == (None, 0, None)
    assert shape(app, grandchild) == (child, 1, child)
    tree = public_page(app)
    [comment_list] = with_class(tree, "ol", "comment-list")
    assert [li.get("id") for li in comment_list.findall("li")] == [f"comment-{child}", f"comment-{sibling}"]
    assert nested_under(tree, grandchild, child)
    assert "Top." not in folded_text(tree)


def test_deleting_a_reply_lifts_its_replies_under_its_parent(app, desk, post):
    top = add(app, post, body_raw="Top.")
    middle = add(app, post, parent=top, body_raw="Middle.")
    child = add(app, post, parent=middle, body_raw="Child.")
    grandchild = add(app, post, parent=child, body_raw="Grandchild.")

    spam_and_delete(desk, middle)

    assert load(app, middle) is None
    assert shape(app, top) == (None, 0, None)
    assert shape(app, child) == (top, 1, top)
    assert shape(app, grandchild) == (child, 2, top)
    tree = public_page(app)
    assert nested_under(tree, child, top) and nested_under(tree, grandchild, child)
    assert "Middle." not in folded_text(tree)


def test_lifted_replies_stay_hidden_when_their_new_thread_is_not_approved(app, desk, post):
    top = add(app, post, body_raw="Top.")
    middle = add(app, post, parent=top, body_raw="Middle.")
    child = add(app, post, parent=middle, body_raw="Child.")
    send(desk, f"/admin/comments/{top}/unapprove")

    spam_and_delete(desk, middle)

    assert shape(app, child) == (top, 1, top)
    assert load(app, child).status is APPROVED
    assert by_id(public_page(app), f"comment-{child}") is None
    assert is_redirect_to_queue(send(desk, f"/admin/comments/{top}/approve"))
    assert nested_under(public_page(app), child, top)


def test_deleting_keeps_held_replies_and_their_log(app, desk, post):
    top = add(app, post)
    held = add(app, post, parent=top, status=PENDING)
    send(desk, f"/admin/comments/{held}/spam")
    send(desk, f"/admin/comments/{held}/restore")
    spam_and_delete(desk, top)
    assert load(app, held).status is PENDING
    assert shape(app, held) == (None, 0, None)
    assert [action for _, action, _, _ in log_of(app)] == ["spam", "restore"]


# --- the queue -------------------------------------------------------------------------------------------------

def test_queue_shows_pending_by_default(app, desk, post):
    ids = {status: add(app, post, status=status) for status in CommentStatus}
    tree = queue_page(desk)
    assert queue_ids(tree) == [ids[PENDING]]


@pytest.mark.parametrize("status", list(CommentStatus), ids=str)
def test_queue_tabs_show_one_status_each(app, desk, post, status):
    ids = {each: add(app, post, status=each) for each in CommentStatus}
    tree = queue_page(desk, status=status.value)
    assert queue_ids(tree) == [ids[status]]
    [tabs] = with_class(tree, "nav", "status-tabs")
    links = tabs.findall("a")
    assert [link.get("href") for link in links] == [f"/admin/comments?status={each}"
                                                    for each in [*CommentStatus, "all"]]
    assert [link.get("aria-current") for link in links] == ["page" if each is status else None
                                                           for each in [*CommentStatus, "all"]]


@pytest.mark.parametrize("status", ["deleted", "PENDING", "", "All"])
def test_queue_with_an_unknown_status_is_404(app, desk, post, status):
    assert desk.client.get("/admin/comments", query_string={"status": status}).status_code == 404


def test_queue_is_for_signed_in_admins_only(app, admin, post):
    add(app, post, status=PENDING, email="private@example.org")
    with app.test_client() as stranger:
        response = stranger.get("/admin/comments")
    assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"]
    assert "private@example.org" not in response.get_data(as_text=True)


def test_queue_lists_newest_first(app, desk, post):
    now = utcnow()
    old = add(app, post, status=PENDING, created_at=now - timedelta(hours=2))
    new = add(app, post, status=PENDING, created_at=now)
    middle = add(app, post, status=PENDING, created_at=now - timedelta(hours=1))
    assert queue_ids(queue_page(desk)) == [new, middle, old]


def test_queue_row_shows_what_a_moderator_needs(app, desk, post):
    created = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    comment_id = add(app, post, status=PENDING, author="Ann Reader", email="ann@example.org",
                     url="https://ann.example/", ip="198.51.100.23", user_agent="Mozilla/5.0 (Queue Test)",
                     body_raw="Is it <b>safe</b>?", created_at=created, status_reason="first comment by this author")
    tree = queue_page(desk)
    row = by_id(tree, f"queue-comment-{comment_id}")
    text = folded_text(row)
    for expected in ("Ann Reader", "ann@example.org", "https://ann.example/", "198.51.100.23",
                     "Mozilla/5.0 (Queue Test)", "Is it safe?", "first comment by this author"):
        assert expected in text
    assert row.find(".//b") is not None and text_of(row.find(".//b")) == "safe"
    [time] = row.iter("time")
    assert time.get("datetime") == created.isoformat(timespec="seconds")
    [target] = [cell for cell in row.iter("td") if "queue-target" in (cell.get("class") or "")]
    link, only_this_post = target.iter("a")
    assert (text_of(link), link.get("href")) == ("Hello world", f"/hello/#comment-{comment_id}")
    assert only_this_post.get("href") == f"/admin/comments?status=pending&target={post}"
    buttons = [button.get("class") for button in row.iter("button") if button.get("class")]
    assert buttons == [f"action-{action}" for action in ACTIONS if PENDING in TRANSITIONS[action][0]]


def test_queue_escapes_what_readers_wrote(app, desk, post):
    comment_id = add(app, post, status=PENDING, author="<script>alert(1)</script>", user_agent="<img src=x>",
                     body_raw="<script>alert(2)</script>")
    response = desk.client.get("/admin/comments")
    tree = parse_page(response)
    row = by_id(tree, f"queue-comment-{comment_id}")
    assert row.find(".//script") is None
    assert [image.get("class") for image in row.iter("img")] == ["avatar"]  # ours, not the user agent's
    assert "<script>alert(1)</script>" in folded_text(row)


@pytest.mark.parametrize(("query", "match"), [
    ("zelda", "zelda"), ("ZELDA FITZ", "zelda"), ("fitz@mail.example", "zelda"), ("198.51.100.77", "zelda"),
    ("kettles", "zelda"), ("0%", "percent"), ("%", "percent"), ("a_b", "underscore"), ("_", "underscore"),
    ("\\", "backslash"), ("nothing like it", None),
])
def test_queue_search_finds_author_email_ip_and_text(app, desk, post, query, match):
    """``%`` and ``_`` are searched for as themselves, not as SQL wildcards."""
    ids = {
        "zelda": add(app, post, status=PENDING, author="Zelda Fitz", email="fitz@mail.example", ip="198.51.100.77",
                     body_raw="All about kettles."),
        "percent": add(app, post, status=PENDING, body_raw="I am 100% sure."),
        "plain": add(app, post, status=PENDING, body_raw="I am 1000 times sure; axb."),
        "underscore": add(app, post, status=PENDING, body_raw="Call it a_b."),
        "backslash": add(app, post, status=PENDING, body_raw="C:\\path"),
        "approved": add(app, post, status=APPROVED, author="Zelda Fitz", body_raw="100% a_b kettles C:\\"),
    }
    tree = queue_page(desk, q=query)
    assert queue_ids(tree) == ([ids[match]] if match else [])
    assert by_id(tree, "q").get("value") == query.strip()


def test_queue_search_within_another_status(app, desk, post):
    spam = add(app, post, status=SPAM, body_raw="Cheap kettles.")
    add(app, post, status=PENDING, body_raw="Cheap kettles too.")
    assert queue_ids(queue_page(desk, status="spam", q="kettles")) == [spam]


def page_links(tree) -> dict:
    return {link.get("rel"): link.get("href") for link in tree.iter("a") if link.get("rel") in ("prev", "next")}


def test_queue_paginates(app, desk, post):
    app.config["COMMENTS_ADMIN_PER_PAGE"] = 2
    now = utcnow()
    ids = [add(app, post, status=PENDING, created_at=now - timedelta(minutes=n)) for n in range(5)]  # newest first

    first = queue_page(desk)
    assert queue_ids(first) == ids[:2]
    assert page_links(first) == {"next": "/admin/comments?status=pending&page=2"}
    second = queue_page(desk, page=2)
    assert queue_ids(second) == ids[2:4]
    assert page_links(second) == {"prev": "/admin/comments?status=pending&page=1",
                                  "next": "/admin/comments?status=pending&page=3"}
    third = queue_page(desk, page=3)
    assert queue_ids(third) == ids[4:]
    assert page_links(third) == {"prev": "/admin/comments?status=pending&page=2"}
    assert "Page 3 of 3" in folded_text(third)
    assert queue_ids(queue_page(desk, page=4)) == []


def test_queue_pagination_keeps_the_search(app, desk, post):
    app.config["COMMENTS_ADMIN_PER_PAGE"] = 2
    now = utcnow()
    ids = [add(app, post, status=SPAM, body_raw=f"kettle {n}", created_at=now - timedelta(minutes=n))
           for n in range(3)]
    add(app, post, status=SPAM, body_raw="something else")
    first = queue_page(desk, status="spam", q="kettle")
    assert queue_ids(first) == ids[:2]
    assert page_links(first) == {"next": "/admin/comments?status=spam&q=kettle&page=2"}
    assert queue_ids(queue_page(desk, status="spam", q="kettle", page=2)) == ids[2:]


@pytest.mark.parametrize("page", [
    "0", "-1", "x", "1.5",
    "99999999999999999999",
])
def test_queue_with_a_nonsense_page_does_not_fail(app, desk, post, page):
    add(app, post, status=PENDING)
    assert desk.client.get("/admin/comments", query_string={"page": page}).status_code in (200, 404)


def test_queue_shows_each_comments_log(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    for action in ("spam", "restore", "approve"):
        send(desk, f"/admin/comments/{comment_id}/{action}")
    send(desk, f"/admin/comments/{comment_id}/edit", **EDITED)
    lines = queue_log(desk, comment_id, "approved")
    assert [line.split(",")[0] for line in lines] == ["boss: Spam", "boss: Restore", "boss: Approve", "boss: edit"]
    assert log_of(app, comment_id) == [("boss", "spam", "pending", "spam"), ("boss", "restore", "spam", "pending"),
                                       ("boss", "approve", "pending", "approved"),
                                       ("boss", "edit", "approved", "approved")]


# --- every database --------------------------------------------------------------------------------------------

def hello_key(app) -> str:
    with app.app_context():
        return f"post-{db.session.scalar(select(Post.id).where(Post.slug == 'hello'))}"


@pytest.fixture
def matrix_desk(matrix_comments_app):
    """The blog on each database of the matrix, with a post at /hello/ and "boss" signed in."""
    with matrix_comments_app.app_context():
        make_admin()
    desk = AdminActions(matrix_comments_app.test_client())
    desk.login()
    return matrix_comments_app, desk


def test_approve_on_every_database(matrix_desk):
    app, desk = matrix_desk
    comment_id = add(app, hello_key(app), status=PENDING, body_raw="Approve me everywhere.")

    response = send(desk, f"/admin/comments/{comment_id}/approve")

    assert is_redirect_to_queue(response)
    comment = load(app, comment_id)
    assert comment.status is APPROVED and comment.approved_at is not None
    assert log_of(app, comment_id) == [("boss", "approve", "pending", "approved")]
    assert "Approve me everywhere." in folded_text(by_id(public_page(app), f"comment-{comment_id}"))
    assert queue_log(desk, comment_id, "approved")[0].startswith("boss: Approve,")


def test_delete_keeps_replies_on_every_database(matrix_desk):
    """The database's ON DELETE CASCADE must not take the lifted replies with their old parent."""
    app, desk = matrix_desk
    key = hello_key(app)
    top = add(app, key, body_raw="Top.")
    child = add(app, key, parent=top, body_raw="Child.")
    grandchild = add(app, key, parent=child, body_raw="Grandchild.")

    spam_and_delete(desk, top)

    assert load(app, top) is None
    assert shape(app, child) == (None, 0, None)
    assert shape(app, grandchild) == (child, 1, child)
    assert nested_under(public_page(app), grandchild, child)


def test_queue_search_is_literal_on_every_database(matrix_desk):
    app, desk = matrix_desk
    key = hello_key(app)
    percent = add(app, key, status=PENDING, body_raw="I am 100% sure, a_b.")
    add(app, key, status=PENDING, body_raw="I am 1000 times sure, axb.")
    backslash = add(app, key, status=PENDING, body_raw="C:\\temp")
    assert queue_ids(queue_page(desk, q="0%")) == [percent]
    assert queue_ids(queue_page(desk, q="a_b")) == [percent]
    assert queue_ids(queue_page(desk, q="C:\\t")) == [backslash]
    assert queue_ids(queue_page(desk, q="100% SURE")) == [percent]



def test_a_moderators_reply_is_marked_as_the_sites_on_the_public_page(app, desk, post):
    parent_id = add(app, post)
    send(desk, f"/admin/comments/{parent_id}/reply", comment="Thanks for reading.")
    reply = only_reply(app, parent_id)
    item = by_id(public_page(app), f"comment-{reply.id}")
    assert "bypostauthor" in item.get("class").split()
    assert "Site team" in "".join(item.itertext())
