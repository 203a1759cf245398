"""A commenter's edit from another site once COMMENTS_EDIT_WINDOW_SECONDS is over: the server refuses it
(403) and the embed says so, in a blog whose window is two seconds long."""

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, post_in_place
from tests.browser.second_origin import open_host_tab, serve_demo

pytestmark = pytest.mark.browser

WINDOW_SECONDS = 2


@pytest.fixture(scope="module")
def demo():
    with serve_demo() as site:
        yield site


@pytest.fixture(scope="module")
def blog_settings(demo) -> dict:
    return {"COMMENTS_MODERATION": "none", "COMMENTS_EMBED_ORIGINS": [demo.origin],
            "COMMENTS_EDIT_WINDOW_SECONDS": WINDOW_SECONDS}


def test_an_edit_after_the_window_is_refused(browser, blog, demo, new_tab):
    demo.blog_url = blog.url
    with open_host_tab(browser, blog, demo) as host:
        page = host.page
        host.open()
        text = "Written in haste, to be corrected too late."
        page.get_by_label("Comment *", exact=True).fill(text)
        page.get_by_label("Name *", exact=True).fill("Lena Late")
        page.get_by_label("Email *", exact=True).fill("lena@example.org")
        post_in_place(page)
        mine = page.locator("li.comment", has_text=text)
        mine.get_by_role("button", name="Edit", exact=True).click()
        mine.get_by_label("Edit your comment", exact=True).fill("Corrected, but after the window.")
        page.wait_for_timeout(WINDOW_SECONDS * 1000 + 500)  # the window closes while the reader types
        with page.expect_response(lambda response: "/api/v1/comments/" in response.url) as answer:
            mine.get_by_role("button", name="Save", exact=True).click()
        assert answer.value.status == 403
        alert = mine.get_by_role("alert")
        expect(alert).to_have_text("The time to edit this comment is over.")
        expect(alert).to_be_focused()
        expect(mine.get_by_role("button", name="Save", exact=True)).to_have_count(0)

        reader = new_tab()
        reader.goto(POST_PATH)
        expect(reader.page.get_by_text(text)).to_be_visible()
        expect(reader.page.get_by_text("Corrected, but after the window.")).to_have_count(0)
        host.assert_quiet()
