"""What a reader and an admin do in a real browser: post, reply (with and without JavaScript), get a
mistake explained, use only the keyboard, moderate, and all of it in Dutch (DESIGN.md sections 5, 6, 12).
With scripts on, the form posts through the API and its answer appears without a reload (embed.js)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import HELD_NOTICE, POST_PATH, assert_errors_beside_fields, open_tab, post_in_place

pytestmark = pytest.mark.browser

FIELD_LABELS = {"comment": "Comment *", "author": "Name *", "email": "Email *", "url": "Website"}
DUTCH_FIELD_LABELS = {"comment": "Reactie *", "author": "Naam *", "email": "E-mail *", "url": "Site"}


def fill_form(page, labels=FIELD_LABELS, **values):
    """Type into the comment form's fields, found by their labels as a person finds them."""
    for field, value in values.items():
        page.get_by_label(labels[field], exact=True).fill(value)


def submit(page, name="Post Comment"):
    """Press the form's button and wait for the page that answers."""
    with page.expect_event("load"):
        page.get_by_role("button", name=name, exact=True).click()


def active_element_id(page) -> str:
    """The id of the element that has the focus, once the page has placed it."""
    page.wait_for_function("document.activeElement && document.activeElement !== document.body", timeout=3000)
    return page.evaluate("document.activeElement.id")


def respond_placement(page) -> dict:
    """Where the "Leave a Reply" box stands: the comment it sits in, and the element that holds it."""
    return page.evaluate("""() => {
        const respond = document.getElementById("respond");
        const comment = respond.parentElement.closest("li.comment");
        return {comment: comment ? comment.id : null, parent: respond.parentElement.id};
    }""")


@pytest.fixture(scope="module")
def approved(browser, blog) -> int:
    """An approved comment by Grace Hopper to reply to: a first-time author's comment, held, then approved."""
    with open_tab(browser, blog) as desk:
        desk.post_comment(author="Grace Hopper", email="grace@example.org",
                          comment="How long does the NMDA blockade last after a single dose?")
        desk.sign_in_over_http()
        [number] = desk.queue_ids("How long does the NMDA blockade last")
        desk.admin_post(f"/admin/comments/{number}/approve")
    return number


def test_a_reader_posts_a_comment_and_lands_on_its_held_notice(tab, new_tab):
    page = tab.page
    tab.goto(POST_PATH)
    text = "Does the effect on NMDA receptors explain the dissociation?"
    fill_form(page, comment=text, author="Ann Reader", email="ann@example.org", url="https://ann.example.org/")
    post_in_place(page)

    held = page.locator("li.comment", has_text=text)
    assert page.url == f"{tab.server.post_url}#{held.get_attribute('id')}", "the address a reload lands at again"
    expect(held).to_be_focused()
    expect(held).to_have_class(re.compile(r"\bcomment-held\b"))
    expect(held.locator(".comment-awaiting-moderation")).to_have_text(HELD_NOTICE)
    expect(held.locator(".comment-author")).to_have_text("Ann Reader says:")
    expect(held.get_by_role("link", name="Ann Reader")).to_have_attribute("href", "https://ann.example.org/")

    stranger = new_tab()
    stranger.goto(POST_PATH)
    expect(stranger.page.get_by_text(text)).to_have_count(0)
    tab.assert_quiet()
    stranger.assert_quiet()


def test_reply_with_javascript_moves_the_form_and_cancel_puts_it_back(tab, approved):
    page = tab.page
    tab.goto(POST_PATH)
    home = respond_placement(page)
    assert home["comment"] is None, "the form starts below the comments, in none of them"

    page.get_by_role("link", name="Reply to Grace Hopper", exact=True).click()
    assert respond_placement(page) == {"comment": f"comment-{approved}", "parent": f"comment-{approved}"}
    assert page.evaluate("document.getElementById('respond').previousElementSibling.id") == f"div-comment-{approved}"
    expect(page.locator("#comment_parent")).to_have_value(str(approved))
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply to Grace Hopper")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_visible()
    assert page.url == tab.server.post_url, "the script moves the form; the page is not reloaded"
    assert active_element_id(page) == "comment"

    page.get_by_role("link", name="Cancel reply").click()
    assert respond_placement(page) == home
    expect(page.locator("#comment_parent")).to_have_value("0")
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()

    page.get_by_role("link", name="Reply to Grace Hopper", exact=True).click()
    text = "About eight hours for the mood effects, if I remember the paper."
    fill_form(page, comment=text, author="Alan Turing", email="alan@example.org")
    post_in_place(page)
    reply = page.locator(f"#comment-{approved} > ol.children > li.comment", has_text=text)
    expect(reply.locator(".comment-awaiting-moderation")).to_have_text(HELD_NOTICE)
    tab.assert_quiet()


