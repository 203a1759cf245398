"""A reader whose browser asks for English switches the blog to Dutch with the link in the header, and stays
in Dutch from page to page and through posting a comment, with scripts on and off."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, post_in_place

pytestmark = pytest.mark.browser

DUTCH_HELD_NOTICE = "Uw reactie is in afwachting van moderatie."


def switch_to_dutch(tab):
    """Open the post in the browser's English and follow the header's link to Dutch."""
    page = tab.page
    tab.goto(POST_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch = page.get_by_role("navigation", name="Language")
    expect(switch.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    with page.expect_event("load"):
        switch.get_by_role("link", name="Nederlands").click()
    expect(page).to_have_url(re.compile(r"/how-ketamine-works/\?lang=nl$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("navigation", name="Taal").get_by_role("link", name="Nederlands")).to_have_attribute(
        "aria-current", "true")
    expect(page.locator("#reply-title-text")).to_have_text("Laat een reactie achter")


def fill_in_dutch(page, text):
    page.get_by_label("Reactie *", exact=True).fill(text)
    page.get_by_label("Naam *", exact=True).fill("Jan de Vries")
    page.get_by_label("E-mail *", exact=True).fill("jan@example.org")


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_a_reader_switches_to_dutch_and_stays_in_dutch(new_tab, scripts):
    tab = new_tab(locale="en-US", java_script_enabled=scripts)
    page = tab.page
    switch_to_dutch(tab)

    text = f"Duidelijk uitgelegd ({'met' if scripts else 'zonder'} scripts)."
    fill_in_dutch(page, text)
    if scripts:
        post_in_place(page, "Reactie plaatsen")
    else:
        with page.expect_event("load"):
            page.get_by_role("button", name="Reactie plaatsen", exact=True).click()
    held = page.locator("li.comment", has_text=text)
    expect(held.locator(".comment-awaiting-moderation")).to_have_text(DUTCH_HELD_NOTICE)
    expect(page).to_have_url(re.compile(r"\?lang=nl(#.*)?$"))

    page.reload()  # the address the reader is left at is Dutch too
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    with page.expect_event("load"):
        page.get_by_role("link", name="Blog", exact=True).click()
    expect(page).to_have_url(re.compile(r"/\?lang=nl$"))
    expect(page.get_by_role("link", name="Verder lezen")).to_be_visible()
    tab.assert_quiet()
