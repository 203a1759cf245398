"""Privacy tools (DESIGN.md sections 8, 9): export and erase by email, from the CLI and the admin,
and the purge of old spam, trash and IP addresses."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import NotifiedAddress
from blog.comments.privacy import comments_by
from blog.extensions import db, utcnow
from tests.factories import make_admin, make_app, make_comment, make_post
from tests.pages import folded_text, parse_page
from tests.readers import AdminActions

PERSON = "Person@Example.org"


@pytest.fixture
def site(tmp_path, database_url):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        key = f"post-{make_post(slug='hello', title='Hello').id}"
        first = make_comment(key, author="Pat", email=PERSON.lower(), url="https://pat.example/",
                             body_raw="My first thought.", ip="203.0.113.7", user_agent="Firefox")
        make_comment(key, author="Pat", email=PERSON.lower(), status=CommentStatus.PENDING, body_raw="Held one.")
        make_comment(key, author="Other", email="other@example.org", parent=first, body_raw="A reply to Pat.")
    yield app
    with app.app_context():
        db.engine.dispose()


def comments(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def test_export_prints_everything_held_about_the_address(site):
    result = site.test_cli_runner().invoke(args=["blog", "privacy", "export", PERSON])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["email"] == PERSON.lower()
    assert [(item["text"], item["status"], item["ip"]) for item in data["comments"]] == [
        ("My first thought.", "approved", "203.0.113.7"), ("Held one.", "pending", "192.0.2.1")]
    assert result.stderr == f"Exported 2 comments of {PERSON.lower()}.\n"


def test_export_and_erase_cover_each_comments_reply_notices(site):
    """What the person agreed to be mailed about is theirs too: shown per comment, gone with them."""
    with site.app_context():
        first = db.session.scalars(comments_by(PERSON)).first()
        first.wants_reply_notice, first.notice_confirmed_at = True, utcnow()
        db.session.commit()
    exported = json.loads(site.test_cli_runner().invoke(args=["blog", "privacy", "export", PERSON]).stdout)
    notices = [(item["wants_reply_notice"], item["notice_confirmed_at"] is not None) for item in exported["comments"]]
    assert notices == [(True, True), (False, False)]
    site.test_cli_runner().invoke(args=["blog", "privacy", "erase", PERSON])
    assert [(comment.wants_reply_notice, comment.notice_confirmed_at) for comment in comments(site)[:2]] == [
        (False, None), (False, None)]


def test_erase_anonymizes_and_keeps_the_text(site):
    with site.app_context():
        db.session.add(NotifiedAddress(email=PERSON.lower(), confirmed_at=utcnow()))
        db.session.commit()
    exported = json.loads(site.test_cli_runner().invoke(args=["blog", "privacy", "export", PERSON]).stdout)
    assert exported["reply_notices"]["confirmed_at"] is not None
    result = site.test_cli_runner().invoke(args=["blog", "privacy", "erase", PERSON])
    assert result.exit_code == 0 and result.output == f"Erased {PERSON.lower()} from 2 comments.\n"
    first, held, reply = comments(site)
    for comment in (first, held):
        assert (comment.author, comment.email, comment.url, comment.ip, comment.user_agent) == (
            "Anonymous", "", "", None, None)
    assert first.body_raw == "My first thought." and reply.author == "Other"
    with site.app_context():
        assert db.session.get(NotifiedAddress, PERSON.lower()) is None
    page = site.test_client().get("/hello/").get_data(as_text=True)
    assert "Anonymous" in page and ">Pat<" not in page and "pat.example" not in page


@pytest.mark.parametrize("email", ["not-an-address", "a@", "@b", "a b@c.d"])
def test_bad_address_is_refused_and_nothing_changes(site, email):
    before = [(comment.author, comment.email) for comment in comments(site)]
    for command in ("export", "erase"):
        result = site.test_cli_runner().invoke(args=["blog", "privacy", command, email])
        assert result.exit_code != 0 and "is not an email address" in result.output
    assert [(comment.author, comment.email) for comment in comments(site)] == before


def test_purge_drops_old_spam_and_trash_and_clears_old_ips(site):
    with site.app_context():
        key = f"post-{db.session.scalar(select(Comment.target_key))}".removeprefix("post-")
        old = utcnow() - timedelta(days=31)
        make_comment(key, status=CommentStatus.SPAM, body_raw="Old spam.", created_at=old)
        make_comment(key, status=CommentStatus.TRASH, body_raw="Old trash.", created_at=old)
        make_comment(key, status=CommentStatus.SPAM, body_raw="New spam.")
        make_comment(key, body_raw="Old but approved.", created_at=old, ip="198.51.100.1", user_agent="Old")
    result = site.test_cli_runner().invoke(args=["blog", "purge"])
    assert result.exit_code == 0
    assert result.output == "Deleted 2 old spam and trash comments; cleared the IP of 1 comments.\n"
    texts = {comment.body_raw: comment for comment in comments(site)}
    assert "Old spam." not in texts and "Old trash." not in texts and "New spam." in texts
    assert (texts["Old but approved."].ip, texts["Old but approved."].user_agent) == (None, None)
    assert texts["My first thought."].ip == "203.0.113.7"


def test_purge_keeps_replies_of_a_deleted_comment(site):
    with site.app_context():
        first = db.session.scalars(select(Comment).order_by(Comment.id)).first()
        first.status, first.created_at = CommentStatus.SPAM, utcnow() - timedelta(days=40)
        db.session.commit()
    site.test_cli_runner().invoke(args=["blog", "purge"])
    reply = next(comment for comment in comments(site) if comment.body_raw == "A reply to Pat.")
    assert (reply.parent_id, reply.root_id, reply.depth) == (None, None, 0)


def test_admin_privacy_page_exports_and_erases(site, database_url):
    with site.app_context():
        make_admin()
    admin = AdminActions(site.test_client())
    admin.login()
    token = admin.csrf_token("/admin/comments/privacy")
    with admin.client.post("/admin/comments/privacy", data={"email": PERSON, "export": "1",
                                                            "csrf_token": token}) as response:
        assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
        assert len(response.get_json()["comments"]) == 2
    with admin.client.post("/admin/comments/privacy", data={"email": PERSON, "confirm_erase": "1",
                                                            "csrf_token": token}, follow_redirects=True) as response:
        assert response.status_code == 200 and "2 comments were anonymized." in response.get_data(as_text=True)
    assert [comment.author for comment in comments(site)][:2] == ["Anonymous", "Anonymous"]
    for button in ("erase", "confirm_erase"):
        with admin.client.post("/admin/comments/privacy", data={"email": "nope", button: "1",
                                                                "csrf_token": token}) as response:
            assert response.status_code == 400


@pytest.fixture
def privacy_desk(app):
    """A signed-in admin on the privacy page; PERSON has two comments, one with confirmed reply notices."""
    with app.app_context():
        key = f"post-{make_post(slug='hello', title='Hello').id}"
        make_comment(key, author="Pat", email=PERSON.lower(), body_raw="My first thought.", wants_reply_notice=True)
        make_comment(key, author="Pat", email=PERSON.lower(), status=CommentStatus.PENDING, body_raw="Held one.")
        db.session.add(NotifiedAddress(email=PERSON.lower()))
        db.session.commit()
        make_admin()
    admin = AdminActions(app.test_client())
    admin.login()
    return admin


def press_privacy(admin, **data):
    """A button of the privacy page, with the page's CSRF token; the response read and closed."""
    return admin.post("/admin/comments/privacy", csrf_token=admin.csrf_token("/admin/comments/privacy"), **data)


