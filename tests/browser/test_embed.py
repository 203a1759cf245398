"""The embed script in a real browser: the seed post's thread on another site (docs/embed-demo, served on a
second loopback origin under a strict CSP), posting, replying, held and refused comments, edits, Dutch,
accessibility, an origin the blog does not list; and the blog's own post page, with and without scripts."""

import gzip
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import (
    AXE_SCRIPT,
    HELD_NOTICE,
    NO_AXE,
    POST_PATH,
    assert_errors_beside_fields,
    axe_violations,
    open_tab,
    post_in_place,
)
from tests.browser.second_origin import open_host_tab, serve_demo

pytestmark = pytest.mark.browser

EMBED_SCRIPT = Path(__file__).resolve().parents[2] / "blog" / "comments" / "static" / "embed.js"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "embed-demo.png"
HOLD_WORD = "hold-for-review"
TITLE = "How Ketamine Works: Understanding Its Effects on the Brain and Body"
FIELD_LABELS = {"comment": "Comment *", "author": "Name *", "email": "Email *", "url": "Website"}
DUTCH_FIELD_LABELS = {"comment": "Reactie *", "author": "Naam *", "email": "E-mail *", "url": "Site"}
# The dates the screenshot shows, for the comments' <time> elements in order: the picture changes only
# when the look does.
SHOWN_DATES = ["March 5, 2026 at 9:12 AM", "March 5, 2026 at 11:40 AM", "March 6, 2026 at 8:05 AM",
               "March 6, 2026 at 10:31 AM"]


@pytest.fixture(scope="module")
def demo():
    """The demo site the blog lists in COMMENTS_EMBED_ORIGINS."""
    with serve_demo() as site:
        yield site


@pytest.fixture(scope="module")
def unlisted():
    """The same demo page on an origin the blog does not list."""
    with serve_demo() as site:
        yield site


@pytest.fixture(scope="module")
def blog_settings(demo) -> dict:
    """Comments appear at once, unless they hold HOLD_WORD; the demo's origin may embed the thread."""
    return {"COMMENTS_MODERATION": "none", "COMMENTS_MODERATION_WORDS": [HOLD_WORD],
            "COMMENTS_EMBED_ORIGINS": [demo.origin]}


@pytest.fixture(scope="module")
def sites(blog, demo, unlisted):
    """Both demo sites, pointing at the blog under test."""
    demo.blog_url = unlisted.blog_url = blog.url
    return demo, unlisted


@pytest.fixture(scope="module")
def conversation(browser, blog) -> dict:
    """A short thread under the seed post, posted through the blog's own form: two comments and a reply."""
    with open_tab(browser, blog) as poster:
        first = poster.post_comment(author="Ada Lovelace", email="ada@example.org", url="https://ada.example.org/",
                                    comment="A clear account of <em>NMDA</em> receptors. Thank you.")
        reply = poster.post_comment(author="Grace Hopper", email="grace@example.org", parent=str(first),
                                    comment="Agreed; the section on glutamate helped me most.")
        second = poster.post_comment(author="Alan Turing", email="alan@example.org",
                                     comment="Is there a review of the research on depression?")
    return {"first": first, "reply": reply, "second": second}


@pytest.fixture
def host(browser, blog, sites, conversation):
    """A tab on the listed demo site, in English."""
    with open_host_tab(browser, blog, sites[0]) as tab:
        yield tab


def fill_form(page, labels=FIELD_LABELS, **values):
    """Type into the comment form's fields, found by their labels as a person finds them."""
    for field, value in values.items():
        page.get_by_label(labels[field], exact=True).fill(value)


def shown_count(page) -> int:
    """The count the thread's heading gives (0 without a heading)."""
    heading = page.locator(".comments-title")
    return int(heading.text_content().split()[0]) if heading.count() else 0


def thread_loaded(tab, path="/"):
    """Open a demo page and wait for the embedded thread and form."""
    tab.open(path)
    expect(tab.page.locator("#commentform")).to_be_visible()


def test_the_script_is_small_and_served_for_other_sites(blog):
    assert len(gzip.compress(EMBED_SCRIPT.read_bytes(), 9)) < 15_000
    with urllib.request.urlopen(blog.url + "/comments/embed.js") as response:
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert re.fullmatch(r"public, max-age=\d+|max-age=\d+, public", response.headers["Cache-Control"])
        assert response.read() == EMBED_SCRIPT.read_bytes()


