"""The moderation desk in a real browser: select-all for the bulk form, the message and Undo of an action,
Edit and Reply opened in the comment's row with JavaScript and as pages of their own without it; and axe on
every page of the desk, light and dark."""

import contextlib
import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import AXE_SCRIPT, NO_AXE, axe_violations, open_tab, unlabelled_fields

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def blog_settings():
    """Every reader's comment waits in the queue."""
    return {"COMMENTS_MODERATION": "all"}


def held_comments(tab, *texts) -> list[int]:
    """Post comments that wait in the queue; their ids, newest first as the queue lists them."""
    for text in texts:
        assert tab.post_comment(author="Ada Lovelace", email="ada@example.org", comment=text) is None
    tab.sign_in_over_http()
    return [tab.queue_ids(text)[0] for text in reversed(texts)]


def held_row(tab, text):
    """Post one comment that waits, open the queue on it: its id and its row."""
    [number] = held_comments(tab, text)
    tab.goto("/admin/comments?" + urlencode({"q": text}))
    return number, tab.page.locator(f"#queue-comment-{number}")


def rows(page):
    return page.locator("table.queue tbody tr")


def test_select_all_ticks_every_comment_and_undo_brings_them_back(tab):
    page = tab.page
    ids = held_comments(tab, "Select me one.", "Select me two.", "Select me three.")
    tab.goto("/admin/comments?q=Select+me")
    expect(rows(page)).to_have_count(3)
    select_all = page.get_by_label("Select every comment on this page")
    select_all.check()
    for number in ids:
        expect(page.locator(f"#select-{number}")).to_be_checked()
    page.locator(f"#select-{ids[1]}").uncheck()
    assert select_all.evaluate("box => box.indeterminate") is True
    select_all.check()
    page.get_by_label("With the ticked comments:").select_option("spam")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page.locator(".desk-message")).to_have_text(re.compile(r"3 comments marked as spam\.\s*Undo"))
    assert tab.queue_ids("Select me") == []
    with page.expect_navigation():
        page.get_by_role("button", name="Undo").click()
    expect(page.locator(".desk-message")).to_have_text("Undone: 3 comments are back where they were.")
    assert tab.queue_ids("Select me") == ids
    tab.assert_quiet()


def test_edit_opens_in_the_row_and_saves(tab):
    page = tab.page
    number, row = held_row(tab, "I mispelled a word.")
    row.get_by_role("link", name="Edit").click()
    text = row.get_by_label("Comment", exact=True)
    expect(text).to_be_focused()
    assert page.url.endswith("/admin/comments?q=I+mispelled+a+word."), "the form opens in place"
    expect(text).to_have_value("I mispelled a word.")
    text.fill("I misspelled a word.")
    with page.expect_navigation():
        row.get_by_role("button", name="Save").click()
    expect(page.locator(".desk-message")).to_have_text("Comment saved.")
    assert tab.queue_ids("misspelled") == [number]
    tab.assert_quiet()


def test_inline_edit_can_be_cancelled(tab):
    _, row = held_row(tab, "Leave me be.")
    edit = row.get_by_role("link", name="Edit")
    edit.click()
    expect(row.locator(".queue-inline")).to_be_visible()
    row.get_by_role("button", name="Cancel").click()
    expect(row.locator(".queue-inline")).to_be_hidden()
    expect(edit).to_be_focused()
    tab.assert_quiet()


def test_reply_opens_in_the_row_and_posts_as_the_site(tab):
    page = tab.page
    _, row = held_row(tab, "Does this need an answer?")
    row.get_by_role("link", name="Approve and reply").click()
    answer = row.get_by_label("Your reply")
    expect(answer).to_be_focused()
    answer.fill("Yes, and here it is.")
    with page.expect_navigation():
        row.get_by_role("button", name="Approve and reply").click()
    expect(page.locator(".desk-message")).to_have_text("Reply posted, and the comment it answers approved.")
    tab.goto("/admin/comments?status=approved&q=here+it+is")
    reply = rows(page).first
    expect(reply.locator(".badge")).to_have_text("Site")
    expect(reply.locator(".queue-parent")).to_contain_text("In reply to Ada Lovelace: Does this need an answer?")
    tab.assert_quiet()


