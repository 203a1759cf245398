"""One-click approve / spam / trash links in the mail about a held comment (issue 17): mailed through a real
SMTP server to the address COMMENTS_NOTIFY maps to a moderator; each link asks (GET changes nothing), its
button POSTs, once, with no session and no CSRF token, for its own moderator only, while they are who they
were; a forged, tampered, expired or otherwise hostile link is refused, never a 500."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete, select

from blog.auth.models import Admin
from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationAction, ModerationLogEntry
from blog.comments.moderation_links import LINK_SALT, link_token
from blog.comments.reply_notices import unsubscribe_token
from blog.extensions import db
from tests.comments.test_notifications import HELD, MODERATOR, join_mail_threads, only_comment
from tests.factories import make_admin, make_app, make_comment
from tests.pages import folded_text, parse_page
from tests.readers import AdminActions

WEEK = 7 * 24 * 3600
# A mail's link lines: "Approve it: /comments/moderate/<token>".
LINK_LINES = {"approve": "Approve it: ", "spam": "Mark it as spam: ", "trash": "Move it to the trash: "}
DONE_STATUS = {"approve": CommentStatus.APPROVED, "spam": CommentStatus.SPAM, "trash": CommentStatus.TRASH}


@pytest.fixture
def linked(app, post, admin):
    """Held comments are mailed to MODERATOR, who is the admin "boss" (signed in nowhere)."""
    app.config["COMMENTS_NOTIFY"] = {MODERATOR: "boss"}
    return app


def links_in(message) -> dict[str, str]:
    """The one-click links of a mail, by action: their paths (no COMMENTS_SITE_URL is set)."""
    lines = message.get_content().splitlines()
    return {action: line.removeprefix(prefix) for action, prefix in LINK_LINES.items()
            for line in lines if line.startswith(prefix) and "/comments/moderate/" in line}


def held_and_mailed(reader, mailbox) -> dict[str, str]:
    """A reader's comment is held; the links of the one mail about it."""
    assert reader.post(**HELD).status_code == 303
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    links = links_in(message)
    assert set(links) == set(LINK_LINES)
    return links


def answer(client, method, path, **options):
    """The response to one request, read and closed."""
    with client.open(path, method=method, **options) as response:
        response.get_data()
    return response


def follow(client, path):
    return answer(client, "GET", path)


def post_token(client, token):
    """POST a link's token as its page's button does (the token in the body), read and closed."""
    return answer(client, "POST", "/comments/moderate", data={"token": token})


def press(client, path):
    """Press the button of a link's page: its one form, whose one field is the link's token."""
    [form] = parse_page(follow(client, path)).find(".//main").iter("form")
    [field] = form.iter("input")
    assert (form.get("action"), field.get("name")) == ("/comments/moderate", "token")
    return post_token(client, field.get("value"))


def message_of(response) -> str:
    return folded_text(parse_page(response).find(".//main"))


def log_of(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(entry.moderator, entry.action.value) for entry in db.session.scalars(select(ModerationLogEntry))]


def test_the_mail_carries_three_links_for_its_moderator(linked, mailbox, reader):
    links = held_and_mailed(reader, mailbox)

    [message] = mailbox.messages
    assert message["To"] == MODERATOR
    assert "as boss" in message.get_content()
    assert "1 week" in message.get_content()
    assert len(set(links.values())) == 3
    stranger = linked.test_client()
    for path in links.values():
        response = follow(stranger, path)
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        text = message_of(response)
        assert "You act as boss." in text and HELD["comment"] in text and "Hello world" in text
    assert "Approve this comment?" in message_of(follow(stranger, links["approve"]))


def test_mail_to_addresses_that_name_no_moderator_carries_no_links(linked, mailbox, reader):
    linked.config["COMMENTS_NOTIFY"] = [MODERATOR, "second@example.org"]
    reader.post(**HELD)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert links_in(message) == {} and "/comments/moderate/" not in message.get_content()


def test_each_named_moderator_gets_a_mail_of_their_own(linked, mailbox, reader):
    """Addresses that name no moderator (or one the site does not know) share one mail without links."""
    with linked.app_context():
        make_admin("ann")
    linked.config["COMMENTS_NOTIFY"] = {MODERATOR: "boss", "ann@example.net": "ann", "list@example.org": None,
                                        "gone@example.org": "nobody"}
    reader.post(**HELD)
    join_mail_threads()
    messages = {message["To"]: message for message in mailbox.wait_for(4)}

    assert set(messages) == {MODERATOR, "ann@example.net", "list@example.org", "gone@example.org"}
    for address in ("list@example.org", "gone@example.org"):
        assert links_in(messages[address]) == {}
    stranger = linked.test_client()
    for address, name in ((MODERATOR, "boss"), ("ann@example.net", "ann")):
        assert f"You act as {name}." in message_of(follow(stranger, links_in(messages[address])["approve"]))


def test_no_links_when_their_lifetime_is_zero(linked, mailbox, reader):
    linked.config["COMMENTS_MODERATION_LINK_SECONDS"] = 0
    reader.post(**HELD)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert links_in(message) == {}