def test_the_thread_shows_on_another_site(blog, host, conversation):
    page = host.page
    thread_loaded(host)
    expect(page.locator(".comments-title")).to_have_text(f"3 thoughts on “{TITLE}”")
    first = page.locator(f"#comment-{conversation['first']}")
    expect(first.locator(":scope > article .comment-author")).to_have_text("Ada Lovelace says:")
    link = first.get_by_role("link", name="Ada Lovelace", exact=True)
    expect(link).to_have_attribute("href", "https://ada.example.org/")
    expect(link).to_have_attribute("rel", "external nofollow ugc")
    expect(first.locator(":scope > article .comment-content em")).to_have_text("NMDA")
    avatar = first.locator(":scope > article img.avatar")
    expect(avatar).to_have_attribute("alt", "")
    expect(avatar).to_have_attribute("src", re.compile(re.escape(blog.url) + r"/comments/avatar/[0-9a-f]{32}\.svg$"))
    avatar.scroll_into_view_if_needed()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=avatar.element_handle())
    expect(first.locator(f":scope > ol.children > #comment-{conversation['reply']}")).to_contain_text(
        "the section on glutamate")
    expect(page.locator("li.comment")).to_have_count(3)
    assert "ada@example.org" not in page.content()
    host.assert_quiet()


def test_screenshot_of_the_demo_page(browser, blog, sites, conversation):
    """docs/embed-demo.png, for the README: the demo page with a few comments, its dates fixed."""
    with open_host_tab(browser, blog, sites[0], viewport={"width": 900, "height": 800}) as host:
        thread_loaded(host)
        host.page.evaluate("""(dates) => document.querySelectorAll("#comments time").forEach((time, index) => {
            time.textContent = dates[Math.min(index, dates.length - 1)];
        })""", SHOWN_DATES)
        host.page.screenshot(path=SCREENSHOT, full_page=True, animations="disabled", caret="hide")
        assert SCREENSHOT.stat().st_size > 10_000
        host.assert_quiet()


def test_a_comment_posted_on_another_site_shows_in_place(host, new_tab):
    page = host.page
    thread_loaded(host)
    page.evaluate("window.notReloaded = true")
    count = shown_count(page)
    text = "Posted from a static site, shown without a reload."
    fill_form(page, comment=text, author="Stella Static", email="stella@example.org", url="https://stella.example.org/")
    post_in_place(page)
    shown = page.locator("li.comment", has_text=text)
    author = shown.get_by_role("link", name="Stella Static", exact=True)
    expect(author).to_have_attribute("rel", "external nofollow ugc")
    expect(shown).not_to_have_class(re.compile(r"\bcomment-held\b"))
    expect(page.locator(".comments-title")).to_have_text(f"{count + 1} thoughts on “{TITLE}”")
    expect(page.get_by_label("Comment *", exact=True)).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    assert page.url == host.site.origin + "/"

    reader = new_tab()
    reader.goto(POST_PATH)
    expect(reader.page.locator("li.comment", has_text=text)).to_be_visible()
    host.assert_quiet()


def test_the_live_preview_works_on_another_site(host):
    """The preview asks the blog's API from the other origin (CORS, the API's token), as the post does."""
    page = host.page
    thread_loaded(host)
    page.get_by_role("button", name="Preview", exact=True).click()
    with page.expect_response(lambda response: response.url.endswith("/api/v1/preview")) as answer:
        fill_form(page, comment="<b>Bold</b> <script>alert(1)</script>")
    assert answer.value.status == 200
    content = page.locator("#comment-preview .comment-content")
    expect(content.locator("b")).to_have_text("Bold")
    expect(content).to_contain_text("<script>alert(1)</script>")
    host.assert_quiet()


def test_a_reply_from_another_site_lands_under_its_comment(host, conversation):
    page = host.page
    thread_loaded(host)
    second = conversation["second"]
    page.get_by_role("link", name="Reply to Alan Turing", exact=True).click()
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply to Alan Turing")
    assert page.evaluate("document.getElementById('respond').parentElement.id") == f"comment-{second}"
    expect(page.locator("#comment_parent")).to_have_value(str(second))

    page.get_by_role("link", name="Cancel reply").click()
    expect(page.locator("#comment_parent")).to_have_value("0")
    page.get_by_role("link", name="Reply to Alan Turing", exact=True).click()
    text = "There is: a meta-analysis from 2023, linked in the article's sources."
    fill_form(page, comment=text, author="Rosalind Franklin", email="rosalind@example.org")
    post_in_place(page)
    expect(page.locator(f"#comment-{second} > ol.children > li.comment", has_text=text)).to_be_visible()
    expect(page.locator("#comment_parent")).to_have_value("0")
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply")
    assert page.evaluate("document.getElementById('respond').parentElement.id") == "comments-thread"
    host.assert_quiet()