def test_reply_without_javascript_goes_through_replytocom(new_tab, approved):
    tab = new_tab(java_script_enabled=False)
    page = tab.page
    tab.goto(POST_PATH)
    reply_page = re.compile(re.escape(tab.server.post_url) + rf"\?replytocom={approved}#respond$")

    page.get_by_role("link", name="Reply to Grace Hopper", exact=True).click()
    page.wait_for_url(reply_page)
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply to Grace Hopper")
    expect(page.locator("#comment_parent")).to_have_value(str(approved))

    page.get_by_role("link", name="Cancel reply").click()
    page.wait_for_url(tab.server.post_url + "#respond")
    expect(page.locator("#reply-title-text")).to_have_text("Leave a Reply")
    expect(page.locator("#comment_parent")).to_have_value("0")
    expect(page.get_by_role("link", name="Cancel reply")).to_be_hidden()

    page.get_by_role("link", name="Reply to Grace Hopper", exact=True).click()
    page.wait_for_url(reply_page)
    text = "Without scripts the reply still lands under Grace's comment."
    fill_form(page, comment=text, author="Edsger Dijkstra", email="edsger@example.org")
    submit(page)
    reply = page.locator(f"#comment-{approved} > ol.children > li.comment", has_text=text)
    assert page.url == f"{tab.server.post_url}#{reply.get_attribute('id')}"
    expect(reply).to_be_focused()
    expect(reply.locator(".comment-awaiting-moderation")).to_have_text(HELD_NOTICE)
    tab.assert_quiet()


def test_an_empty_name_is_caught_by_the_browser_with_the_focus_on_it(tab):
    page = tab.page
    tab.goto(POST_PATH)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    fill_form(page, comment="I forgot my name.", email="nameless@example.org")
    page.get_by_role("button", name="Post Comment").click()
    page.wait_for_timeout(300)

    assert posts == [], "the required field stops the form in the browser"
    assert active_element_id(page) == "author"
    assert page.evaluate("document.getElementById('author').validity.valueMissing")
    tab.assert_quiet()


REQUIRED = "Please fill the required fields."
BAD_EMAIL = "Please enter a valid email address."
BAD_URL = "Please enter a web address that starts with http:// or https://."


@pytest.mark.parametrize("author, email, url, errors", [
    ("   ", "ben@example.org", "", {"author": REQUIRED}),
    ("Ben Reader", "ben@example", "", {"email": BAD_EMAIL}),
    ("Ben Reader", "ben@example.org", "ftp://example.org/", {"url": BAD_URL}),
    ("   ", "ben@example", "", {"author": REQUIRED, "email": BAD_EMAIL}),
], ids=["blank-name", "bad-email", "ftp-url", "two-mistakes"])
def test_a_mistake_is_explained_beside_its_field_with_the_focus_on_the_first(tab, author, email, url, errors):
    """Mistakes the browser lets through (a name of spaces, an address without a dot in its domain, an
    ftp link): each message appears beside its field, the input kept, the focus placed."""
    page = tab.page
    tab.goto(POST_PATH)
    text = f"A comment with a mistake in {', '.join(errors)}."
    fill_form(page, comment=text, author=author, email=email, url=url)
    post_in_place(page)

    assert_errors_beside_fields(page, errors)
    assert page.locator(".field-error").count() == len(errors)
    first = next(iter(errors))
    assert active_element_id(page) == first
    expect(page.locator(f"#{first}-error")).to_be_in_viewport()
    expect(page.locator("#comment")).to_have_value(text)
    expect(page.locator("#email")).to_have_value(email)
    tab.assert_quiet()


