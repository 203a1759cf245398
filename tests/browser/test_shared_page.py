"""The shared post page in a real browser (blog.comments.page_cache): Chromium keeps it (public,
max-age 60), yet a reader who posts without scripts lands on a page with their comment; and
form-stamp.js gives the form a stamp of the moment the reader starts on it, so a person is never asked
to send it twice."""

import re

import pytest

from tests.browser.browsing import POST_PATH, post_in_place

pytestmark = pytest.mark.browser

SEND_AGAIN = "Please check your comment and send it again."


@pytest.fixture(scope="module")
def blog_settings() -> dict:
    # Approved at once (the poster must find it on the page), and the trap as it is deployed.
    return {"COMMENTS_MODERATION": "none", "COMMENTS_MIN_FILL_SECONDS": 3}


def fill(page, text):
    page.get_by_label("Comment *", exact=True).fill(text)
    page.get_by_label("Name *", exact=True).fill("Cache Tester")
    page.get_by_label("Email *", exact=True).fill("cache.tester@example.org")


def transferred(page) -> int:
    """Bytes the last navigation fetched over the network: 0 when the browser answered from its cache."""
    return page.evaluate("performance.getEntriesByType('navigation')[0].transferSize")


def test_a_poster_sees_their_comment_although_the_browser_kept_the_page(new_tab):
    """Without scripts, the form's 303 leads back to the page the browser kept (with scripts, embed.js
    shows the comment in the page it stands in)."""
    tab = new_tab(java_script_enabled=False)
    page = tab.page
    tab.goto(POST_PATH)
    page.goto(tab.server.url + POST_PATH)
    assert transferred(page) == 0, "the second visit comes from the browser's cache, as Cache-Control allows"
    text = "Kept pages must not hide what I just said."
    fill(page, text)
    page.wait_for_timeout(3200)  # longer than a person needs at least (COMMENTS_MIN_FILL_SECONDS)
    with page.expect_navigation():
        page.get_by_role("button", name="Post Comment", exact=True).click()
    if SEND_AGAIN in page.content():
        # Without form-stamp.js, a form sent within about a minute of the shared page is shown once more,
        # with a stamp of its own (blog.comments.timing): sent again in good time, it is taken.
        page.wait_for_timeout(3200)
        with page.expect_navigation():
            page.get_by_role("button", name="Post Comment", exact=True).click()
    assert re.search(r"#comment-\d+$", page.url)
    assert transferred(page) > 0 and page.get_by_text(text).is_visible()
    tab.assert_quiet()


def test_the_form_gets_a_stamp_of_the_moment_the_reader_starts_on_it(tab):
    page = tab.page
    tab.goto(POST_PATH)
    shared = page.locator("#issued").get_attribute("value")
    assert shared.startswith("comment-form/60.")
    with page.expect_response(lambda response: "/comments/form-stamp" in response.url) as fetched:
        page.get_by_label("Comment *", exact=True).focus()
    assert fetched.value.status == 200
    page.wait_for_function("document.getElementById('issued').value.startsWith('comment-form.')")
    fill(page, "Written in good time, sent once.")
    page.wait_for_timeout(3200)
    post_in_place(page)
    assert SEND_AGAIN not in page.content()
    assert page.get_by_text("Written in good time, sent once.").is_visible()
    tab.assert_quiet()