def test_a_held_comment_shows_its_notice_to_its_poster_alone(host, new_tab):
    page = host.page
    thread_loaded(host)
    text = f"Please {HOLD_WORD}: a comment a moderator must see first."
    fill_form(page, comment=text, author="Harold Held", email="harold@example.org")
    page.get_by_label("Notify me of replies by email.", exact=True).check()
    post_in_place(page)
    held = page.locator("li.comment", has_text=text)
    expect(held).to_have_class(re.compile(r"\bcomment-held\b"))
    expect(held.locator(".comment-awaiting-moderation")).to_have_text(HELD_NOTICE)
    expect(held.locator(".comment-notice-confirmation")).to_have_text(
        "Check your inbox: follow the link in our confirmation mail to get mail about replies.")
    expect(held.locator(".comment-body")).to_be_focused()
    expect(held.locator(".comment-reply-link")).to_have_count(0)

    reader = new_tab()
    reader.goto(POST_PATH)
    expect(reader.page.get_by_text(text)).to_have_count(0)
    host.assert_quiet()


@pytest.mark.parametrize("author, email, url, errors", [
    ("   ", "ben@example.org", "", {"author": "Please fill the required fields."}),
    ("   ", "ben@example", "ftp://example.org/", {
        "author": "Please fill the required fields.", "email": "Please enter a valid email address.",
        "url": "Please enter a web address that starts with http:// or https://."}),
], ids=["blank-name", "three-mistakes"])
def test_mistakes_are_explained_beside_their_fields(host, author, email, url, errors):
    page = host.page
    thread_loaded(host)
    text = f"A comment with a mistake in {', '.join(errors)}."
    fill_form(page, comment=text, author=author, email=email, url=url)
    post_in_place(page)
    assert_errors_beside_fields(page, errors)
    expect(page.locator(".field-error")).to_have_count(len(errors))
    expect(page.locator("#author")).to_be_focused()
    expect(page.locator("#comment")).to_have_value(text)

    fill_form(page, author="Ben Reader", email="ben@example.org", url="")
    post_in_place(page)
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.locator("#email")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email")).to_have_attribute("aria-describedby", "email-notes")
    expect(page.locator("li.comment", has_text=text)).to_have_count(1)
    host.assert_quiet()


def test_a_refused_comment_is_said_in_an_alert_that_takes_the_focus(host):
    page = host.page
    thread_loaded(host)
    text = "Said once, then said again by mistake."
    fill_form(page, comment=text, author="Dora Double", email="dora@example.org")
    post_in_place(page)
    fill_form(page, comment=text)
    post_in_place(page)
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Duplicate comment detected; it looks as though you’ve already said that!")
    expect(alert).to_be_focused()
    expect(page.locator("li.comment", has_text=text)).to_have_count(1)
    expect(page.locator("#comment")).to_have_value(text)
    host.assert_quiet()


def test_a_poster_edits_and_deletes_their_comment_inside_the_window(host, new_tab):
    page = host.page
    thread_loaded(host)
    text = "Ketamine was first made in 1963."
    fill_form(page, comment=text, author="Eddie Editor", email="eddie@example.org")
    post_in_place(page)
    # By its id: a locator by its text would lose the comment once the edit changes the text.
    mine = page.locator("#" + page.locator("li.comment", has_text=text).get_attribute("id"))
    mine.get_by_role("button", name="Edit", exact=True).click()
    editor = mine.get_by_label("Edit your comment", exact=True)
    expect(editor).to_be_focused()
    expect(editor).to_have_value(text)
    editor.fill("Ketamine was first made in 1962, by Calvin Stevens.")
    with page.expect_response(lambda response: "/api/v1/comments/" in response.url):
        mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.locator(".comment-content")).to_have_text("Ketamine was first made in 1962, by Calvin Stevens.")

    reader = new_tab()
    reader.goto(POST_PATH)
    expect(reader.page.get_by_text("first made in 1962, by Calvin Stevens")).to_be_visible()

    with page.expect_response(lambda response: "/api/v1/comments/" in response.url):
        mine.get_by_role("button", name="Delete", exact=True).click()
    expect(mine).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Your comment was deleted.")
    newcomer = new_tab()  # the first reader's browser may answer from its copy for COMMENTS_CACHE_MAX_AGE
    newcomer.goto(POST_PATH)
    expect(newcomer.page.get_by_text("first made in 1962")).to_have_count(0)
    host.assert_quiet()


def test_other_readers_get_no_edit_buttons(browser, blog, sites, host):
    thread_loaded(host)
    fill_form(host.page, comment="Only I may change this.", author="Olive Owner", email="olive@example.org")
    post_in_place(host.page)
    expect(host.page.get_by_role("button", name="Edit", exact=True)).to_have_count(1)
    with open_host_tab(browser, blog, sites[0]) as other:
        thread_loaded(other)
        expect(other.page.get_by_text("Only I may change this.")).to_be_visible()
        expect(other.page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)


