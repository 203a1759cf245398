"""The admin's small forms look like the rest of the admin (issue 17): the sign-in page, the edit-comment page,
the privacy tools with their erase confirmation, and the page of a mail's one-click moderation link; at 360
and 1280 px, in light and dark, with their errors shown: no native control (every field, button, label and
message in the admin's CSS), nothing wider than the screen, and axe finds no serious violation."""

import contextlib
import re

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    AXE_SCRIPT,
    NO_AXE,
    axe_violations,
    horizontal_overflow,
    open_tab,
    unlabelled_fields,
)
from tests.mail import Mailbox

pytestmark = pytest.mark.browser

MODERATOR = "mod@example.org"
COMMENTER = "held@example.org"
PHONE, DESKTOP = 360, 1280

# What every visible control, label and message of the page's main part shows of its style: whatever
# looks as the browser draws it unstyled (its own font, grey or inset buttons, square inset fields, labels
# in body weight, errors in the text's colour) is listed.
NATIVE_LOOKS = """() => {
    const main = document.querySelector("main");
    const bodyFont = getComputedStyle(document.body).fontFamily;
    const textColor = getComputedStyle(document.body).color;
    const isVisible = (element) => element.getClientRects().length > 0 && element.type !== "hidden";
    const problems = [];
    const name = (element) => element.outerHTML.slice(0, 80);
    for (const control of main.querySelectorAll("input, button, textarea, select, a.button")) {
        if (!isVisible(control)) continue;
        const style = getComputedStyle(control);
        if (style.fontFamily !== bodyFont) problems.push(`native font: ${name(control)}`);
        if (parseFloat(style.fontSize) < 15) problems.push(`small native text: ${name(control)}`);
        if (parseFloat(style.borderTopLeftRadius) === 0) problems.push(`square corners: ${name(control)}`);
        if (["inset", "outset"].includes(style.borderTopStyle)) problems.push(`native border: ${name(control)}`);
        if (["rgb(239, 239, 239)", "rgb(107, 107, 107)"].includes(style.backgroundColor)) {
            problems.push(`native background: ${name(control)}`);
        }
        if (parseFloat(style.paddingLeft) < 6) problems.push(`no padding: ${name(control)}`);
    }
    for (const label of main.querySelectorAll("label")) {
        const style = getComputedStyle(label);
        if (style.display !== "block" || parseInt(style.fontWeight) < 600) problems.push(`plain label: ${name(label)}`);
    }
    for (const error of main.querySelectorAll(".field-error, .form-error")) {
        const style = getComputedStyle(error);
        if (style.color === textColor || parseInt(style.fontWeight) < 600) problems.push(`plain error: ${name(error)}`);
    }
    return problems;
}"""


@pytest.fixture(scope="module")
def moderators_mailbox():
    """Where the held comment's mail goes, with its one-click links."""
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def blog_settings(moderators_mailbox):
    return {"COMMENTS_NOTIFY": {MODERATOR: ADMIN_NAME}, "MAIL_SERVER": moderators_mailbox.host,
            "MAIL_PORT": moderators_mailbox.port}


@pytest.fixture(scope="module")
def mailed_links(browser, blog, moderators_mailbox) -> dict[str, str]:
    """A reader's first comment, held and mailed to the moderator: the paths of the mail's links by action."""
    with open_tab(browser, blog) as poster:
        assert poster.post_comment(author="Held Reader", email=COMMENTER, comment="My first comment here.") is None
    [message] = moderators_mailbox.wait_for(1)
    found = re.findall(r"^(Approve it|Mark it as spam|Move it to the trash): (\S+)", message.get_content(), re.M)
    return dict(zip(("approve", "spam", "trash"), (path for _, path in found), strict=True))


