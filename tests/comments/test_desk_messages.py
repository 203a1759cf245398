"""The moderation desk says what each action did, and offers its Undo: a message after every action and
bulk action, edit, reply and saved post; Undo puts exactly the comments acted on back where they were,
once, and only for the session that acted."""

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationLogEntry
from blog.comments.moderation import TRANSITIONS, action_towards
from blog.extensions import db
from blog.posts.models import Post
from tests.factories import make_admin, make_comment
from tests.pages import folded_text, parse_page, with_class
from tests.readers import AdminActions

PENDING, APPROVED, SPAM, TRASH = CommentStatus
# What each action's message says for one comment, and for three.
SAID = {
    "approve": ("Comment approved.", "3 comments approved."),
    "unapprove": ("Comment unapproved.", "3 comments unapproved."),
    "spam": ("Comment marked as spam.", "3 comments marked as spam."),
    "trash": ("Comment moved to the Trash.", "3 comments moved to the Trash."),
    "restore": ("Comment restored.", "3 comments restored."),
    "delete": ("Comment deleted permanently.", "3 comments deleted permanently."),
}
# Every move an action can make: (action, the status it starts from).
MOVES = [(action, start) for action, (starts, _) in TRANSITIONS.items() for start in sorted(starts)]


@pytest.fixture
def desk(app, admin, post):
    """The admin "boss" signed in, with the post at /hello/ to moderate comments on."""
    assert admin.login().status_code == 303
    return admin


def add(app, key, **fields) -> int:
    with app.app_context():
        return make_comment(key, **fields).id


def statuses(app, ids) -> dict:
    with app.app_context():
        found = {comment.id: comment.status for comment in db.session.scalars(
            select(Comment).where(Comment.id.in_(ids)))}
    return {comment_id: found.get(comment_id) for comment_id in ids}


def followed(admin, response, language="en"):
    """The page a 303 leads to, parsed (the flashed messages are shown once, there)."""
    assert response.status_code == 303, response.status_code
    page = admin.client.get(response.headers["Location"], headers={"Accept-Language": language})
    assert page.status_code == 200
    return parse_page(page)


def messages(tree) -> list[str]:
    return [folded_text(message.find("p")) for message in with_class(tree, "div", "desk-message")]


def undo_buttons(tree) -> list[dict]:
    """Each Undo form: its action and hidden fields."""
    return [{"action": form.get("action"), **{field.get("name"): field.get("value") for field in form.iter("input")}}
            for form in with_class(tree, "form", "undo-form")]


def act(admin, path, **data):
    """POST an admin form and read the queue it leads back to: (messages, Undo forms)."""
    tree = followed(admin, admin.post(path, **data))
    return messages(tree), undo_buttons(tree)


def another_admin(app) -> AdminActions:
    """A second admin account, signed in in a browser of its own."""
    with app.app_context():
        make_admin("other", "another long passphrase")
    other = AdminActions(app.test_client(), "other", "another long passphrase")
    assert other.login().status_code == 303
    return other


def undo(admin, button):
    return admin.client.post(button["action"], data={"csrf_token": button["csrf_token"], "token": button["token"]})


# --- one action ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "start"), MOVES, ids=lambda value: str(value))
def test_each_action_says_what_it_did_and_undo_puts_the_comment_back(app, desk, post, action, start):
    comment_id = add(app, post, status=start)
    said, buttons = act(desk, f"/admin/comments/{comment_id}/{action}?next=/admin/comments%3Fstatus%3Dspam")
    expected = "Comment marked as not spam." if (action, start) == ("restore", SPAM) else SAID[action][0]
    assert said == [expected]
    if action == "delete":
        assert buttons == [], "a comment deleted for good cannot be brought back"
        assert statuses(app, [comment_id]) == {comment_id: None}
        return
    [button] = buttons
    assert button["action"] == "/admin/comments/undo?next=/admin/comments?status%3Dspam"

    response = undo(desk, button)

    assert response.headers["Location"].endswith("/admin/comments?status=spam")
    assert statuses(app, [comment_id]) == {comment_id: start}
    assert messages(followed(desk, response)) == ["Undone: the comment is back where it was."]
    with app.app_context():
        log = db.session.execute(select(ModerationLogEntry.action, ModerationLogEntry.old_status,
                                        ModerationLogEntry.new_status).order_by(ModerationLogEntry.id)).all()
    end = TRANSITIONS[action][1]
    assert log == [(action, start.value, end.value), (action_towards(end, start), end.value, start.value)]


def test_every_move_but_delete_has_a_way_back():
    for action, start in MOVES:
        end = TRANSITIONS[action][1]
        assert end is None or TRANSITIONS[action_towards(end, start)][1] is start