def test_a_dutch_page_gets_the_thread_in_dutch(browser, blog, sites, conversation):
    """The host page's lang decides, not the browser's language: this browser asks for English."""
    with open_host_tab(browser, blog, sites[0]) as host:
        page = host.page
        thread_loaded(host, "/nl/")
        expect(page.locator(".comments-title")).to_have_text(re.compile(r"^\d+ reacties op “How Ketamine Works"))
        expect(page.locator("#reply-title-text")).to_have_text("Laat een reactie achter")
        expect(page.locator(".comment-notes")).to_have_text(
            "Uw e-mailadres wordt niet gepubliceerd. Vereiste velden zijn gemarkeerd met *")
        expect(page.locator(".comment-reply-link").first).to_have_text("Beantwoorden")
        expect(page.locator(".comment-author").first).to_have_text(re.compile(r" schreef:$"))
        fill_form(page, DUTCH_FIELD_LABELS, comment=f"Graag {HOLD_WORD}.", author="   ", email="jan@example.org")
        post_in_place(page, "Reactie plaatsen")
        expect(page.locator("#author-error")).to_have_text("Vul alstublieft de vereiste velden in.")
        fill_form(page, DUTCH_FIELD_LABELS, author="Jan de Vries")
        page.get_by_label("Stuur mij een e-mail bij reacties op mijn reactie.", exact=True).check()
        post_in_place(page, "Reactie plaatsen")
        expect(page.locator(".comment-awaiting-moderation")).to_have_text("Uw reactie is in afwachting van moderatie.")
        expect(page.locator(".comment-notice-confirmation")).to_have_text(
            "Controleer uw inbox: volg de link in onze bevestigingsmail om e-mails over reacties te ontvangen.")
        host.assert_quiet()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation_in_the_embedded_thread(browser, blog, sites, conversation, scheme):
    if not AXE_SCRIPT.exists():
        pytest.skip(NO_AXE)
    # axe is injected as a script of its own, which the demo's CSP would rightly refuse.
    with open_host_tab(browser, blog, sites[0], bypass_csp=True, color_scheme=scheme) as host:
        page = host.page
        thread_loaded(host)
        assert axe_violations(page) == []
        page.get_by_role("link", name="Reply to Alan Turing", exact=True).click()
        fill_form(page, comment="Nameless.", author="   ", email="nobody@example")
        post_in_place(page)
        expect(page.locator("#author-error")).to_be_visible()
        assert axe_violations(page) == []


def test_an_origin_the_blog_does_not_list_gets_no_thread(browser, blog, sites):
    with open_host_tab(browser, blog, sites[1]) as stranger:
        stranger.open()
        expect(stranger.page.locator("#comments")).to_have_text("Comments could not be loaded.")
        expect(stranger.page.locator("li.comment")).to_have_count(0)
        expect(stranger.page.locator("#commentform")).to_have_count(0)
        assert any("blocked by CORS policy" in error for error in stranger.console_errors), stranger.console_errors
        assert stranger.csp_violations == [] and stranger.script_errors == []


def test_our_post_page_posts_the_form_in_the_background_without_a_reload(tab):
    """The form's own answer, with its cookies, in place: after a reload the page is still the poster's
    own (their comment, which no cached copy shows yet, and the box to edit it)."""
    page = tab.page
    tab.goto(POST_PATH)
    page.evaluate("window.notReloaded = true")
    count = shown_count(page)
    text = "On the blog itself, posted without leaving the page."
    fill_form(page, comment=text, author="Paula Page", email="paula@example.org")
    post_in_place(page)
    shown = page.locator("ol.comment-list > li.comment", has_text=text)
    expect(shown.locator(".comment-author")).to_have_text("Paula Page says:")
    expect(page.locator(".comments-title")).to_have_text(f"{count + 1} thoughts on “{TITLE}”")
    assert page.evaluate("window.notReloaded") is True
    assert page.url == f"{tab.server.post_url}#{shown.get_attribute('id')}", "the 303's address, at the comment"
    expect(shown).to_be_focused()
    expect(page.locator(".own-comments")).to_contain_text("You can edit or delete your comment")
    page.reload()
    expect(page.locator("ol.comment-list > li.comment", has_text=text)).to_have_count(1)
    expect(page.locator(".own-comments")).to_contain_text("You can edit or delete your comment")
    tab.assert_quiet()


def test_our_post_page_without_javascript_posts_the_form_as_before(new_tab):
    tab = new_tab(java_script_enabled=False)
    page = tab.page
    tab.goto(POST_PATH)
    text = "Without scripts the form posts and the page comes back."
    fill_form(page, comment=text, author="Nora Noscript", email="nora@example.org")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Post Comment", exact=True).click()
    assert answer.value.status == 303
    assert answer.value.url == tab.server.url + POST_PATH + "comments"
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    expect(page.locator("li.comment", has_text=text)).to_be_visible()
    tab.assert_quiet()
