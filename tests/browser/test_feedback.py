"""Every answer to the comment form lands the reader at its message, in a real browser (issue 17): in
view, with the focus on it, an error announced as an alert; with scripts on (embed.js sends the form in
the background) and off (the browser follows the 303 or shows the page again at its fragment), in
English and Dutch, on a phone and a desktop. Each case runs twice, scripts on and off, the language and
the window swapped between the two, and both languages and widths meet both modes across the cases.
What the server sends for it: tests/comments/test_landing.py."""

import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.browsing import POST_PATH, post_in_place
from tests.mail import Mailbox

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "post": "Post Comment", "comment": "Comment *", "author": "Name *", "email": "Email *",
        "notify": "Notify me of replies by email.",
        "held": "Your comment is awaiting moderation.",
        "inbox": "Check your inbox: follow the link in our confirmation mail to get mail about replies.",
        "duplicate": "Duplicate comment detected; it looks as though you’ve already said that!",
        "flood": "You are posting comments too quickly. Slow down.",
        "expired": "This form has expired or did not come from this site. Nothing was posted; please send it again.",
        "bad email": "Please enter a valid email address.",
    },
    "nl": {
        "post": "Reactie plaatsen", "comment": "Reactie *", "author": "Naam *", "email": "E-mail *",
        "notify": "Stuur mij een e-mail bij reacties op mijn reactie.",
        "held": "Uw reactie is in afwachting van moderatie.",
        "inbox": "Controleer uw inbox: volg de link in onze bevestigingsmail om e-mails over reacties te ontvangen.",
        "duplicate": "Dubbele reactie ontdekt: het lijkt erop dat u dit al heeft gezegd!",
        "flood": "U plaatst te snel reacties. Rustig aan.",
        "expired": "Dit formulier is verlopen of kwam niet van deze site. Er is niets geplaatst; verstuur het "
                   "alstublieft opnieuw.",
        "bad email": "Voer alstublieft een geldig e-mailadres in.",
    },
}
# A post token from 2001, long past the form's lifetime: what a tab left open for days still holds.
OLD_TOKEN = "1000000000.c2lnbmVkIGxvbmcgYWdv"
# Each reader comes from an address of their own (through ProxyFix), so the flood limit of one test
# never meets another's posts.
ADDRESSES = (f"198.51.100.{number}" for number in itertools.count(1))
# The two runs of a case: (scripts, language, window width).
RUNS = {"a": [(True, "en", 1280), (False, "nl", 360)], "b": [(False, "en", 1280), (True, "nl", 360)]}


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server on loopback for the module's blog: the confirmation mails the notice speaks of."""
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def blog_settings(mailbox):
    """A flood limit to meet, one proxy trusted for the readers' addresses, and a mail server."""
    return {"COMMENTS_FLOOD_SECONDS": 60, "PROXY_FIX_X_FOR": 1, "MAIL_SERVER": mailbox.host,
            "MAIL_PORT": mailbox.port, "MAIL_DEFAULT_SENDER": "blog@example.org"}


def runs(*cases):
    """Each case with its two runs (RUNS), as pytest parameters with readable ids."""
    return pytest.mark.parametrize(("case", "scripts", "language", "width"), [
        pytest.param(case, scripts, language, width,
                     id=f"{case}-{'js' if scripts else 'nojs'}-{language}-{width}")
        for case, kind in cases for scripts, language, width in RUNS[kind]])


@pytest.fixture
def reader(new_tab, request):
    """A reader's tab for this run: scripts on or off, its language and window, an address of its own."""
    scripts, language, width = (request.getfixturevalue(name) for name in ("scripts", "language", "width"))
    tab = new_tab(java_script_enabled=scripts, locale={"en": "en-US", "nl": "nl-NL"}[language],
                  viewport={"width": width, "height": 800},
                  extra_http_headers={"X-Forwarded-For": next(ADDRESSES)})
    tab.goto(POST_PATH)
    return tab


def fill(page, words, **values):
    for field, value in values.items():
        page.get_by_label(words[field], exact=True).fill(value)


def send(tab, words, scripts: bool):
    """Press the form's button: in the background with scripts, else by the browser's own submission."""
    if scripts:
        post_in_place(tab.page, words["post"])
    else:
        with tab.page.expect_event("load"):
            tab.page.get_by_role("button", name=words["post"], exact=True).click()


