"""The live preview of a Markdown comment (COMMENTS_MARKUP = "markdown") in a real browser: the "Preview" button
beside the comment field shows the text as the server renders and sanitizes it, kept up to date as one types;
without scripts there is no button and the form posts as ever."""

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, post_in_place

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def blog_settings() -> dict:
    return {"COMMENTS_MARKUP": "markdown", "COMMENTS_MODERATION": "none"}


def test_the_preview_follows_the_text_as_the_server_renders_it(tab):
    page = tab.page
    tab.goto(POST_PATH)
    expect(page.locator("#form-allowed-tags")).to_contain_text("You may use Markdown")
    preview = page.locator("#comment-preview")
    expect(preview).to_be_hidden()
    button = page.get_by_role("button", name="Preview", exact=True)
    expect(button).to_have_attribute("aria-expanded", "false")
    page.locator("#comment").fill("**Bold** thought")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(preview.locator(".comment-content strong")).to_have_text("Bold")

    with page.expect_response(lambda response: response.url.endswith("/api/v1/preview")) as answer:
        page.locator("#comment").press_sequentially(" - [x](javascript:alert(1)) <img src=x onerror=alert(2)>")
    assert answer.value.status == 200
    content = preview.locator(".comment-content")
    expect(content).to_contain_text("<img src=x onerror=alert(2)>")  # shown as text, as it will be stored
    assert content.locator("a, img").count() == 0

    page.locator("#author").fill("Ann Reader")
    page.locator("#email").fill("ann@example.org")
    page.locator("#comment").fill("*Previewed* and posted")
    expect(preview.locator(".comment-content em")).to_have_text("Previewed")
    post_in_place(page)
    expect(page.locator(".comment-list .comment-content em", has_text="Previewed")).to_be_visible()
    tab.assert_quiet()


def test_without_scripts_there_is_no_preview_and_the_form_still_posts(new_tab):
    tab = new_tab(java_script_enabled=False)
    tab.goto(POST_PATH)
    page = tab.page
    expect(page.locator("#form-allowed-tags")).to_contain_text("You may use Markdown")
    assert page.get_by_role("button", name="Preview").count() == 0
    page.locator("#comment").fill("**Without** scripts")
    page.locator("#author").fill("Ben Reader")
    page.locator("#email").fill("ben@example.org")
    page.get_by_role("button", name="Post Comment", exact=True).click()
    expect(page.locator(".comment-list .comment-content strong", has_text="Without")).to_be_visible()
    tab.assert_quiet()