def test_without_javascript_edit_and_reply_are_pages(browser, blog):
    with open_tab(browser, blog, java_script_enabled=False) as tab:
        page = tab.page
        number, row = held_row(tab, "Answer me without scripts.")
        expect(page.get_by_label("Select every comment on this page")).to_be_hidden()
        with page.expect_navigation():
            row.get_by_role("link", name="Approve and reply").click()
        assert f"/admin/comments/{number}/reply" in page.url
        expect(page.locator(".queue-answered")).to_contain_text("Answer me without scripts.")
        page.get_by_label("Your reply").fill("Answered on a page of its own.")
        with page.expect_navigation():
            page.get_by_role("button", name="Approve and reply").click()
        expect(page.locator(".desk-message")).to_have_text("Reply posted, and the comment it answers approved.")
        assert page.url.endswith("/admin/comments?q=Answer+me+without+scripts.")


# --- axe on every page of the desk ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def admin_tabs(browser, blog):
    """A signed-in admin per colour scheme, that lets the test inject axe-core past the site's CSP; a few
    comments waiting, one of them a reply."""
    if not AXE_SCRIPT.exists():
        pytest.skip(NO_AXE)
    with contextlib.ExitStack() as stack:
        tabs = {scheme: stack.enter_context(open_tab(browser, blog, bypass_csp=True, color_scheme=scheme))
                for scheme in ("light", "dark")}
        held_comments(tabs["light"], "Axe looks at me.", "And at me, at https://example.org/a/very/long/address")
        tabs["dark"].sign_in_over_http()  # the light one signed in to find the comments
        yield tabs


def queue_after_an_action(tab):
    """Approve the comment, or unapprove it when the other scheme's run approved it."""
    tab.goto("/admin/comments?status=all&q=Axe+looks")
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name=re.compile("^(Approve|Unapprove)$")).first.click()
    expect(tab.page.get_by_role("button", name="Undo")).to_be_visible()


def queue_with_forms_open(tab):
    tab.goto("/admin/comments?status=all")
    row = rows(tab.page).first
    row.get_by_role("link", name="Edit").click()
    expect(row.get_by_label("Comment", exact=True)).to_be_visible()
    rows(tab.page).nth(1).get_by_role("link", name=re.compile("reply", re.IGNORECASE)).click()
    expect(rows(tab.page).nth(1).get_by_label("Your reply")).to_be_visible()
    tab.page.locator("details.queue-origin summary").first.click()


def reply_page(tab):
    tab.goto("/admin/comments")
    tab.goto(tab.page.get_by_role("link", name="Approve and reply").first.get_attribute("href"))


def post_saved(tab):
    tab.goto("/admin/posts")
    tab.goto(tab.page.get_by_role("link", name="How Ketamine Works", exact=False).first.get_attribute("href"))
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name="Save").click()
    expect(tab.page.get_by_role("link", name="View post")).to_be_visible()


DESK_PAGES = {
    "queue-after-an-action": queue_after_an_action,
    "queue-all-with-forms-open": queue_with_forms_open,
    "queue-filtered-by-author": lambda tab: tab.goto("/admin/comments?author=ada%40example.org&status=all"),
    "reply-page": reply_page,
    "dashboard": lambda tab: tab.goto("/admin/"),
    "posts": lambda tab: tab.goto("/admin/posts"),
    "post-saved": post_saved,
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", DESK_PAGES)
def test_axe_finds_no_serious_violation_on_the_desk(admin_tabs, scheme, name):
    tab = admin_tabs[scheme]
    DESK_PAGES[name](tab)
    assert axe_violations(tab.page) == []
    if name.startswith(("queue", "reply")):
        assert unlabelled_fields(tab.page) == []
    tab.assert_quiet()


def test_long_addresses_and_browsers_wrap_in_the_author_column(tab):
    tab.post_comment(author="Alan Turing", email="alan.mathison.turing.at.kings.college@cambridge.example.ac.uk",
                     url="https://example.org/" + "a-rather-long-path-segment/" * 4, comment="Wrap my addresses.")
    tab.sign_in_over_http()
    tab.goto("/admin/comments?q=Wrap+my+addresses")
    tab.page.locator("details.queue-origin summary").first.click()
    sticking_out = tab.page.evaluate("""() => [...document.querySelectorAll(".queue-author")]
        .filter((cell) => cell.scrollWidth > cell.clientWidth).length""")
    assert sticking_out == 0
    assert tab.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