def test_a_refused_action_leaves_no_message_and_nothing_to_undo(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    assert desk.post(f"/admin/comments/{comment_id}/unapprove").status_code == 409
    tree = parse_page(desk.client.get("/admin/comments"))
    assert (messages(tree), undo_buttons(tree)) == ([], [])


def test_the_message_is_shown_once(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    assert act(desk, f"/admin/comments/{comment_id}/approve")[0] == ["Comment approved."]
    tree = parse_page(desk.client.get("/admin/comments"))
    assert (messages(tree), undo_buttons(tree)) == ([], [])


# --- bulk ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("action", list(SAID))
def test_each_bulk_action_says_how_many_it_moved(app, desk, post, action):
    start = sorted(TRANSITIONS[action][0])[0]
    ids = [add(app, post, status=start) for _ in range(3)]
    said, buttons = act(desk, "/admin/comments/bulk", action=action, ids=[str(i) for i in ids])
    plural = "3 comments marked as not spam." if (action, start) == ("restore", SPAM) else SAID[action][1]
    assert said == [plural]
    assert len(buttons) == (0 if action == "delete" else 1)


def test_bulk_undo_restores_each_comment_to_its_own_status(app, desk, post):
    ids = {status: add(app, post, status=status) for status in CommentStatus}

    said, [button] = act(desk, "/admin/comments/bulk", action="trash", ids=[str(i) for i in ids.values()])

    assert said == ["3 comments moved to the Trash.",
                    "1 ticked comment was left as it was: its status does not allow that."]
    assert set(statuses(app, ids.values()).values()) == {TRASH}
    response = undo(desk, button)
    assert messages(followed(desk, response)) == ["Undone: 3 comments are back where they were."]
    assert statuses(app, ids.values()) == {ids[status]: status for status in CommentStatus}


def test_bulk_with_nothing_ticked_says_so(app, desk, post):
    add(app, post, status=PENDING)
    said, buttons = act(desk, "/admin/comments/bulk", action="approve")
    assert (said, buttons) == (["Tick the comments to act on first."], [])


def test_bulk_that_moves_nothing_offers_no_undo(app, desk, post):
    comment_id = add(app, post, status=APPROVED)
    said, buttons = act(desk, "/admin/comments/bulk", action="approve", ids=[str(comment_id)])
    assert (said, buttons) == (["1 ticked comment was left as it was: its status does not allow that."], [])


def test_bulk_on_more_than_an_undo_keeps_has_no_undo(app, desk, post, monkeypatch):
    """The record lives in the session cookie, so it is bounded (blog.comments.undo.UNDO_MAX)."""
    monkeypatch.setattr("blog.comments.undo.UNDO_MAX", 2)
    ids = [add(app, post, status=PENDING) for _ in range(3)]
    said, buttons = act(desk, "/admin/comments/bulk", action="spam", ids=[str(i) for i in ids])
    assert (said, buttons) == (["3 comments marked as spam."], [])


def test_bulk_undo_names_only_the_comments_that_exist(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    act(desk, "/admin/comments/bulk", action="spam", ids=[str(comment_id), str(comment_id + 50)])
    with desk.client.session_transaction() as session:
        assert session["comments_undo"]["moves"] == {"pending spam": [comment_id]}


# --- what Undo refuses -----------------------------------------------------------------------------------------

NOTHING_TO_UNDO = "Nothing to undo: that action was undone already, or a newer one took its place."


def test_undo_twice_does_nothing_the_second_time(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    _, [button] = act(desk, f"/admin/comments/{comment_id}/spam")
    assert messages(followed(desk, undo(desk, button))) == ["Undone: the comment is back where it was."]
    another_admin(app).post(f"/admin/comments/{comment_id}/approve")  # moved on since

    second = undo(desk, button)

    assert messages(followed(desk, second)) == [NOTHING_TO_UNDO]
    assert statuses(app, [comment_id]) == {comment_id: APPROVED}


def test_only_the_last_action_can_be_undone(app, desk, post):
    first, second = add(app, post, status=PENDING), add(app, post, status=PENDING)
    _, [old_button] = act(desk, f"/admin/comments/{first}/trash")
    _, [new_button] = act(desk, f"/admin/comments/{second}/trash")
    assert messages(followed(desk, undo(desk, old_button))) == [NOTHING_TO_UNDO]
    assert statuses(app, [first, second]) == {first: TRASH, second: TRASH}
    undo(desk, new_button)
    assert statuses(app, [first, second]) == {first: TRASH, second: PENDING}


@pytest.mark.parametrize("token", ["", "forged-token", "x" * 5000, "é"])
def test_undo_with_a_forged_token_changes_nothing(app, desk, post, token):
    comment_id = add(app, post, status=PENDING)
    _, [button] = act(desk, f"/admin/comments/{comment_id}/spam")

    response = undo(desk, {**button, "token": token})

    assert messages(followed(desk, response)) == [NOTHING_TO_UNDO]
    assert statuses(app, [comment_id]) == {comment_id: SPAM}
    undo(desk, button)  # the real one still works
    assert statuses(app, [comment_id]) == {comment_id: PENDING}


def test_another_admins_undo_token_is_refused(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    _, [button] = act(desk, f"/admin/comments/{comment_id}/spam")
    other = another_admin(app)

    response = other.client.post(button["action"], data={"csrf_token": other.csrf_token("/admin/comments"),
                                                        "token": button["token"]})

    assert messages(followed(other, response)) == [NOTHING_TO_UNDO]
    assert statuses(app, [comment_id]) == {comment_id: SPAM}


def test_undo_without_csrf_token_is_refused(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    _, [button] = act(desk, f"/admin/comments/{comment_id}/spam")
    assert desk.client.post(button["action"], data={"token": button["token"]}).status_code == 400
    assert statuses(app, [comment_id]) == {comment_id: SPAM}


def test_undo_leaves_comments_moved_since_or_deleted(app, desk, post):
    ids = [add(app, post, status=PENDING) for _ in range(3)]
    _, [button] = act(desk, "/admin/comments/bulk", action="spam", ids=[str(i) for i in ids])
    other = another_admin(app)
    other.post(f"/admin/comments/{ids[1]}/trash")
    other.post(f"/admin/comments/{ids[2]}/delete")

    said = messages(followed(desk, undo(desk, button)))

    assert said == ["Undone: the comment is back where it was.",
                    "2 comments were moved again or deleted since, and are left as they are."]
    assert statuses(app, ids) == {ids[0]: PENDING, ids[1]: TRASH, ids[2]: None}


def test_undo_goes_back_only_to_the_queue(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    _, [button] = act(desk, f"/admin/comments/{comment_id}/spam")
    response = desk.client.post("/admin/comments/undo?next=https://evil.example/admin/comments",
                                data={"csrf_token": button["csrf_token"], "token": button["token"]})
    assert response.headers["Location"] in ("/admin/comments", "http://localhost/admin/comments")


# --- edits, replies, posts -------------------------------------------------------------------------------------

def test_saving_an_edit_says_so(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    said, buttons = act(desk, f"/admin/comments/{comment_id}/edit", author="Ann Editor", email="ann@example.org",
                        url="", comment="Corrected.")
    assert (said, buttons) == (["Comment saved."], [])


@pytest.mark.parametrize(("start", "said"), [
    (APPROVED, "Reply posted."), (PENDING, "Reply posted, and the comment it answers approved."),
])
def test_a_reply_says_it_was_posted(app, desk, post, start, said):
    comment_id = add(app, post, status=start)
    assert act(desk, f"/admin/comments/{comment_id}/reply", comment="Thanks.") == ([said], [])


POST_FORM = {"title": "Fresh news", "slug": "fresh-news", "body": "Some text.", "comments_open": "y", "save": "Save"}


def test_saving_a_published_post_links_to_it(app, desk):
    tree = followed(desk, desk.post("/admin/posts/new", **POST_FORM, is_published="y"))
    [message] = with_class(tree, "div", "desk-message")
    assert folded_text(message) == "Post saved. View post"
    assert [link.get("href") for link in message.iter("a")] == ["/fresh-news/"]


def test_saving_a_draft_says_it_is_not_public(app, desk):
    tree = followed(desk, desk.post("/admin/posts/new", **POST_FORM))
    assert messages(tree) == ["Draft saved: it is not public until you publish it."]
    assert not list(tree.iter("a")) or all(link.get("href") != "/fresh-news/" for link in tree.iter("a"))


def test_messages_and_undo_in_dutch(app, desk, post):
    comment_id = add(app, post, status=PENDING)
    response = desk.client.post(f"/admin/comments/{comment_id}/spam", headers={"Accept-Language": "nl"},
                                data={"csrf_token": desk.csrf_token("/admin/comments")})
    tree = followed(desk, response, language="nl")
    assert messages(tree) == ["Reactie als spam gemarkeerd."]
    [form] = with_class(tree, "form", "undo-form")
    assert [folded_text(button) for button in form.iter("button")] == ["Ongedaan maken"]


def test_bulk_undo_on_every_database(matrix_moderator):
    app, desk = matrix_moderator
    with app.app_context():
        key = f"post-{db.session.scalar(select(Post.id))}"
    ids = {status: add(app, key, status=status) for status in (PENDING, APPROVED, SPAM)}
    _, [button] = act(desk, "/admin/comments/bulk", action="trash", ids=[str(i) for i in ids.values()])
    assert set(statuses(app, ids.values()).values()) == {TRASH}
    assert messages(followed(desk, undo(desk, button))) == ["Undone: 3 comments are back where they were."]
    assert statuses(app, ids.values()) == {comment_id: status for status, comment_id in ids.items()}