def authors(app) -> list[str]:
    return [comment.author for comment in comments(app)]


def test_erase_first_shows_what_it_would_erase_and_asks(app, privacy_desk):
    response = press_privacy(privacy_desk, email=PERSON, erase="1")

    assert response.status_code == 200
    section = parse_page(response).find(".//section[@class='erase-confirmation']")
    text = folded_text(section)
    assert f"Erase what the site holds about {PERSON.lower()}?" in text
    assert "2 comments will be anonymized." in text and "Its reply notices stop." in text
    fields = {field.get("name"): field.get("value") for field in [*section.iter("input"), *section.iter("button")]}
    assert fields == {"csrf_token": fields["csrf_token"], "email": PERSON.lower(), "confirm_erase": "1"}
    assert authors(app) == ["Pat", "Pat"]
    with app.app_context():
        assert db.session.get(NotifiedAddress, PERSON.lower()) is not None


def test_only_the_confirming_press_erases(app, privacy_desk):
    response = press_privacy(privacy_desk, email=PERSON.lower(), confirm_erase="1")

    assert response.status_code == 303
    assert authors(app) == ["Anonymous", "Anonymous"]
    with app.app_context():
        assert db.session.get(NotifiedAddress, PERSON.lower()) is None


def test_erase_of_an_address_with_nothing_stored_asks_nothing(app, privacy_desk):
    response = press_privacy(privacy_desk, email="nobody@example.org", erase="1")

    assert response.status_code == 200
    section = parse_page(response).find(".//section[@class='erase-confirmation']")
    assert "there is nothing to erase" in folded_text(section)
    assert section.find(".//form") is None


@pytest.mark.parametrize("data", [
    {"email": "", "confirm_erase": "1"},
    {"email": "not an address", "confirm_erase": "1"},
    {"email": PERSON + "\nBcc: x@example.org", "confirm_erase": "1"},
    {"email": PERSON, "confirm_erase": "1", "csrf_token": "forged"},
], ids=["empty", "not-an-address", "two-lines", "forged-csrf"])
def test_a_bad_confirmation_erases_nothing(app, privacy_desk, data):
    assert privacy_desk.post("/admin/comments/privacy", **data).status_code == 400
    assert authors(app) == ["Pat", "Pat"]
