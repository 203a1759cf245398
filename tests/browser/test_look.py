"""The look of the blog: screenshots of the post page at a phone's and a desktop's width, light and dark, for the
README (docs/screenshots/), and the measurable part of "reads well": nothing sticks out sideways at 360 px, a
readable measure and line height, headings above the text, replies set in under their comments."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, horizontal_overflow, open_tab, post_in_place

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE, DESKTOP = 360, 1280
# The dates the screenshots show, in the order of the page's <time> elements (the post's, then the comments'):
# fixed, so the pictures change only when the look does, not with the day the tests ran.
SHOWN_DATES = ["March 2, 2026", "March 3, 2026 at 9:12 AM", "March 3, 2026 at 11:40 AM",
               "March 4, 2026 at 8:05 AM", "March 4, 2026 at 10:31 AM"]


@pytest.fixture(scope="module")
def blog_settings():
    return {"COMMENTS_MODERATION": "none"}


@pytest.fixture(scope="module")
def thread(browser, blog) -> dict[str, int]:
    """The comments of the screenshots: two readers, a reply, a long link, and an answer from the site."""
    with open_tab(browser, blog) as poster:
        ada = poster.post_comment(
            author="Ada Lovelace", email="ada@example.org", url="https://ada.example.org/",
            comment="A clear account of how ketamine blocks <em>NMDA</em> receptors. The part on glutamate and "
                    "neural plasticity was new to me.")
        grace = poster.post_comment(
            author="Grace Hopper", email="grace@example.org", parent=str(ada),
            comment="Same here. I had only heard of it as an anaesthetic.")
        alan = poster.post_comment(
            author="Alan Turing", email="alan@example.org",
            comment="Is there a review of the depression trials? This search found several: "
                    "https://pubmed.ncbi.nlm.nih.gov/?term=ketamine+treatment+resistant+depression+randomized")
        poster.sign_in_over_http()
        poster.admin_post(f"/admin/comments/{alan}/reply",
                          comment="Thank you, Alan. We will add a section on the clinical trials soon.")
    return {"ada": ada, "grace": grace, "alan": alan}


def open_post(tab):
    tab.goto(POST_PATH)
    expect(tab.page.locator("li.comment")).to_have_count(4)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_screenshot_of_the_post_page(new_tab, thread, width, scheme):
    """docs/screenshots/post-<width>-<scheme>.png: the end of the article, the comments and the form."""
    tab = new_tab(viewport={"width": width, "height": 900}, color_scheme=scheme)
    open_post(tab)
    assert horizontal_overflow(tab.page) == 0
    tab.page.evaluate("""(dates) => document.querySelectorAll("time").forEach((time, index) => {
        time.textContent = dates[Math.min(index, dates.length - 1)];
    })""", SHOWN_DATES)
    # From the article's last section to the foot of the page: headings, text and links, then the thread
    # and the form; the whole article would make a picture several screens tall.
    top, bottom = tab.page.evaluate("""() => [
        [...document.querySelectorAll(".post-body h2")].pop().getBoundingClientRect().top + window.scrollY - 24,
        document.documentElement.scrollHeight]""")
    # The avatars load as a reader scrolls to them (loading="lazy"); the picture shows them all.
    load_avatars(tab)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"post-{width}-{scheme}.png"
    tab.page.screenshot(path=path, full_page=True, animations="disabled", caret="hide",
                        clip={"x": 0, "y": top, "width": width, "height": bottom - top})
    assert path.stat().st_size > 10_000
    tab.assert_quiet()


def load_avatars(tab) -> list[list[float]]:
    """Load and draw every comment's avatar now; each one's drawn width, and its width and height on the page."""
    return tab.page.evaluate("""() => Promise.all([...document.querySelectorAll("li.comment .avatar")].map(
        async (image) => {
            image.loading = "eager";
            await image.decode();
            const box = image.getBoundingClientRect();
            return [image.naturalWidth, box.width, box.height];
        }))""")


def test_every_comment_shows_its_avatar(new_tab, thread):
    """Chromium loads and draws each identicon (an SVG the CSP lets in) at 40 × 40 px."""
    tab = new_tab(viewport={"width": PHONE, "height": 900})
    open_post(tab)
    assert load_avatars(tab) == [[40, 40, 40]] * 4
    tab.assert_quiet()


def open_post_replying_to_the_deepest(tab):
    """The reply form moved under the deepest reply, the narrowest place it can stand."""
    open_post(tab)
    tab.page.get_by_role("link", name="Reply to Grace Hopper").click()
    expect(tab.page.locator("#comment_parent")).not_to_have_value("0")


def open_post_with_a_mistake(tab):
    open_post(tab)
    tab.page.get_by_label("Comment *", exact=True).fill("A comment without a name.")
    tab.page.get_by_label("Name *", exact=True).fill("   ")
    tab.page.get_by_label("Email *", exact=True).fill("someone@example.org")
    post_in_place(tab.page)
    expect(tab.page.locator("#author-error")).to_be_visible()


def open_moderation_queue(tab):
    tab.sign_in_over_http()
    tab.goto("/admin/comments?status=approved")


PAGES_AT_360 = {
    "home": lambda tab: tab.goto("/"),
    "post": open_post,
    "post-replying-in-a-thread": open_post_replying_to_the_deepest,
    "post-with-an-error": open_post_with_a_mistake,
    "sign-in": lambda tab: tab.goto("/admin/login"),
    "moderation-queue": open_moderation_queue,
}


@pytest.mark.parametrize("name", PAGES_AT_360)
def test_nothing_overflows_sideways_at_360_px(new_tab, thread, name):
    tab = new_tab(viewport={"width": PHONE, "height": 800})
    PAGES_AT_360[name](tab)
    overflow = horizontal_overflow(tab.page)
    assert overflow == 0, f"{name} is {overflow} px wider than a {PHONE} px screen"
    tab.assert_quiet()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_article_reads_well(new_tab, thread, width):
    """Body text of at least 16 px with a line height of 1.4 or more, a line of at most about 75 characters,
    headings larger than the text, links underlined, a list with its bullets, replies set in."""
    tab = new_tab(viewport={"width": width, "height": 900})
    open_post(tab)
    text = tab.page.evaluate("""() => {
        const style = (element) => getComputedStyle(element);
        const paragraph = document.querySelector(".post-body p");
        const size = parseFloat(style(paragraph).fontSize);
        const box = (selector) => document.querySelector(selector).getBoundingClientRect();
        return {
            size,
            lineHeight: parseFloat(style(paragraph).lineHeight) / size,
            measure: paragraph.getBoundingClientRect().width / size,
            heading: parseFloat(style(document.querySelector(".post-body h2")).fontSize) / size,
            title: parseFloat(style(document.querySelector(".post-title")).fontSize) / size,
            underlined: style(document.querySelector(".post-body a")).textDecorationLine,
            bullets: style(document.querySelector(".post-body ul")).listStyleType,
            replyIndent: box("li.depth-2 > .comment-body").left - box("li.depth-1 > .comment-body").left,
            replyWidth: box("li.depth-2 > .comment-body").width,
            field: box("#comment").width / box("#commentform").width,
            button: box("#submit").height,
        };
    }""")
    assert text["size"] >= 16
    assert text["lineHeight"] >= 1.4
    assert text["measure"] <= 40, "at most about 75 characters to a line"
    assert text["heading"] > 1.1 and text["title"] > text["heading"]
    assert "underline" in text["underlined"]
    assert text["bullets"] == "disc"
    assert text["replyIndent"] >= 8, "a reply is set in under its comment"
    assert text["replyWidth"] >= 250, "and still wide enough to read"
    assert text["field"] > 0.95, "the comment field takes the form's width"
    assert text["button"] >= 24, "a target large enough to tap"
    tab.assert_quiet()