def assert_landed(page, target, scripts: bool):
    """The reader sees the message and has the focus on it; where the browser's own move put it there (the
    fragment, autofocus), with the focus shown (a script's move after a click shows none, by the browser's
    :focus-visible rules)."""
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    if not scripts:
        assert target.evaluate("node => getComputedStyle(node).outlineStyle") == "solid"


def author(language: str) -> dict:
    """A first-time author (so held) of this run, with an address of their own."""
    name = f"Fay {language.upper()} {next(ADDRESSES).rsplit('.', 1)[1]}"
    return {"author": name, "email": f"{name.split()[-1]}.{language}@example.org"}


@runs(("held", "a"), ("notify", "b"))
def test_a_posted_comment_lands_at_its_own_box(reader, mailbox, case, scripts, language, width):
    words, page = WORDS[language], reader.page
    text, details = f"Where does my {case} comment go ({language}, {width} px)?", author(language)
    mails_before = len(mailbox.messages)
    fill(reader.page, words, comment=text, **details)
    if case == "notify":
        page.get_by_label(words["notify"], exact=True).check()
    send(reader, words, scripts)

    box = page.locator("li.comment", has_text=text)
    assert page.url == f"{reader.server.post_url}#{box.get_attribute('id')}"
    assert_landed(page, box, scripts)
    expect(box.locator(".comment-awaiting-moderation")).to_have_text(words["held"])
    if case == "notify":
        expect(box.locator(".comment-notice-confirmation")).to_have_text(words["inbox"])
        expect(box.locator(".comment-notice-confirmation")).to_be_in_viewport()
        mail = mailbox.wait_for(mails_before + 1)[-1]
        assert mail["To"] == details["email"], "the mail the notice speaks of was sent"
    else:
        expect(box.locator(".comment-notice-confirmation")).to_have_count(0)
    reader.assert_quiet()


def refuse_as_duplicate(reader, words, details, text):
    assert reader.send_comment(comment=text, **details).status == 303  # the first time, it was taken


def refuse_as_flood(reader, words, details, text):
    assert reader.send_comment(comment="A first thought, a moment ago.", **details).status == 303


def refuse_as_expired(reader, words, details, text):
    reader.page.locator("#csrf_token").evaluate("(field, token) => { field.value = token; }", OLD_TOKEN)


REFUSALS = {"duplicate": refuse_as_duplicate, "flood": refuse_as_flood, "expired": refuse_as_expired}


@runs(("duplicate", "a"), ("flood", "b"), ("expired", "a"))
def test_a_refused_form_lands_at_its_message_announced(reader, case, scripts, language, width):
    words, page = WORDS[language], reader.page
    details, text = author(language), f"A {case} case ({language}, {width} px)."
    REFUSALS[case](reader, words, details, text)
    fill(page, words, comment=text, **details)
    send(reader, words, scripts)

    message = page.locator("#form-error")
    expect(message).to_have_text(words[case])
    expect(message).to_have_attribute("role", "alert")
    assert_landed(page, message, scripts)
    expect(page.locator("#comment")).to_have_value(text)
    # Without scripts the browser shows the page the form's POST answered, at its fragment; with them the
    # page keeps its own address.
    assert page.url == (reader.server.post_url if scripts else reader.server.post_url + "comments#form-error")
    reader.assert_quiet()


@runs(("bad email", "b"))
def test_a_mistake_in_a_field_lands_at_that_field(reader, case, scripts, language, width):
    words, page = WORDS[language], reader.page
    fill(page, words, comment=f"My address lacks a dot ({language}, {width} px).", author="Dot Less",
         email="dot@example")  # a browser takes it; the server does not
    send(reader, words, scripts)

    field, message = page.locator("#email"), page.locator("#email-error")
    expect(message).to_have_text(words["bad email"])
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "email-notes email-error")  # said with the field
    assert_landed(page, field, scripts)
    expect(message).to_be_in_viewport()
    reader.assert_quiet()


@pytest.mark.parametrize("width", [360, 1280])
def test_each_checkbox_stands_beside_its_label(tab, width):
    """"Save my name…" and "Notify me…": the box on the first line of its label, the label beside it."""
    tab.page.set_viewport_size({"width": width, "height": 800})
    tab.goto(POST_PATH)
    for box in ("remember", "notify"):
        placed = tab.page.evaluate("""(id) => {
            const box = document.getElementById(id).getBoundingClientRect();
            const line = document.querySelector(`label[for=${id}]`).getClientRects()[0];
            return {beside: line.left >= box.right, sameLine: line.top < box.bottom && box.top < line.bottom};
        }""", box)
        assert placed == {"beside": True, "sameLine": True}, box
