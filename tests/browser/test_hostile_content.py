"""Hostile comments in a real browser: every hostile input of the comments tests, as text and as name,
stored, approved and shown on one page, in the moderation queue and on the edit screen. No dialog opens,
no payload sets its global flag, the Content-Security-Policy reports nothing, and nothing leaves loopback."""

import re
import unicodedata
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, approved_comment_id, open_tab
from tests.browser.second_origin import open_host_tab, serve_demo
from tests.data.hostile_inputs import HOSTILE_INPUTS

pytestmark = pytest.mark.browser

HOLD_WORD = "hold-for-review"
AUTHOR_MAX = 245
# Payloads that would leave a trace of their own if any of them ran: window.__pwned names which one.
PWNED = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\">",
    "<details open ontoggle=\"window.__pwned = 'details'\">x</details>",
    "<input autofocus onfocus=\"window.__pwned = 'autofocus'\">",
    "\"><script>window.__pwned = 'attribute'</script>",
    "'><img src=x onerror=\"window.__pwned = 'quote'\">",
    "</textarea><script>window.__pwned = 'textarea'</script>",
    "</title><script>window.__pwned = 'title'</script>",
    "</script><script>window.__pwned = 'script-end'</script>",
    "<iframe srcdoc=\"<script>parent.__pwned = 'srcdoc'</script>\"></iframe>",
    "<a href=\"javascript:window.__pwned = 'link'\">click me</a>",
    "<b onmouseover=\"window.__pwned = 'hover'\">hover me</b>",
    "<style>@import '/pwned.css';</style><link rel=stylesheet href=/pwned.css>",
]
PAYLOADS = HOSTILE_INPUTS + PWNED
# Web addresses the form takes (http or https, nothing that leaves an attribute) that still look hostile.
ODD_URLS = [
    "https://example.org/?a=1&b=%3Cb%3E",
    "https://example.org/%22onmouseover=alert(1)",
    "https://example.org/javascript:alert(1)",
    "http://example.org/?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "https://example.org/#%3Cimg%20src=x%20onerror=alert(1)%3E",
]
# Refused by the form, so the page comes back with them in the fields' values.
REFUSED_URLS = ["javascript:alert(1)", "\"><script>alert(1)</script>", "http://\"onmouseover=\"alert(1)"]
# The site refuses C0 controls (tab, line feed and carriage return aside), DEL and lone surrogates in any text.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The first of them are not text at all: the request is refused before any form sees it.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A one-line field such as the name also refuses line breaks, tabs and bidirectional controls.
NOT_IN_ONE_LINE = re.compile("[\t\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The edit screens opened: every payload that would leave a trace, and those that try to end a field's element.
BREAKOUTS = [payload for payload in PAYLOADS if payload in PWNED or re.search(r"</?(textarea|title)", payload, re.I)]


def name_of(payload: str) -> str:
    """The payload as a name: on one line (each line break, tab or bidirectional control a space), cut to the
    longest name the form takes."""
    return NOT_IN_ONE_LINE.sub(" ", payload)[:AUTHOR_MAX]


def as_shown(text: str) -> str:
    """What the DOM holds of a submitted value: trimmed and composed (NFC) by the form, CR and CRLF read as LF."""
    return unicodedata.normalize("NFC", text.strip()).replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture(scope="module")
def demo():
    """A static site on a second origin that embeds the thread (tests.browser.second_origin)."""
    with serve_demo() as site:
        yield site


@pytest.fixture(scope="module")
def blog_settings(demo):
    """Every comment approved at once however many links it holds, all on one page, all in one queue;
    a comment containing HOLD_WORD waits in the pending queue and on the dashboard. The demo site embeds it."""
    return {"COMMENTS_MODERATION": "none", "COMMENTS_MAX_LINKS": 10_000, "COMMENTS_PER_PAGE": 10_000,
            "COMMENTS_ADMIN_PER_PAGE": 10_000, "COMMENTS_MODERATION_WORDS": [HOLD_WORD],
            "COMMENTS_EMBED_ORIGINS": [demo.origin]}


@pytest.fixture(scope="module")
def stored(browser, blog) -> dict[int, str]:
    """Post every payload as a comment's text and, cut to the longest name allowed, as its author's name, with
    an odd web address; then the PWNED payloads once more, held for moderation. {comment id: payload} of the
    approved ones. Inputs the form refuses (control characters) are left out."""
    with open_tab(browser, blog) as poster:
        approved, refused = {}, []
        for index, payload in enumerate(PAYLOADS):
            response = poster.send_comment(author=name_of(payload), email=f"hostile{index}@example.org",
                                           url=ODD_URLS[index % len(ODD_URLS)], comment=payload)
            if response.status == 400:
                refused.append(payload)
                continue
            assert response.status == 303, (response.status, payload)
            number = approved_comment_id(response)
            assert number is not None, f"approved at once: {payload!r}"
            approved[number] = payload
        for payload in PWNED:
            assert poster.post_comment(author=name_of(payload), comment=f"{HOLD_WORD} {payload}") is None
    assert refused and all(CONTROL_CHARACTERS.search(payload) for payload in refused), refused
    return approved


@pytest.fixture(scope="module")
def desk(browser, blog):
    """An admin's browser, signed in."""
    with open_tab(browser, blog) as admin:
        admin.sign_in_over_http()
        yield admin


def assert_nothing_ran(tab):
    """No payload ran: no dialog, no global flag, no CSP report, no script error, no request off loopback."""
    tab.page.wait_for_timeout(200)  # time for an image's error, a frame's load or a toggle event to fire
    assert tab.page.evaluate("window.__pwned") is None, tab.page.evaluate("window.__pwned")
    tab.assert_quiet()


def assert_shown_inert(page, stored):
    """Every stored comment is on the page, its name as text in one element, nothing active in its text."""
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("li.comment")].map(
        (item) => [item.id.replace("comment-", ""), {
            author: item.querySelector(".comment-author .fn, .comment-author .url").textContent,
            authorMarkup: item.querySelector(".comment-author").querySelectorAll("*").length,
            active: item.querySelector(".comment-content").querySelectorAll(
                "script, iframe, img, svg, math, style, link, object, embed, form, input, details, base, meta").length,
            handlers: [...item.querySelectorAll("*")].flatMap((element) => [...element.attributes])
                .filter((attribute) => attribute.name.startsWith("on")).length,
        }]))""")
    assert sorted(map(int, shown)) == sorted(stored), "every comment on the one page"
    for number, payload in stored.items():
        on_page = shown[str(number)]
        assert on_page["active"] == 0 and on_page["handlers"] == 0, payload
        assert on_page["author"] == as_shown(name_of(payload)), payload
        assert on_page["authorMarkup"] == 1, f"the name {name_of(payload)!r} is text in one element"


def test_every_hostile_comment_is_shown_inert_on_one_page(tab, stored):
    page = tab.page
    tab.goto(POST_PATH)
    assert_shown_inert(page, stored)
    assert page.locator("script").count() == 4, "the page's own reply.js, form-stamp.js, embed.js and JSON-LD only"
    assert_nothing_ran(tab)


def test_every_hostile_comment_is_shown_inert_on_another_site(browser, blog, demo, stored):
    """embed.js builds the same thread from the API's JSON, on a page under a strict CSP."""
    demo.blog_url = blog.url
    with open_host_tab(browser, blog, demo) as host:
        host.open()
        expect(host.page.locator("#commentform")).to_be_visible()
        assert_shown_inert(host.page, stored)
        assert_nothing_ran(host)