@pytest.fixture(scope="module")
def tabs(browser, blog, mailed_links):
    """Tabs kept for the module, one per width, colour scheme and visitor ("admin" signed in, or "stranger"),
    that let the test inject axe-core past the site's CSP."""
    if not AXE_SCRIPT.exists():
        pytest.skip(NO_AXE)
    opened = {}
    with contextlib.ExitStack() as stack:
        def tab_for(width, scheme, visitor):
            if (width, scheme, visitor) not in opened:
                tab = opened[width, scheme, visitor] = stack.enter_context(open_tab(
                    browser, blog, bypass_csp=True, color_scheme=scheme, viewport={"width": width, "height": 900}))
                if visitor == "admin":
                    tab.sign_in_over_http()
            return opened[width, scheme, visitor]

        yield tab_for


def press(page, name):
    with page.expect_event("load"):
        page.get_by_role("button", name=name, exact=True).click()


def sign_in_wrongly(tab, links):
    tab.goto("/admin/login")
    tab.page.get_by_label("Username").fill(ADMIN_NAME)
    tab.page.get_by_label("Password").fill("not " + ADMIN_PASSWORD)
    press(tab.page, "Sign in")
    expect(tab.page.locator("#password-error")).to_be_visible()


def open_edit_page(tab, links):
    tab.goto("/admin/comments?status=pending")
    tab.goto(tab.page.get_by_role("link", name="Edit").first.get_attribute("href"))  # with scripts, it opens in place
    expect(tab.page.get_by_role("button", name="Save")).to_be_visible()


def edit_without_a_name(tab, links):
    open_edit_page(tab, links)
    tab.page.get_by_label("Name").fill(" ")
    press(tab.page, "Save")
    expect(tab.page.locator("#author-error")).to_be_visible()


def privacy_with_a_bad_address(tab, links):
    tab.goto("/admin/comments/privacy")
    tab.page.get_by_label("Email").fill("someone@localhost")
    press(tab.page, "Export as JSON")
    expect(tab.page.locator("#email-error")).to_be_visible()


def erase_confirmation(tab, links):
    tab.goto("/admin/comments/privacy")
    tab.page.get_by_label("Email").fill(COMMENTER)
    press(tab.page, "Erase (anonymize) their comments")
    expect(tab.page.get_by_role("button", name="Yes, erase")).to_be_visible()


# Who opens each page (the admin signed in, or a stranger: nobody signed in), and how.
PAGES = {
    "sign-in": ("stranger", lambda tab, links: tab.goto("/admin/login")),
    "sign-in-with-an-error": ("stranger", sign_in_wrongly),
    "edit-comment": ("admin", open_edit_page),
    "edit-comment-with-an-error": ("admin", edit_without_a_name),
    "privacy": ("admin", lambda tab, links: tab.goto("/admin/comments/privacy")),
    "privacy-with-an-error": ("admin", privacy_with_a_bad_address),
    "privacy-erase-confirmation": ("admin", erase_confirmation),
    "mail-link-approve": ("stranger", lambda tab, links: tab.goto(links["approve"])),
    "mail-link-spam": ("admin", lambda tab, links: tab.goto(links["spam"])),
}


@pytest.mark.parametrize(("width", "scheme"), [(PHONE, "light"), (DESKTOP, "light"), (PHONE, "dark"),
                                               (DESKTOP, "dark")])
@pytest.mark.parametrize("name", PAGES)
def test_the_admins_forms_are_styled_fit_the_screen_and_pass_axe(tabs, mailed_links, name, width, scheme):
    visitor, open_page = PAGES[name]
    tab = tabs(width, scheme, visitor)
    open_page(tab, mailed_links)

    assert tab.page.evaluate(NATIVE_LOOKS) == []
    assert horizontal_overflow(tab.page) == 0
    assert unlabelled_fields(tab.page) == []
    assert axe_violations(tab.page) == []
    tab.assert_quiet()


def test_signed_out_pages_show_no_admin_navigation(tabs, mailed_links):
    tab = tabs(DESKTOP, "light", "stranger")
    for path in ("/admin/login", mailed_links["trash"]):
        tab.goto(path)
        expect(tab.page.locator(".admin-nav")).to_have_count(0)
        expect(tab.page.locator("link[href*='admin']")).to_have_count(1)
