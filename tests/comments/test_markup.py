"""COMMENTS_MARKUP: comment text in HTML (the default) or Markdown, on every path that stores a comment, with
the same sanitizer; each comment kept in the markup it was written in; hostile Markdown kept in bounds of
time; and the form's note on what it takes."""

import time

import pytest

from blog.comments import Comment, markup
from blog.comments.markup import MARKDOWN_SECONDS
from blog.extensions import db
from blog.sanitize import MARKDOWN_TAGS, clean_comment, sanitize_comment_html
from tests.api_client import api
from tests.comments.test_hostile_pages import assert_allowlisted
from tests.comments.test_own_edits import edit as own_edit
from tests.factories import make_admin, make_app
from tests.pages import by_id, folded_text
from tests.readers import AdminActions

TEXT = "**Bold** and [a link](https://example.org)"
STORED = {
    "html": clean_comment(TEXT),
    "markdown": '<p><strong>Bold</strong> and <a href="https://example.org" rel="nofollow ugc">a link</a></p>',
}
MARKUPS = list(STORED)
# Markdown that Python-Markdown takes minutes over at the form's length, each its own way.
PATHOLOGICAL = {
    "unclosed brackets": "![" * 32_762,
    "links never closed": "[a](" * 16_381,
    "autolinks never closed": "<http://" * 8_190,
    "CDATA openings": "<![CDATA[" * 7_280,
    "lists nested thousands deep": "1. " * 21_841,
}
# Markdown that takes Python-Markdown about the time limit at the form's length: in time or not, by the machine.
BORDERLINE = ">" * 65_525  # quotes nested thousands deep


def admin_of(blog) -> AdminActions:
    with blog.app.app_context():
        make_admin()
    desk = AdminActions(blog.app.test_client())
    assert desk.login().status_code in (302, 303)
    return desk


def stored_by_form(blog):
    assert blog.reader.post(comment=TEXT).status_code == 303
    return blog.comments()[-1]


def stored_by_api(blog):
    assert api(blog).post(comment=TEXT).status_code == 201
    return blog.comments()[-1]


def stored_by_own_edit(blog):
    assert blog.reader.post(comment="First.").status_code == 303
    comment_id = blog.comments()[-1].id
    assert own_edit(blog.client, comment_id, TEXT).status_code == 303
    return blog.comment(comment_id)


def stored_by_api_edit(blog):
    answer = api(blog).post(comment="First.").get_json()
    assert api(blog).edit(answer["comment"]["id"], TEXT, answer["edit_token"]).status_code == 200
    return blog.comment(answer["comment"]["id"])


def site_markup(blog) -> str:
    return blog.app.config["COMMENTS_MARKUP"]


def stored_by_admin_edit(blog):
    comment_id = blog.add(body_raw="First.", body_markup=site_markup(blog))
    response = admin_of(blog).post(f"/admin/comments/{comment_id}/edit", author="Ann", email="ann@example.org",
                                   url="", comment=TEXT)
    assert response.status_code in (302, 303)
    return blog.comment(comment_id)


def stored_by_admin_reply(blog):
    parent_id = blog.add(body_raw="A question?")
    assert admin_of(blog).post(f"/admin/comments/{parent_id}/reply", comment=TEXT).status_code in (302, 303)
    return blog.comments()[-1]


def stored_by_resanitize(blog):
    comment_id = blog.add(body_raw=TEXT, body_markup=site_markup(blog))
    with blog.app.app_context():
        db.session.get(Comment, comment_id).body_html = "<p>stale</p>"
        db.session.commit()
    result = blog.app.test_cli_runner().invoke(args=["blog", "resanitize"])
    assert result.exit_code == 0, result.output
    return blog.comment(comment_id)


STORING_PATHS = [stored_by_form, stored_by_api, stored_by_own_edit, stored_by_api_edit, stored_by_admin_edit,
                 stored_by_admin_reply, stored_by_resanitize]


@pytest.mark.parametrize("markup", MARKUPS)
@pytest.mark.parametrize("store", STORING_PATHS, ids=lambda store: store.__name__)
def test_every_path_that_stores_a_comment_renders_its_text_in_the_sites_markup(make_blog, markup, store):
    blog = make_blog(COMMENTS_MARKUP=markup)
    comment = store(blog)
    assert comment.body_raw == TEXT  # kept as typed, for editing and for resanitize
    assert comment.body_html == STORED[markup]
    assert comment.body_markup == markup