def test_reply_titles_show_hostile_names_as_text(tab, stored):
    """reply.js writes "Leave a Reply to <name>" with the name from the page, as text."""
    page = tab.page
    tab.goto(POST_PATH)
    titles = page.evaluate("""() => [...document.querySelectorAll(".comment-reply-link")].map((link) => {
        link.click();
        const title = document.getElementById("reply-title-text");
        return [link.dataset.commentId, title.textContent, title.children.length];
    })""")
    by_id = {int(number): (text, children) for number, text, children in titles}
    for number, payload in stored.items():
        assert by_id[number] == ("Leave a Reply to " + as_shown(name_of(payload)), 0), payload
    assert_nothing_ran(tab)


def test_reply_pages_without_javascript_show_hostile_names_as_text(new_tab, stored):
    tab = new_tab(java_script_enabled=False)
    for number, payload in stored.items():
        if payload in PWNED and payload.startswith(("</", '"', "'")):
            tab.goto(f"{POST_PATH}?replytocom={number}")
            title = tab.page.locator("#reply-title-text")
            assert title.text_content() == "Leave a Reply to " + as_shown(name_of(payload)), payload
            assert title.evaluate("node => node.children.length") == 0, payload
    tab.assert_quiet()


def test_refused_input_comes_back_inert_in_the_fields(new_tab):
    """The form page with its errors echoes what was typed into the fields' values: all of it stays text.
    Scripts are off, as for the readers who get that page (with scripts, embed.js keeps the fields as typed)."""
    tab = new_tab(java_script_enabled=False)
    page = tab.page
    # A request holding what is not text at all gets an error page of its own, without the form.
    everything = "\n".join(payload for payload in PAYLOADS if not NOT_TEXT.search(payload))
    for url in REFUSED_URLS:
        tab.goto(POST_PATH)
        page.evaluate("""([text, url]) => {
            document.getElementById("commentform").noValidate = true;
            document.getElementById("comment").value = text;
            document.getElementById("author").value = text;  // far too long: refused, and shown again
            document.getElementById("url").value = url;
        }""", [everything, url])
        with page.expect_event("load"):
            page.get_by_role("button", name="Post Comment").click()
        expect(page.locator("#url-error")).to_be_visible()
        expect(page.locator("#author-error")).to_have_text("Your name is too long.")
        assert page.locator("#comment").input_value() == as_shown(everything)
        # A one-line field drops line breaks from what is typed into it, so its value was sent without them.
        assert page.locator("#author").get_attribute("value") == as_shown(re.sub("[\r\n]", "", everything))
        assert page.locator("#url").input_value() == url
    assert_nothing_ran(tab)