@pytest.mark.parametrize("lifetime", [-1, 1.5, "604800", True])
def test_a_bad_link_lifetime_fails_at_start_up(tmp_path, lifetime):
    with pytest.raises(ValueError, match="COMMENTS_MODERATION_LINK_SECONDS"):
        make_app(tmp_path, COMMENTS_MODERATION_LINK_SECONDS=lifetime)


def test_opening_the_links_changes_nothing(linked, mailbox, reader):
    """Mail scanners open every link of a mail: a GET only asks."""
    links = held_and_mailed(reader, mailbox)
    stranger = linked.test_client()
    for _ in range(2):
        for path in links.values():
            assert follow(stranger, path).status_code == 200

    assert only_comment(linked).status is CommentStatus.PENDING
    assert log_of(linked) == []
    assert press(stranger, links["approve"]).status_code == 200
    assert only_comment(linked).status is CommentStatus.APPROVED


@pytest.mark.parametrize("action", list(LINK_LINES))
def test_a_link_acts_once_without_a_session(linked, mailbox, reader, action):
    links = held_and_mailed(reader, mailbox)
    stranger = linked.test_client()  # no cookie at all: no session, no CSRF token

    response = press(stranger, links[action])

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert only_comment(linked).status is DONE_STATUS[action]
    assert log_of(linked) == [("boss", action)]
    for path in links.values():  # the same link again, and the mail's other links: each does nothing
        for again in (follow(stranger, path), press_as(stranger, path)):
            assert again.status_code == 409
            assert "has been used" in message_of(again)
    assert only_comment(linked).status is DONE_STATUS[action]
    assert log_of(linked) == [("boss", action)]


@pytest.mark.parametrize("moves", [["approve", "unapprove"], ["edit"]], ids=["moved-and-back", "edited"])
def test_a_link_does_nothing_once_the_comment_was_moderated_otherwise(linked, mailbox, reader, admin, moves):
    """Even a comment back in the queue, or edited there, is no longer what the mail was about."""
    links = held_and_mailed(reader, mailbox)
    comment_id = only_comment(linked).id
    admin.login()
    for move in moves:
        if move == "edit":
            response = admin.post(f"/admin/comments/{comment_id}/edit", author="Ann Reader", email="ann@example.org",
                                  url="", comment="Something else entirely.")
        else:
            response = admin.post(f"/admin/comments/{comment_id}/{move}")
        assert response.status_code == 303
    assert only_comment(linked).status is CommentStatus.PENDING

    stranger = linked.test_client()
    assert follow(stranger, links["approve"]).status_code == 409
    assert press_as(stranger, links["approve"]).status_code == 409
    assert only_comment(linked).status is CommentStatus.PENDING


def test_a_link_expires(linked, mailbox, reader, clock):
    links = held_and_mailed(reader, mailbox)
    stranger = linked.test_client()
    clock.now += WEEK
    assert follow(stranger, links["spam"]).status_code == 200
    clock.now += 1

    for response in (follow(stranger, links["spam"]), press_as(stranger, links["spam"])):
        assert response.status_code == 400
        assert "not valid or has expired" in message_of(response)
    assert only_comment(linked).status is CommentStatus.PENDING


def _signed(app, payload, secret=None, salt=LINK_SALT) -> str:
    return URLSafeTimedSerializer(secret or app.secret_key, salt=salt).dumps(payload)


def _hostile_tokens(app, token: str) -> tuple[list, dict[str, str]]:
    """A link's right payload, and links an attacker could make: tampered, signed with another key or for
    another purpose, and (as if the key had leaked) signed payloads of every wrong shape."""
    with app.test_request_context():
        comment = db.session.scalars(select(Comment)).one()
        right = [comment.id, "approve", "boss", app.extensions["comments"].moderator_generation("boss"), "pending", 0]
        payload, signature = token.rsplit(".", 1)
        return right, {
            "tampered-signature": f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",
            "tampered-payload": f"{'A' if payload[0] != 'A' else 'B'}{payload[1:]}.{signature}",
            "other-secret": _signed(app, right, secret="not the site's secret"),
            "other-salt": _signed(app, right, salt="comments-notice-unsubscribe"),
            "unsubscribe-token": unsubscribe_token(comment),
            "garbage": "not-a-token",
            "dots": "...",
            "unicode": "ẞ☃\u202e.x.y",
            "long": "A" * 1900,
            "delete-action": _signed(app, [*right[:1], "delete", *right[2:]]),
            "unknown-action": _signed(app, [*right[:1], "explode", *right[2:]]),
            "unknown-status": _signed(app, [*right[:4], "limbo", 0]),
            "huge-id": _signed(app, [2**40, *right[1:]]),
            "negative-id": _signed(app, [-1, *right[1:]]),
            "bool-id": _signed(app, [True, *right[1:]]),
            "string-id": _signed(app, [str(comment.id), *right[1:]]),
            "float-log-id": _signed(app, [*right[:5], 0.5]),
            "number-moderator": _signed(app, [*right[:2], 7, *right[3:]]),
            "list-moderator": _signed(app, [*right[:2], ["boss"], *right[3:]]),
            "short": _signed(app, right[:5]),
            "long-list": _signed(app, [*right, 1]),
            "dict": _signed(app, {"comment": comment.id}),
            "null": _signed(app, None),
        }