def test_a_comment_keeps_the_markup_it_was_written_in_when_the_site_changes_its_own(make_blog):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    written_in_html = blog.add(body_raw="*stars* stay")
    desk = admin_of(blog)
    assert desk.post(f"/admin/comments/{written_in_html}/edit", author="Ann", email="ann@example.org", url="",
                     comment="*stars* stay, <b>bold</b> too").status_code in (302, 303)
    assert blog.comment(written_in_html).body_html == "<p>*stars* stay, <b>bold</b> too</p>"
    with blog.app.app_context():
        db.session.get(Comment, written_in_html).body_html = "<p>stale</p>"
        db.session.commit()
    assert blog.app.test_cli_runner().invoke(args=["blog", "resanitize"]).exit_code == 0
    assert blog.comment(written_in_html).body_html == "<p>*stars* stay, <b>bold</b> too</p>"
    assert blog.comment(written_in_html).body_markup == "html"


@pytest.mark.parametrize("value", ["rst", "Markdown", "", None, 1, ["markdown"]])
def test_a_markup_that_is_none_of_the_two_fails_at_start_up(tmp_path, value):
    with pytest.raises(ValueError, match="COMMENTS_MARKUP must be one of 'html', 'markdown'"):
        make_app(tmp_path, COMMENTS_MARKUP=value)


def test_markdown_comments_show_on_the_page_sanitized(make_blog):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    text = "- one\n- two\n\n[x](javascript:alert(1)) <script>alert(2)</script>\n\n```\n<b>code</b>\n```"
    assert blog.reader.post(comment=text).status_code == 303
    content = blog.page().find(".//div[@class='comment-content']")
    assert_allowlisted(content, "a Markdown comment", tags=MARKDOWN_TAGS)
    assert [item.text for item in content.iter("li")] == ["one", "two"]
    assert "<script>alert(2)</script>" in folded_text(content) and content.find(".//a") is None
    assert content.find(".//pre/code").text == "<b>code</b>\n"


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_markdown_at_the_forms_length_is_stored_in_bounded_time_as_plain_text(make_blog, name):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    text = PATHOLOGICAL[name]
    assert len(text) <= 65_525
    started = time.monotonic()
    response = blog.reader.post(comment=text)
    assert time.monotonic() - started < MARKDOWN_SECONDS + 30  # bounded: not the minutes Markdown would take
    assert response.status_code == 303
    assert blog.comments()[-1].body_html == clean_comment(text)  # its words as typed, as in HTML
    assert blog.reader.post(comment="*After* it.").status_code == 303  # the next one is Markdown again
    assert blog.comments()[-1].body_html == "<p><em>After</em> it.</p>"


def test_markdown_near_the_time_limit_is_stored_in_bounded_time_as_one_or_the_other(make_blog):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    started = time.monotonic()
    assert blog.reader.post(comment=BORDERLINE).status_code == 303
    assert time.monotonic() - started < MARKDOWN_SECONDS + 30
    stored = blog.comments()[-1].body_html
    if stored != clean_comment(BORDERLINE):  # Markdown made it in time: its HTML, as sanitized as any
        assert stored.startswith("<blockquote>") and sanitize_comment_html(stored, "markdown") == stored


def test_a_new_helpers_start_is_not_counted_in_the_markdown_time_limit(tmp_path, monkeypatch):
    """A fresh interpreter importing the sanitizer takes longer than this limit; the comment is still Markdown."""
    monkeypatch.setattr(markup, "MARKDOWN_SECONDS", 0.25)  # a start takes 0.5 s and more, a render milliseconds
    renderer = markup._MarkdownRenderer()
    with make_app(tmp_path).app_context():
        try:
            assert renderer.render("*Fresh* helper.") == "<p><em>Fresh</em> helper.</p>"
        finally:
            renderer._stop(renderer._pool)


# --- the form's note ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("markup", "language", "note"), [
    ("html", "en", 'You may use these HTML tags and attributes: <a href="" title=""> <abbr title="">'),
    ("html", "nl", 'U kunt deze HTML-tags en -attributen gebruiken: <a href="" title=""> <abbr title="">'),
    ("markdown", "en", "You may use Markdown: *emphasis*, **strong**, `code`, [a link](https://example.org)"),
    ("markdown", "nl", "U kunt Markdown gebruiken: *nadruk*, **vet**, `code`, [een link](https://example.org)"),
])
def test_the_form_says_which_markup_it_takes(make_blog, markup, language, note):
    page = make_blog(COMMENTS_MARKUP=markup).page(language=language)
    notes = by_id(page, "form-allowed-tags")
    assert folded_text(notes).startswith(note)
    assert "form-allowed-tags" in by_id(page, "comment").get("aria-describedby").split()