def test_the_moderation_queue_shows_every_hostile_comment_inert(desk, stored):
    page = desk.page
    desk.goto("/admin/comments?status=approved")
    expect(page.locator("table.queue tbody tr")).to_have_count(len(stored))
    rows = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("table.queue tbody tr")].map(
        (row) => [row.id.replace("queue-comment-", ""), {
            author: row.querySelector(".queue-author strong").textContent,
            authorMarkup: row.querySelector(".queue-author strong").children.length,
            active: row.querySelector(".comment-content").querySelectorAll(
                "script, iframe, img, svg, math, style, link, object, embed, form, input, details, base, meta").length,
        }]))""")
    for number, payload in stored.items():
        assert rows[str(number)] == {"author": as_shown(name_of(payload)), "authorMarkup": 0, "active": 0}, payload
    desk.goto("/admin/comments?status=pending")
    expect(page.locator("table.queue tbody tr")).to_have_count(len(PWNED))
    desk.goto("/admin/")
    expect(page.locator(".newest-pending li").first).to_be_visible()
    for payload in PWNED:
        desk.goto("/admin/comments?" + urlencode({"status": "approved", "q": payload}))
        expect(page.locator("#q")).to_have_value(payload)
    assert_nothing_ran(desk)


def test_the_edit_screen_shows_hostile_comments_inert(desk, stored):
    """The edit screen: the name in its field's value and the text in its textarea, as typed (the value
    attribute, since a browser drops line breaks from a one-line field's live value)."""
    page = desk.page
    for number, payload in stored.items():
        if payload in BREAKOUTS:
            desk.goto(f"/admin/comments/{number}/edit")
            assert page.locator("#author").get_attribute("value") == as_shown(name_of(payload)), payload
            assert page.locator("#comment").input_value() == as_shown(payload), payload
    assert_nothing_ran(desk)