def test_hostile_links_are_refused_and_never_fail(linked, mailbox, reader):
    links = held_and_mailed(reader, mailbox)
    stranger = linked.test_client()

    right, hostile = _hostile_tokens(linked, links["approve"].rsplit("/", 1)[1])
    assert follow(stranger, f"/comments/moderate/{_signed(linked, right)}").status_code == 200
    for name, token in hostile.items():
        for response in (follow(stranger, f"/comments/moderate/{token}"), post_token(stranger, token)):
            assert response.status_code in (400, 404), (name, response.status_code)
    for data in ({}, {"token": ""}, {"token": "x" * 5000}, {"token": ["a", "b"]}):
        assert answer(stranger, "POST", "/comments/moderate", data=data).status_code == 400, data
    assert only_comment(linked).status is CommentStatus.PENDING
    assert log_of(linked) == []


def test_another_admins_link_is_refused(linked, mailbox, reader):
    """A browser signed in as another admin is not the one the mail went to: refused, not acted for."""
    links = held_and_mailed(reader, mailbox)
    with linked.app_context():
        make_admin("ann")
    ann = AdminActions(linked.test_client(), username="ann")
    assert ann.login().status_code == 303

    for response in (follow(ann.client, links["approve"]), press_as(ann.client, links["approve"])):
        assert response.status_code == 403
        assert "mailed to another moderator" in message_of(response) and "ann" in message_of(response)
    assert only_comment(linked).status is CommentStatus.PENDING
    assert log_of(linked) == []


def press_as(client, path):
    return post_token(client, path.rsplit("/", 1)[1])


def test_its_own_admin_signed_in_may_use_it(linked, mailbox, reader, admin):
    links = held_and_mailed(reader, mailbox)
    admin.login()
    response = press(admin.client, links["trash"])
    assert response.status_code == 200
    assert "You act as" not in message_of(response) and "in the trash" in message_of(response)
    assert only_comment(linked).status is CommentStatus.TRASH


@pytest.mark.parametrize("change", ["deleted", "deleted-and-made-again", "signed-out-everywhere", "new-password"])
def test_a_link_is_void_once_its_admin_is_not_who_they_were(linked, mailbox, reader, admin, change):
    links = held_and_mailed(reader, mailbox)
    if change == "signed-out-everywhere":
        admin.login()
        admin.logout()
    else:
        with linked.app_context():
            if change == "new-password":
                db.session.scalar(select(Admin)).set_password("another correct horse")
                db.session.commit()
            else:
                db.session.execute(delete(Admin))
                db.session.commit()
                if change == "deleted-and-made-again":
                    make_admin("boss")
    stranger = linked.test_client()

    for response in (follow(stranger, links["approve"]), press_as(stranger, links["approve"])):
        assert response.status_code == 403
        assert "no longer valid" in message_of(response)
    assert only_comment(linked).status is CommentStatus.PENDING


def test_a_link_to_a_comment_gone_says_so(linked, mailbox, reader):
    links = held_and_mailed(reader, mailbox)
    with linked.app_context():
        db.session.execute(delete(Comment))
        db.session.commit()
    response = follow(linked.test_client(), links["approve"])
    assert response.status_code == 404
    assert "no longer exists" in message_of(response)


def test_links_in_the_mail_are_absolute_on_the_configured_site(linked, mailbox, reader):
    linked.config["COMMENTS_SITE_URL"] = "https://blog.example.org"
    reader.post(**HELD)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    urls = re.findall(r"https://blog\.example\.org/comments/moderate/\S+", message.get_content())
    assert len(urls) == 3


def test_two_links_of_one_mail_pressed_at_once_act_once(matrix_comments_app):
    """Approve and spam pressed together (two tabs, two moderators' devices): the comment's row is locked
    before its state is checked, so the second finds it moved, on every database."""
    app = matrix_comments_app
    with app.test_request_context():
        make_admin()
        comment = make_comment("post-1", status=CommentStatus.PENDING)
        generation = app.extensions["comments"].moderator_generation("boss")
        tokens = [link_token(comment, action, "boss", generation)
                  for action in (ModerationAction.APPROVE, ModerationAction.SPAM)] * 2
    start = threading.Barrier(len(tokens))

    def press_now(token):
        client = app.test_client()
        start.wait()
        return post_token(client, token).status_code

    with ThreadPoolExecutor(len(tokens)) as pool:
        statuses = sorted(pool.map(press_now, tokens))

    assert statuses == [200, 409, 409, 409]
    assert len(log_of(app)) == 1


def test_a_links_page_speaks_its_readers_language(linked, mailbox, reader):
    links = held_and_mailed(reader, mailbox)
    text = message_of(answer(linked.test_client(), "GET", links["spam"], headers={"Accept-Language": "nl"}))
    assert "Deze reactie als spam markeren?" in text and "U handelt als boss." in text
