"""WordPress import and export (issue 8, DESIGN.md section 9): ``blog import-wxr FILE`` and
``blog export-wxr [FILE]``, with WXR files the tests build, hostile files, and a round trip."""

import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from blog.commenting import thread_key
from blog.comments import Comment, CommentStatus
from blog.comments.models import ThreadVersion
from blog.extensions import db
from blog.posts.models import Post, PostStatus
from blog.sanitize import COMMENT_TAGS
from blog.wxr import COMMENT_SOURCE_META, NAMESPACES, WP, export_wxr_command, import_wxr_command
from tests.factories import make_app, make_comment, make_post
from tests.pages import folded_text, parse_page, with_class

UTC = timezone.utc
START = datetime(2024, 1, 3, 8, 0, tzinfo=UTC)


# Building WXR files


def comment(wp_id, text, parent=0, approved="1", minutes=0, **fields):
    """A <wp:comment>'s fields, WordPress's names without the prefix; a field given as None is left out,
    and ``commentmeta`` (key → value) gives its <wp:commentmeta> entries."""
    values = {
        "comment_id": str(wp_id), "comment_author": f"Reader {wp_id}",
        "comment_author_email": f"reader{wp_id}@example.org", "comment_author_url": "",
        "comment_author_IP": "192.0.2.1",
        "comment_date": (START + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"),
        "comment_date_gmt": (START + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"),
        "comment_content": text, "comment_approved": approved, "comment_type": "",
        "comment_parent": str(parent), "comment_user_id": "0",
    }
    values.update(fields)
    return values


def item(title, slug, comments=(), **fields):
    """An <item>'s fields: RSS ones by name, WordPress ones by their wp: name; None leaves one out."""
    values = {
        "title": title, "link": f"https://old.example.org/{slug}/", "pubDate": "Tue, 02 Jan 2024 10:00:00 +0000",
        "dc:creator": "admin", "content:encoded": f"<p>The text of {title}.</p>", "excerpt:encoded": "",
        "post_id": "1", "post_date": "2024-01-02 10:00:00", "post_date_gmt": "2024-01-02 10:00:00",
        "comment_status": "open", "ping_status": "open", "post_name": slug, "status": "publish",
        "post_parent": "0", "menu_order": "0", "post_type": "post", "post_password": "", "is_sticky": "0",
    }
    values.update(fields)
    return values, list(comments)


def qualified(name: str) -> str:
    """"content:encoded" → "{uri}encoded"; WordPress's own fields are in wp:; RSS ones have no prefix."""
    if ":" in name:
        prefix, local = name.split(":", 1)
        return f"{{{NAMESPACES[prefix]}}}{local}"
    if name in {"title", "link", "pubDate", "guid", "description"}:
        return name
    return f"{{{WP}}}{name}"


def wxr(*items, channel=True, version=True) -> bytes:
    """A WXR 1.2 document holding the given items, written by ElementTree as WordPress lays it out;
    a CR is written as a character reference, so it reaches the importer as a hostile file makes it."""
    for prefix, uri in NAMESPACES.items():
        ElementTree.register_namespace(prefix, uri)
    rss = ElementTree.Element("rss", {"version": "2.0"})
    if channel:
        parent = ElementTree.SubElement(rss, "channel")
        ElementTree.SubElement(parent, "title").text = "An old blog"
        ElementTree.SubElement(parent, "language").text = "en-US"
        if version:
            ElementTree.SubElement(parent, f"{{{WP}}}wxr_version").text = "1.2"
        for fields, comments in items:
            element = ElementTree.SubElement(parent, "item")
            for name, value in fields.items():
                if value is not None:
                    ElementTree.SubElement(element, qualified(name)).text = value
            for values in comments:
                comment_element = ElementTree.SubElement(element, f"{{{WP}}}comment")
                for name, value in values.items():
                    if name == "commentmeta":
                        for key, meta_value in value.items():
                            entry = ElementTree.SubElement(comment_element, f"{{{WP}}}commentmeta")
                            ElementTree.SubElement(entry, f"{{{WP}}}meta_key").text = key
                            ElementTree.SubElement(entry, f"{{{WP}}}meta_value").text = meta_value
                    elif value is not None:
                        ElementTree.SubElement(comment_element, f"{{{WP}}}{name}").text = value
    # ElementTree writes a CR as it is, and every XML parser reads that back as LF.
    return ElementTree.tostring(rss, encoding="UTF-8", xml_declaration=True).replace(b"\r", b"&#13;")


def write(tmp_path, content, name="export.xml"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def import_file(app, path):
    return app.test_cli_runner().invoke(import_wxr_command, [path])


def export_file(app, *arguments):
    return app.test_cli_runner().invoke(export_wxr_command, list(arguments))


# A WordPress blog: a thread with every status, a pingback, a reply before its parent, a draft, and
# items the blog does not import (a page and a trashed post).
THREAD = [
    comment(101, "First!", comment_author="Alice", comment_author_email="Alice@Example.ORG",
            comment_author_url="https://alice.example/", comment_author_IP="192.0.2.10"),
    comment(102, "Welcome <b>Alice</b> <script>alert(1)</script>", parent=101, minutes=10,
            comment_author="Bob"),
    comment(103, "A reply to the reply.", parent=102, minutes=20, comment_author="Carol"),
    comment(104, "Waiting for a moderator.", approved="0", minutes=30, comment_author="Dave"),
    comment(105, "Buy pills.", approved="spam", minutes=40, comment_author="Spammer"),
    comment(106, "Thrown away.", parent=101, approved="trash", minutes=50, comment_author="Eve"),
    comment(107, "[…] linked from elsewhere […]", approved="1", minutes=55, comment_type="pingback",
            comment_author="Other blog"),
    # A reply listed before its parent, as a hand-merged file may have it.
    comment(109, "Answering Frank.", parent=108, minutes=70, comment_author="Grace"),
    comment(108, "Frank here.", minutes=60, comment_author="Frank"),
]
BLOG = [
    item("Hello world", "hello-world", THREAD,
         **{"content:encoded": "<p>Welcome to <em>WordPress</em>.</p><script>alert(1)</script>"}),
    item("Draft notes", "", post_date_gmt="0000-00-00 00:00:00", status="draft", comment_status="closed",
         pubDate="Mon, 30 Nov -0001 00:00:00 +0000"),
    item("About", "about", post_type="page"),
    item("Thrown out", "thrown-out", status="trash"),
]
IMPORTED = "Imported 2 posts and 8 comments (skipped 1 pingback/trackback and 2 items that are not posts)."


def stored(app):
    """Every post and comment as comparable rows, and the thread versions."""
    with app.app_context():
        posts = [(post.id, post.slug, post.title, post.status, post.body_source, post.published_at,
                  post.comments_open) for post in db.session.scalars(select(Post).order_by(Post.id))]
        comments = [(comment.id, comment.target_key, comment.parent_id, comment.root_id, comment.depth,
                     comment.author, comment.email, comment.url, comment.body_raw, comment.status,
                     comment.ip, comment.created_at)
                    for comment in db.session.scalars(select(Comment).order_by(Comment.id))]
        versions = dict(db.session.execute(select(ThreadVersion.target_key, ThreadVersion.version)).all())
    return posts, comments, versions


def comments_by_author(app, slug) -> dict[str, Comment]:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        comments = db.session.scalars(select(Comment).where(Comment.target_key == thread_key(post))).all()
        db.session.expunge_all()
    return {comment.author: comment for comment in comments}


# Importing


def test_import_keeps_posts_threads_authors_dates_and_statuses(matrix_app, tmp_path):
    result = import_file(matrix_app, write(tmp_path, wxr(*BLOG)))
    assert result.exit_code == 0, result.output
    assert result.output == IMPORTED + "\n"

    with matrix_app.app_context():
        posts = {post.slug: post for post in db.session.scalars(select(Post))}
        assert sorted(posts) == ["draft-notes", "hello-world"]
        hello, draft = posts["hello-world"], posts["draft-notes"]
        assert (hello.title, hello.status, hello.comments_open) == ("Hello world", PostStatus.PUBLISHED, True)
        assert hello.published_at == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
        assert hello.body_html == "<p>Welcome to <em>WordPress</em>.</p>\nalert(1)"
        assert (draft.status, draft.published_at, draft.comments_open) == (PostStatus.DRAFT, None, False)
        assert db.session.scalar(select(ThreadVersion.version).where(
            ThreadVersion.target_key == thread_key(hello))) >= 1

    comments = comments_by_author(matrix_app, "hello-world")
    assert sorted(comments) == ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Spammer"]
    alice, bob, carol, frank, grace = (comments[name] for name in ("Alice", "Bob", "Carol", "Frank", "Grace"))
    assert (alice.email, alice.url, alice.ip) == ("alice@example.org", "https://alice.example/", "192.0.2.10")
    assert alice.created_at == START and bob.created_at == START + timedelta(minutes=10)
    assert (alice.parent_id, alice.root_id, alice.depth) == (None, None, 0)
    assert (bob.parent_id, bob.root_id, bob.depth) == (alice.id, alice.id, 1)
    assert (carol.parent_id, carol.root_id, carol.depth) == (bob.id, alice.id, 2)
    assert (grace.parent_id, grace.root_id, grace.depth) == (frank.id, frank.id, 1)
    assert comments["Eve"].parent_id == alice.id
    assert {name: comment.status for name, comment in comments.items()} == {
        "Alice": CommentStatus.APPROVED, "Bob": CommentStatus.APPROVED, "Carol": CommentStatus.APPROVED,
        "Dave": CommentStatus.PENDING, "Spammer": CommentStatus.SPAM, "Eve": CommentStatus.TRASH,
        "Frank": CommentStatus.APPROVED, "Grace": CommentStatus.APPROVED}
    assert alice.approved_at == alice.created_at and comments["Dave"].approved_at is None
    assert bob.body_raw == "Welcome <b>Alice</b> <script>alert(1)</script>"
    assert bob.body_html == "<p>Welcome <b>Alice</b> &lt;script&gt;alert(1)&lt;/script&gt;</p>"

    client = matrix_app.test_client()
    page = parse_page(client.get("/hello-world/"))
    shown = {folded_text(element) for element in with_class(page, "div", "comment-content")}
    assert shown == {"First!", "Welcome Alice <script>alert(1)</script>", "A reply to the reply.",
                     "Frank here.", "Answering Frank."}
    assert [folded_text(heading) for heading in with_class(page, "h2", "comments-title")] == [
        "5 thoughts on “Hello world”"]
    assert "5 comments" in folded_text(parse_page(client.get("/")).find(".//body"))
    assert client.get("/draft-notes/").status_code == 404


def test_import_twice_adds_nothing(matrix_app, tmp_path):
    path = write(tmp_path, wxr(*BLOG))
    assert import_file(matrix_app, path).exit_code == 0
    before = stored(matrix_app)
    again = import_file(matrix_app, path)
    assert again.exit_code == 0, again.output
    assert again.output == ("Imported 0 posts and 0 comments (2 posts and 8 comments already present; "
                            "skipped 1 pingback/trackback and 2 items that are not posts).\n")
    assert stored(matrix_app) == before


def test_import_recognises_comments_whose_author_was_erased_or_edited(app, tmp_path):
    """A re-import must not bring back what the privacy tools erased."""
    path = write(tmp_path, wxr(*BLOG))
    assert import_file(app, path).exit_code == 0
    with app.app_context():
        alice = db.session.scalar(select(Comment).where(Comment.author == "Alice"))
        alice.author, alice.email, alice.url, alice.ip = "Anonymous", "", "", None
        db.session.commit()
    before = stored(app)
    assert "0 comments (2 posts and 8 comments already present" in import_file(app, path).output
    assert stored(app) == before


def test_import_adds_only_the_new_comments_of_a_later_export(app, tmp_path):
    assert import_file(app, write(tmp_path, wxr(*BLOG))).exit_code == 0
    fields, comments = BLOG[0]
    later = (fields, comments + [comment(110, "A late reply to Carol.", parent=103, minutes=90,
                                         comment_author="Heidi")])
    result = import_file(app, write(tmp_path, wxr(later, *BLOG[1:]), name="later.xml"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported 0 posts and 1 comment (2 posts and 8 comments already present")
    comments = comments_by_author(app, "hello-world")
    assert (comments["Heidi"].parent_id, comments["Heidi"].root_id, comments["Heidi"].depth) == (
        comments["Carol"].id, comments["Alice"].id, 3)


def test_replies_past_the_depth_cap_go_beside_their_parent(tmp_path):
    app = make_app(tmp_path, COMMENTS_THREAD_DEPTH=3)
    with app.app_context():
        db.create_all()
    chain = [comment(number, f"Level {number}.", parent=number - 1 if number > 1 else 0, minutes=number,
                     comment_author=f"R{number}") for number in range(1, 6)]
    assert import_file(app, write(tmp_path, wxr(item("Deep", "deep", chain)))).exit_code == 0
    comments = comments_by_author(app, "deep")
    assert [comments[f"R{number}"].depth for number in range(1, 6)] == [0, 1, 2, 2, 2]
    assert comments["R4"].parent_id == comments["R5"].parent_id == comments["R2"].id
    with app.app_context():
        db.engine.dispose()


def test_a_reply_to_a_pingback_hangs_from_the_pingbacks_parent(app, tmp_path):
    thread = [comment(1, "Top.", comment_author="Top"),
              comment(2, "Pinged.", parent=1, minutes=1, comment_type="pingback"),
              comment(3, "Replying to the ping.", parent=2, minutes=2, comment_author="Reply")]
    result = import_file(app, write(tmp_path, wxr(item("Pings", "pings", thread))))
    assert result.output == "Imported 1 post and 2 comments (skipped 1 pingback/trackback).\n"
    comments = comments_by_author(app, "pings")
    assert comments["Reply"].parent_id == comments["Top"].id


def test_fields_the_forms_would_refuse_are_cleaned(matrix_app, tmp_path):
    """Control characters are stripped, unsafe or overlong websites dropped, long names cut."""
    thread = [
        comment(1, "Hello\x85 there\ufffd\ufdd0.", comment_author="Al\x9fice"),
        comment(2, "A link that runs code.", minutes=1, comment_author="", comment_author_url="javascript:alert(1)",
                comment_author_IP="not an address"),
        comment(3, "A very long name.", minutes=2, comment_author="N" * 300,
                comment_author_url="https://example.org/" + "x" * 200),
    ]
    result = import_file(matrix_app, write(tmp_path, wxr(item("Tit\x85le", "dirty", thread))))
    assert result.exit_code == 0, result.output
    comments = comments_by_author(matrix_app, "dirty")
    assert comments["Alice"].body_raw == "Hello there."
    assert (comments["Anonymous"].url, comments["Anonymous"].ip) == ("", None)
    assert comments["N" * 245].url == ""
    with matrix_app.app_context():
        assert db.session.scalar(select(Post.title).where(Post.slug == "dirty")) == "Title"


def test_names_and_titles_are_put_on_one_line(matrix_app, tmp_path):
    """Each run of line breaks (the end of a mail header), tabs or bidirectional controls becomes one space."""
    thread = [
        comment(1, "Injected.", comment_author="Mallory\r\nBcc: x@example.org"),
        comment(2, "Reversed.", minutes=1, comment_author="Mallory\u202egro.elpmaxe@nib"),
        comment(3, "Nothing but controls.", minutes=2, comment_author="\u2067\t\u2069"),
    ]
    result = import_file(matrix_app, write(tmp_path, wxr(item("Two\r\nlines\u2028and\u202emore\u202c", "lines",
                                                              thread))))
    assert result.exit_code == 0, result.output
    assert sorted(comments_by_author(matrix_app, "lines")) == [
        "Anonymous", "Mallory Bcc: x@example.org", "Mallory gro.elpmaxe@nib"]
    with matrix_app.app_context():
        assert db.session.scalar(select(Post.title).where(Post.slug == "lines")) == "Two lines and more"


FORM_REFUSED_EMAILS = {
    "line break": "mallory@example.org\r\nBcc: x@example.org",
    "tab": "mal\tlory@example.org",
    "space": "mal lory@example.org",
    "bidirectional override": "mal\u202elory@example.org",
    "not an address": "not an address",
    "two at signs": "two@@example.org",
    "host without a dot": "mallory@localhost",
}


@pytest.mark.parametrize("address", FORM_REFUSED_EMAILS.values(), ids=FORM_REFUSED_EMAILS.keys())
def test_an_email_address_the_form_refuses_is_imported_as_none(app, tmp_path, address):
    thread = [comment(1, "Hello.", comment_author_email=address)]
    assert import_file(app, write(tmp_path, wxr(item("Addresses", "addresses", thread)))).exit_code == 0
    assert comments_by_author(app, "addresses")["Reader 1"].email == ""


FORM_REFUSED_URLS = {
    "port out of range": "https://example.org:99999/",
    "port not a number": "https://example.org:http/",
    "odd host": "https://exa!mple.org/",
    "escaped host": "https://exa%41mple.org/",
    "no host": "https://user@/",
    "bidirectional override": "https://example.org/\u202eexe.txt",
}


@pytest.mark.parametrize("url", FORM_REFUSED_URLS.values(), ids=FORM_REFUSED_URLS.keys())
def test_a_website_the_form_refuses_is_dropped(app, tmp_path, url):
    thread = [comment(1, "Hello.", comment_author_url=url)]
    assert import_file(app, write(tmp_path, wxr(item("Links", "links", thread)))).exit_code == 0
    assert comments_by_author(app, "links")["Reader 1"].url == ""


def test_a_comment_source_is_taken_only_while_it_still_gives_the_files_html(app, tmp_path):
    """The blog's own meta brings the raw text back; a comment edited elsewhere since keeps what it says now."""
    thread = [
        comment(1, "<p>Mine, <b>as typed</b> &amp; kept.</p>", comment_author="Kept",
                commentmeta={COMMENT_SOURCE_META: "Mine, <b>as typed</b> & kept."}),
        comment(2, "<p>Changed on the other site.</p>", minutes=1, comment_author="Edited",
                commentmeta={COMMENT_SOURCE_META: "What it said before."}),
    ]
    path = write(tmp_path, wxr(item("Sources", "sources", thread)))
    assert import_file(app, path).exit_code == 0
    comments = comments_by_author(app, "sources")
    assert (comments["Kept"].body_raw, comments["Kept"].body_html) == (
        "Mine, <b>as typed</b> & kept.", "<p>Mine, <b>as typed</b> &amp; kept.</p>")
    assert (comments["Edited"].body_raw, comments["Edited"].body_html) == (
        "<p>Changed on the other site.</p>", "<p>Changed on the other site.</p>")
    assert import_file(app, path).output.startswith("Imported 0 posts and 0 comments")


def test_slugs_come_from_wordpress_or_the_title_and_stay_unique(app, tmp_path):
    items = [item("Day one", "%e6%97%a5"), item("Same name", "same"), item("Same name again", "same"),
             item("A feed", "feed"), item("Untitled draft", "", status="draft")]
    path = write(tmp_path, wxr(*items))
    assert import_file(app, path).exit_code == 0
    with app.app_context():
        assert set(db.session.scalars(select(Post.slug))) == {"day-one", "same", "same-2", "feed-2",
                                                              "untitled-draft"}
    assert import_file(app, path).output.startswith("Imported 0 posts and 0 comments (5 posts and")


def test_an_existing_post_keeps_its_text_and_gets_the_comments(app, tmp_path):
    with app.app_context():
        make_post(slug="hello-world", title="Mine", source="My own text.")
    result = import_file(app, write(tmp_path, wxr(BLOG[0])))
    assert result.output == "Imported 0 posts and 8 comments (1 post and 0 comments already present; " \
                            "skipped 1 pingback/trackback).\n"
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == "hello-world"))
        assert (post.title, post.body_source) == ("Mine", "My own text.")


# Bad files: a clear error, a non-zero exit, and the database as it was.

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&lol9;</title><wp:post_name>lol</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><wp:post_date_gmt>2024-01-02 10:00:00</wp:post_date_gmt></item>
</channel></rss>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>&secret;</title><wp:post_name>leak</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type><wp:post_date_gmt>2024-01-02 10:00:00</wp:post_date_gmt></item>
</channel></rss>
"""


def with_bad_comment(**fields):
    """A file whose first post is fine and whose second has one wrong comment."""
    thread = [comment(201, "Fine."), comment(202, "The odd one.", minutes=1, **fields)]
    return wxr(BLOG[0], item("Second", "second", thread))


BAD_FILES = {
    "not XML": (b"this is not XML at all", "not well-formed XML"),
    "empty file": (b"", "not well-formed XML"),
    "billion laughs": (BILLION_LAUGHS, "declares XML entities"),
    "external entity": (EXTERNAL_ENTITY, "declares XML entities"),
    "NUL byte": (wxr(*BLOG).replace(b"First!", b"Fir\x00st!"), "not well-formed XML"),
    "NUL reference": (wxr(*BLOG).replace(b"First!", b"Fir&#0;st!"), "not well-formed XML"),
    "not RSS": (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "not <rss>"),
    "missing channel": (b'<rss version="2.0"></rss>', "no <channel> in <rss>"),
    "not WXR": (wxr(*BLOG, version=False), "no <wp:wxr_version>"),
    "bad date": (with_bad_comment(comment_date_gmt="yesterday"), "bad wp:comment_date_gmt 'yesterday'"),
    "impossible date": (with_bad_comment(comment_date_gmt="2024-02-30 10:00:00"), "bad wp:comment_date_gmt"),
    "missing date": (with_bad_comment(comment_date_gmt=None), "missing wp:comment_date_gmt"),
    "unknown parent": (with_bad_comment(comment_parent="999"), "its parent, comment 999, is not a comment of"),
    "parent on another post": (with_bad_comment(comment_parent="101"), "its parent, comment 101, is not a"),
    "missing text": (with_bad_comment(comment_content=None), "missing or empty wp:comment_content"),
    "missing id": (with_bad_comment(comment_id=None), "without a valid wp:comment_id"),
    "duplicate id": (with_bad_comment(comment_id="201"), "two comments with wp:comment_id 201"),
    "unknown status": (with_bad_comment(comment_approved="maybe"), "unknown wp:comment_approved 'maybe'"),
    "overlong email": (with_bad_comment(comment_author_email="a" * 95 + "@example.org"), "longer than 100"),
    "parents in a circle": (wxr(item("Circle", "circle", [comment(1, "One.", parent=2),
                                                          comment(2, "Two.", parent=1, minutes=1)])),
                            "its parents run in a circle"),
    "unknown post status": (wxr(item("Odd", "odd", status="published")), "unknown wp:status 'published'"),
    "published without a date": (wxr(item("Undated", "undated", post_date_gmt="0000-00-00 00:00:00",
                                           pubDate=None)), "a published post without a date"),
}


@pytest.mark.parametrize("content, problem", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_and_changes_nothing(app, tmp_path, content, problem):
    with app.app_context():
        post = make_post(slug="hello-world")
        make_comment(thread_key(post), body_raw="Already here.")
    before = stored(app)
    path = write(tmp_path, content)
    result = import_file(app, path)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: ")
    assert problem in result.output
    assert result.output.endswith("Nothing was imported.\n")
    assert stored(app) == before


def test_a_missing_file_is_a_usage_error(app, tmp_path):
    result = import_file(app, str(tmp_path / "nowhere.xml"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_failure_while_writing_rolls_everything_back(matrix_app, tmp_path, monkeypatch):
    def fail(target_key):
        raise RuntimeError("the database went away")

    with matrix_app.app_context():
        make_post(slug="kept")
    before = stored(matrix_app)
    monkeypatch.setattr("blog.wxr.importer.touch_thread", fail)
    result = import_file(matrix_app, write(tmp_path, wxr(*BLOG)))
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert stored(matrix_app) == before


# Exporting


def build_blog():
    """Posts of every kind, comments of every status in threads, and text that XML must escape."""
    published = make_post(slug="markdown", title="Tags & <angles>", language="nl",
                          published_at=datetime(2024, 5, 1, 9, 30, 15, tzinfo=UTC),
                          source="## Heading\n\nSome *emphasis*, `code <x>` and a [link](https://example.org).\n\n"
                                 "- one\n- two\n\nAfter the list.\n\n    indented code ]]> <script>\n")
    make_post(slug="taken-down", title="Taken down", status=PostStatus.DRAFT, comments_open=False,
              published_at=datetime(2023, 12, 24, 18, 0, tzinfo=UTC))
    make_post(slug="never-out", title="Never \"out\"", status=PostStatus.DRAFT)
    key = thread_key(published)
    base = datetime(2024, 5, 2, 10, 0, 0, 123456, tzinfo=UTC)
    top = make_comment(key, author="Ann \"A\" <ann>", email="ann@example.org", url="https://ann.example/",
                       body_raw="Top ]]> & <b>bold</b>\nsecond line", created_at=base)
    reply = make_comment(key, parent=top, author="Ben", body_raw="A reply.", created_at=base + timedelta(hours=1))
    make_comment(key, parent=reply, author="Cid", body_raw="Held.", status=CommentStatus.PENDING,
                 created_at=base + timedelta(hours=2), ip=None)
    make_comment(key, author="Spam", body_raw="Cheap!", status=CommentStatus.SPAM, created_at=base + timedelta(hours=3))
    make_comment(key, author="Gone", body_raw="Removed.", status=CommentStatus.TRASH,
                 created_at=base + timedelta(hours=4))
    make_comment(key, parent=top, author="boss", email="site@example.org", body_raw="Thanks, from us.",
                 is_moderator_reply=True, created_at=base + timedelta(hours=5))
    return 3, 6


def parse_export(content: bytes):
    return ElementTree.fromstring(content)


def wp(name):
    return f"{{{WP}}}{name}"


def comment_meta(element) -> dict[str, str]:
    """A <wp:comment>'s commentmeta entries, key → value."""
    return {meta.findtext(wp("meta_key")): meta.findtext(wp("meta_value"))
            for meta in element.iterfind(wp("commentmeta"))}


def markup_of(html: str) -> list[tuple[str, list]]:
    """Every tag a browser would find in an HTML fragment, with its attributes."""
    found = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attributes: found.append((tag, attributes))
    parser.feed(html)
    parser.close()
    return found


# What a reader can type that the blog shows as text, and WordPress would run as HTML.
HOSTILE_COMMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click me</a>',
    '<b onmouseover="alert(1)">hover</b> <iframe src="https://evil.example/"></iframe>',
    "<scr<script>ipt>alert(1)</script>",
]


def test_export_writes_every_post_and_comment_as_wxr(tmp_path):
    app = make_app(tmp_path, BLOG_URL="https://blog.example.org")
    with app.app_context():
        db.create_all()
        build_blog()
    target = tmp_path / "out.xml"
    result = export_file(app, str(target))
    assert result.exit_code == 0, result.output
    assert result.output == f"Exported 3 posts and 6 comments to {target}.\n"

    content = target.read_bytes()
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    head = content[:8192].decode()
    for prefix, uri in NAMESPACES.items():
        assert f'xmlns:{prefix}="{uri}"' in head
    # Isso finds the WordPress namespace in the first lines, as WordPress's regex parser does.
    assert re.search(r"http://wordpress.org/export/(1\.\d)/", head)

    channel = parse_export(content).find("channel")
    assert channel.findtext(wp("wxr_version")) == "1.2"
    items = {element.findtext(wp("post_name")): element for element in channel.iterfind("item")}
    assert sorted(items) == ["markdown", "never-out", "taken-down"]
    markdown = items["markdown"]
    assert markdown.findtext("title") == "Tags & <angles>"
    assert markdown.findtext("link") == "https://blog.example.org/markdown/"
    assert markdown.findtext(wp("status")) == "publish"
    assert markdown.findtext(wp("post_date_gmt")) == "2024-05-01 09:30:15"
    assert markdown.findtext(f"{{{NAMESPACES['content']}}}encoded").startswith("<h2>Heading</h2>")
    assert (items["taken-down"].findtext(wp("status")), items["taken-down"].findtext(wp("post_date_gmt")),
            items["taken-down"].findtext(wp("comment_status"))) == ("draft", "2023-12-24 18:00:00", "closed")
    assert items["never-out"].findtext(wp("post_date_gmt")) == "0000-00-00 00:00:00"

    comments = {element.findtext(wp("comment_author")): element for element in markdown.iterfind(wp("comment"))}
    assert sorted(comments) == ["Ann \"A\" <ann>", "Ben", "Cid", "Gone", "Spam", "boss"]
    assert {name: element.findtext(wp("comment_approved")) for name, element in comments.items()} == {
        "Ann \"A\" <ann>": "1", "Ben": "1", "Cid": "0", "Gone": "trash", "Spam": "spam", "boss": "1"}
    ann = comments["Ann \"A\" <ann>"]
    assert ann.findtext(wp("comment_content")) == "<p>Top ]]&gt; &amp; <b>bold</b><br>\nsecond line</p>"
    assert comment_meta(ann) == {COMMENT_SOURCE_META: "Top ]]> & <b>bold</b>\nsecond line"}
    assert ann.findtext(wp("comment_date_gmt")) == "2024-05-02 10:00:00"
    assert ann.findtext(wp("comment_author_url")) == "https://ann.example/"
    assert comments["Ben"].findtext(wp("comment_parent")) == ann.findtext(wp("comment_id"))
    assert comments["Cid"].findtext(wp("comment_parent")) == comments["Ben"].findtext(wp("comment_id"))
    assert comments["Cid"].findtext(wp("comment_author_IP")) == ""
    # What Isso's and Remark42's WordPress importers read from every comment.
    for element in markdown.iterfind(wp("comment")):
        for name in ("comment_id", "comment_author", "comment_author_email", "comment_author_url",
                     "comment_author_IP", "comment_date_gmt", "comment_content", "comment_approved",
                     "comment_parent"):
            assert element.find(wp(name)) is not None, name
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", element.findtext(wp("comment_date_gmt")))
        int(element.findtext(wp("comment_parent")))
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("raw", HOSTILE_COMMENTS)
def test_export_gives_wordpress_the_sanitized_html_and_keeps_the_raw_text_in_meta(app, raw):
    """WordPress shows wp:comment_content as HTML, unfiltered for its admins: it gets what the page shows."""
    with app.app_context():
        body_html = make_comment(thread_key(make_post(slug="target")), body_raw=raw).body_html
    result = export_file(app)
    assert result.exit_code == 0, result.stderr
    document = parse_export(result.stdout_bytes)
    comment_element = document.find(f"channel/item/{wp('comment')}")
    content = comment_element.findtext(wp("comment_content"))
    assert content == body_html
    assert not re.search(r"<(script|img|svg|iframe)", content, re.IGNORECASE)
    for tag, attributes in markup_of(content):
        assert tag in COMMENT_TAGS
        assert not [name for name, value in attributes if name.startswith("on")]
        assert not [value for name, value in attributes if "javascript:" in (value or "").lower()]
    source = next(meta.find(wp("meta_value")) for meta in comment_element.iterfind(wp("commentmeta"))
                  if meta.findtext(wp("meta_key")) == COMMENT_SOURCE_META)
    assert source.text == raw
    assert [element for element in document.iter() if raw in (element.text or "")] == [source]


def test_export_to_standard_output_says_what_it_did_on_standard_error(app):
    with app.app_context():
        build_blog()
    result = export_file(app)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("Exported 3 posts and 6 comments to standard output; "
                             "links are relative, as BLOG_URL is not set.\n")
    channel = parse_export(result.stdout_bytes).find("channel")
    assert len(channel.findall("item")) == 3
    assert {element.findtext("link") for element in channel.iterfind("item")} == {
        "/markdown/", "/taken-down/", "/never-out/"}


def test_export_of_an_empty_blog(app):
    result = export_file(app)
    assert result.exit_code == 0
    assert result.stderr.startswith("Exported 0 posts and 0 comments to standard output")
    assert parse_export(result.stdout_bytes).find("channel").findall("item") == []


# The round trip: export, import into an empty database, export again: the same content.


def content_of(document: bytes):
    """A WXR document's content: every leaf's text by path, comment ids replaced by their place in
    the post, and without what only says when the file was made (the channel's pubDate)."""
    channel = parse_export(document).find("channel")
    header = {element.tag: element.text for element in channel if len(element) == 0 and element.tag != "pubDate"}
    posts = {}
    for element in channel.iterfind("item"):
        fields = {child.tag: child.text for child in element if len(child) == 0 and child.tag != wp("post_id")}
        fields["meta"] = sorted((meta.findtext(wp("meta_key")), meta.findtext(wp("meta_value")))
                                for meta in element.iterfind(wp("postmeta")))
        comments = element.findall(wp("comment"))
        place = {comment_element.findtext(wp("comment_id")): number for number, comment_element in
                 enumerate(comments)}
        fields["comments"] = [
            {**{child.tag: child.text for child in comment_element if len(child) == 0},
             wp("comment_id"): place[comment_element.findtext(wp("comment_id"))],
             wp("comment_parent"): place.get(comment_element.findtext(wp("comment_parent"))),
             "meta": [(meta.findtext(wp("meta_key")), meta.findtext(wp("meta_value")))
                      for meta in comment_element.iterfind(wp("commentmeta"))]}
            for comment_element in comments]
        posts[fields[wp("post_name")]] = fields
    return header, posts


def test_round_trip_gives_the_same_content(app, tmp_path, database_url):
    with app.app_context():
        post_count, comment_count = build_blog()
    first = export_file(app)
    assert first.exit_code == 0, first.stderr
    path = write(tmp_path, first.stdout_bytes, name="first.xml")

    second_app = make_app(tmp_path / "second", SQLALCHEMY_DATABASE_URI=database_url)
    with second_app.app_context():
        db.create_all()
    try:
        result = import_file(second_app, path)
        assert result.exit_code == 0, result.output
        assert result.output == f"Imported {post_count} posts and {comment_count} comments.\n"
        second = export_file(second_app)
        assert second.exit_code == 0, second.stderr
        assert content_of(second.stdout_bytes) == content_of(first.stdout_bytes)

        with second_app.app_context():
            post = db.session.scalar(select(Post).where(Post.slug == "markdown"))
            assert post.body_source.startswith("## Heading") and post.language == "nl"
            assert db.session.scalar(select(Comment).where(Comment.author == "boss")).is_moderator_reply
    finally:
        with second_app.app_context():
            db.engine.dispose()

    # And the first blog reading its own export back finds everything there already.
    again = import_file(app, path)
    assert again.output == (f"Imported 0 posts and 0 comments ({post_count} posts and {comment_count} comments "
                            "already present).\n")


# Ordinary comments beside the hostile ones: line breaks, markup the blog keeps, text with & and <,
# and one whose HTML is nothing at all (the export's comment_content is empty).
ROUND_TRIP_COMMENTS = HOSTILE_COMMENTS + [
    "Line one\nline two\n\nA new paragraph.",
    'Some <b>bold</b> & <i>italic</i>, a <a href="https://example.org/">link</a>.',
    "1 < 2 && 3 > 2, <3 & a bare <",
    "<!-- only an HTML comment -->",
]


def comment_texts(app, slug) -> dict[str, tuple[str, str]]:
    return {author: (comment.body_raw, comment.body_html) for author, comment in comments_by_author(app, slug).items()}


def test_round_trip_brings_back_the_raw_text_of_every_comment(app, tmp_path, database_url):
    """The file gives WordPress the HTML and the blog its raw text again; reading it again adds nothing."""
    with app.app_context():
        key = thread_key(make_post(slug="texts"))
        for number, raw in enumerate(ROUND_TRIP_COMMENTS):
            make_comment(key, author=f"Reader {number}", body_raw=raw, created_at=START + timedelta(minutes=number))
    texts = comment_texts(app, "texts")
    first = export_file(app)
    assert first.exit_code == 0, first.stderr
    contents = [element.findtext(wp("comment_content"))
                for element in parse_export(first.stdout_bytes).iter(wp("comment"))]
    assert sorted(contents) == sorted(body_html for body_raw, body_html in texts.values())
    path = write(tmp_path, first.stdout_bytes, name="first.xml")
    count = len(ROUND_TRIP_COMMENTS)

    second_app = make_app(tmp_path / "second", SQLALCHEMY_DATABASE_URI=database_url)
    with second_app.app_context():
        db.create_all()
    try:
        result = import_file(second_app, path)
        assert result.output == f"Imported 1 post and {count} comments.\n"
        assert comment_texts(second_app, "texts") == texts
        again = import_file(second_app, path)
        assert again.output == f"Imported 0 posts and 0 comments (1 post and {count} comments already present).\n"
    finally:
        with second_app.app_context():
            db.engine.dispose()
    back_home = import_file(app, path)
    assert back_home.output == f"Imported 0 posts and 0 comments (1 post and {count} comments already present).\n"


def test_a_comment_typed_in_a_browser_is_found_again_in_its_export(matrix_app, tmp_path):
    """Browsers send CR LF, which XML reads back as LF: the same comment all the same."""
    with matrix_app.app_context():
        make_comment(thread_key(make_post(slug="typed")), author="Typist", body_raw="First line,\r\nsecond line.")
    exported = export_file(matrix_app)
    assert exported.exit_code == 0, exported.stderr
    result = import_file(matrix_app, write(tmp_path, exported.stdout_bytes))
    assert result.output == "Imported 0 posts and 0 comments (1 post and 1 comment already present).\n"


def test_export_to_a_place_that_cannot_be_written_says_so(app, tmp_path):
    result = export_file(app, str(tmp_path / "missing" / "out.xml"))
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {tmp_path / 'missing' / 'out.xml'}: No such file or directory\n"
    assert not (tmp_path / "missing").exists()


def test_export_leaves_out_characters_xml_cannot_hold(app):
    with app.app_context():
        make_post(slug="form-feed", title="Page\x0cbreak", source="Before\x0cafter.")
    result = export_file(app)
    assert result.exit_code == 0, result.stderr
    item_element = parse_export(result.stdout_bytes).find("channel/item")
    assert item_element.findtext("title") == "Pagebreak"
