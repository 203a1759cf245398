"""Accessibility in a real browser: axe-core finds no serious or critical violation, in light and in dark, on
the pages readers and admins use; every form field has a label."""

import contextlib

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import (
    AXE_SCRIPT,
    NO_AXE,
    POST_PATH,
    axe_violations,
    open_tab,
    post_in_place,
    unlabelled_fields,
)

pytestmark = pytest.mark.browser

HOLD_WORD = "hold-for-review"


@pytest.fixture(scope="module")
def blog_settings():
    """Readers' comments appear at once, unless they contain HOLD_WORD: then they wait in the queue."""
    return {"COMMENTS_MODERATION": "none", "COMMENTS_MODERATION_WORDS": [HOLD_WORD]}


@pytest.fixture(scope="module")
def conversation(browser, blog):
    """A short thread under the post (comments, a reply, a link), and two comments waiting in the queue."""
    with open_tab(browser, blog) as poster:
        first = poster.post_comment(author="Ada Lovelace", email="ada@example.org", url="https://ada.example.org/",
                                    comment="A clear account of <em>NMDA</em> receptors. Thank you.")
        poster.post_comment(author="Grace Hopper", email="grace@example.org", parent=str(first),
                            comment="Agreed; the section on glutamate helped me most.")
        poster.post_comment(author="Alan Turing", email="alan@example.org",
                            comment="Is there a review of the research on <b>depression</b>? https://example.org/review")
        for author in ("Spam Bot", "Unsure Reader"):
            poster.post_comment(author=author, email="wait@example.org", comment=f"Please {HOLD_WORD}, {author}.")


@pytest.fixture(scope="module")
def tabs(browser, blog, conversation):
    """Browser contexts kept for the module, one per colour scheme and visitor ("reader", "dutch" or "admin",
    signed in), that let the test inject axe-core: its own script, past the site's CSP."""
    if not AXE_SCRIPT.exists():
        pytest.skip(NO_AXE)
    opened = {}
    with contextlib.ExitStack() as stack:
        def tab_for(scheme, visitor):
            if (scheme, visitor) not in opened:
                locale = "nl-NL" if visitor == "dutch" else "en-US"
                opened[scheme, visitor] = stack.enter_context(
                    open_tab(browser, blog, bypass_csp=True, color_scheme=scheme, locale=locale))
                if visitor == "admin":
                    sign_in(opened[scheme, visitor])
            return opened[scheme, visitor]

        yield tab_for


def sign_in(tab):
    page = tab.page
    tab.goto("/admin/login")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("correct horse battery staple")
    with page.expect_event("load"):
        page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/admin/")


def open_post_with_a_mistake(tab):
    tab.goto(POST_PATH)
    tab.page.get_by_label("Comment *", exact=True).fill("I left my name out.")
    tab.page.get_by_label("Name *", exact=True).fill("   ")
    tab.page.get_by_label("Email *", exact=True).fill("nameless@example.org")
    post_in_place(tab.page)
    expect(tab.page.locator("#author-error")).to_be_visible()


def open_queue(tab):
    tab.goto("/admin/comments")
    expect(tab.page.locator("table.queue tbody tr")).to_have_count(2)


def open_edit_screen(tab):
    tab.goto("/admin/comments?status=approved")
    tab.goto(tab.page.get_by_role("link", name="Edit").first.get_attribute("href"))  # with scripts, it opens in place
    expect(tab.page.get_by_role("button", name="Save")).to_be_visible()


def open_post_with_the_reply_form_moved(tab):
    tab.goto(POST_PATH)
    tab.page.get_by_role("link", name="Reply to Grace Hopper").click()
    expect(tab.page.locator("#reply-title-text")).to_have_text("Leave a Reply to Grace Hopper")


# Who opens each page: a reader, a Dutch reader, or the admin.
PAGES = {
    "home": ("reader", lambda tab: tab.goto("/")),
    "post-with-comments": ("reader", lambda tab: tab.goto(POST_PATH)),
    "post-replying": ("reader", open_post_with_the_reply_form_moved),
    "post-with-an-error": ("reader", open_post_with_a_mistake),
    "post-in-dutch": ("dutch", lambda tab: tab.goto(POST_PATH)),
    "sign-in": ("reader", lambda tab: tab.goto("/admin/login")),
    "moderation-queue": ("admin", open_queue),
    "dashboard": ("admin", lambda tab: tab.goto("/admin/")),
    "edit-screen": ("admin", open_edit_screen),
}


# WCAG 2.5.3 (Label in Name, level A): a link's accessible name holds its visible text, so a person who
# says what they see ("click Beantwoorden") reaches it. Checked on its own below too.
LABEL_IN_NAME = "label-content-name-mismatch"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_violation(tabs, scheme, name):
    """Serious and critical violations of every axe rule, colour contrast in the scheme's colours included."""
    visitor, open_page = PAGES[name]
    tab = tabs(scheme, visitor)
    open_page(tab)
    assert axe_violations(tab.page) == []
    tab.assert_quiet()


def test_dutch_reply_links_are_named_with_their_visible_text(tabs):
    tab = tabs("light", "dutch")
    tab.goto(POST_PATH)
    assert tab.page.locator(".comment-reply-link").first.text_content() == "Beantwoorden"
    assert axe_violations(tab.page, rules=[LABEL_IN_NAME]) == []


def test_every_field_has_a_label(browser, blog, conversation):
    """Every field a person can reach, on every page with a form, has a label (or an ARIA name)."""
    with open_tab(browser, blog) as reader, open_tab(browser, blog) as admin:
        sign_in(admin)
        for name, (visitor, open_page) in PAGES.items():
            tab = admin if visitor == "admin" else reader
            open_page(tab)
            assert unlabelled_fields(tab.page) == [], name
        reader.assert_quiet()
        admin.assert_quiet()