def test_a_reader_fills_the_whole_form_by_keyboard_only(tab):
    page = tab.page
    tab.goto(POST_PATH)
    reached = []
    for _ in range(100):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
        if reached[-1] == "comment":
            break
    assert reached[-1] == "comment", f"Tab never reached the comment field: {reached}"

    def focused_and_visible(expected):
        focus = page.evaluate("""() => ({id: document.activeElement.id,
            outline: getComputedStyle(document.activeElement).outlineStyle})""")
        assert focus == {"id": expected, "outline": "solid"}, "each field shows where the focus is"

    text = "Typed without a mouse: thank you for the clear article."
    focused_and_visible("comment")
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    focused_and_visible("comment-preview-button")  # beside the field it previews (embed.js)
    for field, value in (("author", "Kay Board"), ("email", "kay@example.org"), ("url", "https://kay.example.org/")):
        page.keyboard.press("Tab")
        focused_and_visible(field)
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    focused_and_visible("remember")
    page.keyboard.press("Space")
    assert page.locator("#remember").is_checked()
    page.keyboard.press("Tab")
    focused_and_visible("notify")  # reply notices stay off unless ticked
    page.keyboard.press("Tab")
    focused_and_visible("submit")
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("#commentform")).not_to_have_attribute("aria-busy", "true")

    held = page.locator("li.comment", has_text=text)
    expect(held.locator(".comment-awaiting-moderation")).to_have_text(HELD_NOTICE)
    expect(held.get_by_role("link", name="Kay Board")).to_be_visible()
    expect(held).to_be_focused()
    page.reload()  # sent in the background, the form's answer still set the cookie that remembers Kay
    expect(page.locator("#author")).to_have_value("Kay Board")
    expect(page.locator("#url")).to_have_value("https://kay.example.org/")
    tab.assert_quiet()


def test_an_admin_approves_a_held_comment_and_the_reader_sees_it(tab, new_tab):
    reader = tab.page
    tab.goto(POST_PATH)
    text = "Please approve me: a question about glutamate."
    fill_form(reader, comment=text, author="Rita Reader", email="rita@example.org")
    post_in_place(reader)
    expect(reader.locator("li.comment", has_text=text).locator(".comment-awaiting-moderation")).to_be_visible()

    desk = new_tab()
    admin = desk.page
    desk.goto("/admin/login")
    admin.get_by_label("Username").fill("boss")
    admin.get_by_label("Password").fill("correct horse battery staple")
    submit(admin, "Sign in")
    assert admin.url == desk.server.url + "/admin/"
    admin.get_by_role("navigation", name="Administration").get_by_role("link", name="Comments").click()
    row = admin.locator("table.queue tr", has_text=text)
    expect(row).to_contain_text("rita@example.org")
    with admin.expect_event("load"):
        row.get_by_role("button", name="Approve", exact=True).click()
    expect(admin.locator("table.queue tr", has_text=text)).to_have_count(0)

    with reader.expect_event("load"):
        reader.reload()
    shown = reader.locator("li.comment", has_text=text)
    expect(shown).to_be_visible()
    expect(shown).not_to_have_class(re.compile(r"\bcomment-held\b"))
    expect(shown.locator(".comment-awaiting-moderation")).to_have_count(0)

    stranger = new_tab()
    stranger.goto(POST_PATH)
    expect(stranger.page.locator("li.comment", has_text=text)).to_be_visible()
    for each in (tab, desk, stranger):
        each.assert_quiet()


def test_the_dutch_interface_end_to_end(new_tab, approved):
    tab = new_tab(locale="nl-NL")
    page = tab.page
    tab.goto(POST_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#reply-title-text")).to_have_text("Laat een reactie achter")
    expect(page.locator(".comment-notes")).to_have_text(
        "Uw e-mailadres wordt niet gepubliceerd. Vereiste velden zijn gemarkeerd met *")
    expect(page.get_by_role("button", name="Reactie plaatsen", exact=True)).to_be_visible()
    expect(page.get_by_label("Mijn naam, e-mail en site in deze browser opslaan voor de volgende keer wanneer ik "
                             "een reactie plaats.")).to_be_visible()

    reply = page.locator(f"#div-comment-{approved} .comment-reply-link")
    expect(reply).to_have_text("Beantwoorden")
    reply.click()
    expect(page.locator("#reply-title-text")).to_have_text("Laat een reactie achter op Grace Hopper")
    page.get_by_role("link", name="Reactie annuleren").click()
    expect(page.locator("#reply-title-text")).to_have_text("Laat een reactie achter")

    text = "Een heldere uitleg, dank u wel."
    fill_form(page, DUTCH_FIELD_LABELS, comment=text, author="   ", email="jan@example.org")
    post_in_place(page, "Reactie plaatsen")
    expect(page.locator("#author-error")).to_have_text("Vul alstublieft de vereiste velden in.")
    assert active_element_id(page) == "author"

    fill_form(page, DUTCH_FIELD_LABELS, author="Jan de Vries")
    post_in_place(page, "Reactie plaatsen")
    held = page.locator("li.comment", has_text=text)
    expect(held.locator(".comment-awaiting-moderation")).to_have_text("Uw reactie is in afwachting van moderatie.")
    expect(held.locator(".comment-author")).to_have_text("Jan de Vries schreef:")
    tab.assert_quiet()
