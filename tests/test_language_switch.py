"""The reader's language in the URL (?lang=en, ?lang=nl): it wins over Accept-Language, is spelt one way
only (anything else is a 301 to that spelling, or to the URL without it), travels with every link to the
reader's pages, and leaves each page public and cacheable, one copy per language and one negotiated."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.pages import by_id, elements, folded_text, parse_page
from tests.readers import CSRF_TOKEN, FORM_STAMP

CAPTION = {"en": "Leave a Reply", "nl": "Laat een reactie achter"}


@pytest.fixture
def post(app):
    """A post with three approved comments, one per page of comments (COMMENTS_PER_PAGE = 1)."""
    app.config["COMMENTS_PER_PAGE"] = 1
    with app.app_context():
        post = make_post(slug="hello")
        for number in range(3):
            make_comment(f"post-{post.id}", body_raw=f"Comment {number}")
        return post


def language_of(response) -> str:
    return parse_page(response).get("lang")


def get(client, path, accept=None):
    with client.get(path, headers={"Accept-Language": accept} if accept else {}) as response:
        response.get_data()
    return response


# --- which language ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "accept", "language"), [
    ("/hello/?lang=nl", "en", "nl"),
    ("/hello/?lang=en", "nl", "en"),
    ("/hello/?lang=nl", None, "nl"),
    ("/hello/", "nl", "nl"),
    ("/hello/", "en-GB,en;q=0.9", "en"),
    ("/?lang=nl", "en", "nl"),
    ("/nope/?lang=nl", "en", "nl"),  # the 404 page too
])
def test_the_urls_language_wins_over_accept_language(client, post, path, accept, language):
    response = get(client, path, accept)
    assert language_of(response) == language
    if path.startswith("/hello/"):
        assert CAPTION[language] in response.get_data(as_text=True)


def test_a_language_not_configured_is_not_taken_from_the_url(tmp_path):
    app = make_app(tmp_path, BLOG_LANGUAGES=["nl"], BLOG_DEFAULT_LANGUAGE="nl")
    with app.app_context():
        db.create_all()
        make_post(slug="hello")
    response = get(app.test_client(), "/hello/?lang=en", "en")
    assert response.status_code == 301 and response.headers["Location"] == "/hello/"


# --- one spelling --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "location"), [
    ("lang=", "/hello/"),
    ("lang=xx", "/hello/"),
    ("lang=NL", "/hello/"),
    ("lang=nl-BE", "/hello/"),
    ("lang=nl&lang=en", "/hello/"),
    ("lang=nl&lang=nl", "/hello/"),
    ("lang=xx&comments_page=2", "/hello/?comments_page=2"),
    ("lang=nl&comments_page=2", "/hello/?comments_page=2&lang=nl"),
    ("lang=nl&x=1", "/hello/?x=1&lang=nl"),
    ("x=1&lang=nl&y=2", "/hello/?x=1&y=2&lang=nl"),
    ("&lang=nl", "/hello/?lang=nl"),
    ("x=a%20b&lang=nl", "/hello/?x=a+b&lang=nl"),
    ("lang", "/hello/"),
    ("lang=" + "n" * 5000, "/hello/"),
    ("lang=%0D%0ASet-Cookie:%20evil=1", "/hello/"),
    ("lang=nl%0D%0ALocation:%20//evil.example/", "/hello/"),
    ("lang=%3Cscript%3E&x=%22%3E", "/hello/?x=%22%3E"),
])
def test_a_language_spelt_otherwise_is_a_301_to_its_one_spelling(client, post, query, location):
    response = get(client, f"/hello/?{query}", "nl")
    assert response.status_code == 301
    assert response.headers["Location"] == location
    assert "Set-Cookie" not in response.headers and "evil" not in str(response.headers)
    followed = get(client, location, "nl")
    assert followed.status_code == 200  # one redirect, never a loop


@pytest.mark.parametrize("path", [
    "/?lang=xx", "/feed/?lang=", "/comments/feed/?lang=nl&lang=en", "/hello/feed/?lang=zz"])
def test_every_readers_page_spells_its_language_one_way(client, post, path):
    response = get(client, path)
    assert response.status_code == 301 and response.headers["Location"] == path.partition("?")[0]


@pytest.mark.parametrize("query", ["lang=nl", "x=1&lang=nl", "comments_page=2&lang=en", "replytocom=1&lang=nl"])
def test_the_one_spelling_is_served(client, post, query):
    assert get(client, f"/hello/?{query}").status_code == 200


@pytest.mark.parametrize("query", [b"lang=nl%00", b"lang=nl&x=\xff", b"lang=\xffnl", b"lang=nl%FF", b"x=\xc3&lang=nl"])
def test_a_query_that_is_not_text_is_refused_in_the_browsers_language(client, post, query):
    """blog.request_checks answers it before any language is read from it: a 400 page, never a 500."""
    with client.get("/hello/", environ_overrides={"QUERY_STRING": query.decode("latin-1")},  # as PEP 3333 has it
                    headers={"Accept-Language": "nl"}) as response:
        assert response.status_code == 400 and language_of(response) == "nl"


def test_other_pages_ignore_the_parameter(client, post):
    assert get(client, "/admin/login?lang=xx").status_code == 200
    assert get(client, "/healthz?lang=nl&lang=en").status_code == 200


# --- links keep it -------------------------------------------------------------------------------------

def own_urls(page) -> list[str]:
    """Every URL of the page's links, forms, scripts and stylesheets that stays on this site, but the
    links to the page in each language (those with an hreflang)."""
    found = []
    for element in elements(parse_page(page)):
        for attribute in ("href", "action", "src", "data-renew", "data-uri"):
            url = element.get(attribute)
            if url and not url.startswith("#") and urlsplit(url).netloc in ("", "localhost") \
                    and not element.get("hreflang"):
                found.append(url)
    return found


def language_in(url: str) -> str | None:
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert [name for name, _ in query].count("lang") <= 1, url
    assert all(name != "lang" for name, _ in query[:-1]), f"lang is not last in {url}"
    return dict(query).get("lang")


READERS_PAGES = ("/", "/hello/", "/feed/", "/comments/feed/", "/hello/feed/", "/hello/comments")
FILES = ("/static/", "/comments/static/", "/comments/form-stamp", "/comments/avatar/")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_link_to_a_readers_page_keeps_the_language(client, post, language):
    page = get(client, f"/hello/?comments_page=2&lang={language}")
    assert page.status_code == 200
    urls = own_urls(page)
    readers = [url for url in urls if urlsplit(url).path in READERS_PAGES]
    files = [url for url in urls if urlsplit(url).path.startswith(FILES)]
    assert len(readers) > 10 and files
    assert [url for url in readers if language_in(url) != language] == []
    assert [url for url in files if language_in(url) is not None] == []
    html = page.get_data(as_text=True)
    for expected in (
        f'action="/hello/comments?lang={language}"',  # the form
        f'href="/hello/?lang={language}#comments"',  # comment page 1
        f'href="/hello/?comments_page=3&amp;lang={language}#comments"',  # page 3
        f'href="/hello/?replytocom=2&amp;comments_page=2&amp;lang={language}#respond"',  # a reply link
        f'href="/hello/feed/?lang={language}"',  # the thread's feed
        f'href="/feed/?lang={language}"',
        f'href="/comments/feed/?lang={language}"',
        f'class="site-title" href="/?lang={language}"',
    ):
        assert expected in html, expected


def test_the_list_of_posts_links_posts_in_its_language(client, post):
    html = get(client, "/?lang=nl").get_data(as_text=True)
    assert 'href="/hello/?lang=nl"' in html and 'href="/hello/?lang=nl#comments"' in html


def test_a_negotiated_page_links_without_a_language(client, post):
    page = get(client, "/hello/?comments_page=2", "nl")
    assert language_of(page) == "nl"
    assert [url for url in own_urls(page) if language_in(url) is not None] == []
    tree = parse_page(page)
    named = {element.get("href") for element in elements(tree) if element.get("hreflang") not in (None, "x-default")}
    assert named == {"http://localhost/hello/?lang=en", "http://localhost/hello/?lang=nl"}


def test_feeds_link_their_entries_in_their_language(client, post):
    feed = get(client, "/feed/?lang=nl").get_data(as_text=True)
    assert 'href="http://localhost/hello/?lang=nl"' in feed
    thread = get(client, "/hello/feed/?lang=nl").get_data(as_text=True)
    assert "Reacties op: A post" in thread and "/hello/?lang=nl#comment-1" in thread


def post_form(client, page, **fields):
    """Send the comment form of ``page`` (a response) to its own action."""
    html = page.get_data(as_text=True)
    action = parse_page(page).find(".//form[@id='commentform']").get("action")
    data = {"author": "Ann Reader", "email": "ann@example.org", "url": "", "comment": "Dank u!", "parent": "0",
            "csrf_token": CSRF_TOKEN.search(html).group(1), "issued": FORM_STAMP.search(html).group(1), **fields}
    with client.post(action, data=data, headers={"Accept-Language": "en"}) as response:
        response.get_data()
    return response


def test_a_comment_posted_in_a_language_comes_back_to_it(client, post, app):
    app.config["COMMENTS_MODERATION"] = "none"
    page = get(client, "/hello/?lang=nl", "en")
    posted = post_form(client, page, comment="Heel helder uitgelegd.")
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert location.startswith("/hello/?comments_page=4&lang=nl#comment-"), location
    back = get(client, location, "en")
    assert back.status_code == 200 and language_of(back) == "nl"
    assert "Heel helder uitgelegd." in back.get_data(as_text=True)
    assert parse_page(back).find(".//form[@id='commentform']").get("action") == "/hello/comments?lang=nl"


def test_a_held_comment_comes_back_to_its_language(client, post, app):
    app.config.update(COMMENTS_MODERATION="all", COMMENTS_PER_PAGE=50)
    posted = post_form(client, get(client, "/hello/?lang=nl", "en"))
    assert posted.status_code == 303
    assert posted.headers["Location"].startswith("/hello/?") and "lang=nl" in posted.headers["Location"]
    assert language_in(posted.headers["Location"]) == "nl"
    back = get(client, posted.headers["Location"], "en")
    assert "Uw reactie is in afwachting van moderatie." in back.get_data(as_text=True)


def test_a_refused_form_comes_back_in_its_language_and_keeps_it(client, post):
    refused = post_form(client, get(client, "/hello/?lang=nl", "en"), email="not an address")
    assert refused.status_code == 400 and language_of(refused) == "nl"
    html = refused.get_data(as_text=True)
    assert "Voer alstublieft een geldig e-mailadres in." in html
    assert 'action="/hello/comments?lang=nl"' in html
    assert '<link rel="canonical" href="http://localhost/hello/?lang=nl">' in html


def test_a_post_with_a_bad_language_is_taken_in_the_browsers(client, post):
    page = get(client, "/hello/", "en")
    html = page.get_data(as_text=True)
    data = {"author": "Ann", "email": "not an address", "comment": "Hi", "parent": "0",
            "csrf_token": CSRF_TOKEN.search(html).group(1), "issued": FORM_STAMP.search(html).group(1)}
    with client.post("/hello/comments?lang=xx", data=data, headers={"Accept-Language": "nl"}) as refused:
        assert refused.status_code == 400 and language_of(refused) == "nl"


# --- caches ------------------------------------------------------------------------------------------

def test_each_language_is_a_public_page_of_its_own(client, post):
    answers = {
        "nl by url": get(client, "/hello/?lang=nl", "en"),
        "en by url": get(client, "/hello/?lang=en", "nl"),
        "nl by browser": get(client, "/hello/", "nl"),
        "en by browser": get(client, "/hello/", "en"),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, name
        assert "Set-Cookie" not in answer.headers, name
        assert answer.cache_control.public and answer.cache_control.max_age, name
        assert ("Accept-Language" in answer.vary) is name.endswith("browser"), (name, answer.vary)
        assert "Cookie" not in answer.vary, name
    assert len({answer.headers["ETag"] for answer in answers.values()}) == 4
    for name, answer in answers.items():
        path = "/hello/" if name.endswith("browser") else f"/hello/?lang={name[:2]}"
        accept = name[:2] if name.endswith("browser") else "fr"
        again = client.get(path, headers={"Accept-Language": accept, "If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304, name


def test_the_page_cache_gives_each_reader_their_own_variant(client, post):
    """Each worker keeps one rendering per variant: the one kept for a negotiated Dutch page is never the
    ?lang=nl page, and the same URL always gets the same bytes."""
    negotiated = get(client, "/hello/", "nl")
    named = get(client, "/hello/?lang=nl", "en")
    english = get(client, "/hello/?lang=en", "nl")
    assert 'action="/hello/comments"' in negotiated.get_data(as_text=True)
    assert 'action="/hello/comments?lang=nl"' in named.get_data(as_text=True)
    assert language_of(english) == "en" and 'action="/hello/comments?lang=en"' in english.get_data(as_text=True)
    for path, accept, first in (("/hello/", "nl", negotiated), ("/hello/?lang=nl", "fr", named),
                                ("/hello/?x=1&lang=nl", "en", named), ("/hello/?lang=en", "en", english)):
        assert get(client, path, accept).get_data() == first.get_data(), path


def test_the_canonical_link_is_one_per_variant(client, post):
    canonical = '<link rel="canonical" href="http://localhost/hello/'
    for accept in ("en", "nl", "de"):
        assert canonical + '?lang=nl">' in get(client, "/hello/?lang=nl", accept).get_data(as_text=True)
        assert canonical + '">' in get(client, "/hello/", accept).get_data(as_text=True)
    tree = parse_page(get(client, "/hello/?comments_page=3&lang=nl"))
    alternates = {link.get("hreflang"): link.get("href") for link in tree.iter("link") if link.get("hreflang")}
    assert alternates == {"en": "http://localhost/hello/?lang=en", "nl": "http://localhost/hello/?lang=nl",
                          "x-default": "http://localhost/hello/"}


@pytest.mark.parametrize(("path", "accept", "current"), [
    ("/hello/?lang=nl", "en", "nl"), ("/hello/", "nl", "nl"), ("/hello/", "en", "en"), ("/?lang=en", "nl", "en"),
])
def test_the_language_switch_links_each_language_and_marks_the_shown_one(client, post, path, accept, current):
    tree = parse_page(get(client, path, accept))
    switch = tree.find(".//header//nav[@class='language-switch']")
    assert switch.get("aria-label") == {"en": "Language", "nl": "Taal"}[current]
    links = switch.findall(".//a")
    assert [(link.get("hreflang"), link.get("lang"), folded_text(link)) for link in links] == [
        ("en", "en", "English"), ("nl", "nl", "Nederlands")]
    assert [link.get("aria-current") for link in links] == [
        "true" if code == current else None for code in ("en", "nl")]
    assert all(link.get("href").endswith(f"?lang={link.get('hreflang')}") for link in links)


def test_the_json_api_knows_the_page_by_the_address_it_gives_embed_js(client, post):
    tree = parse_page(get(client, "/hello/?lang=nl"))
    uri = by_id(tree, "comments-thread").get("data-uri")
    assert uri == "/hello/?lang=nl"
    thread = client.get("/api/v1/threads/comments", query_string={"uri": uri})
    assert thread.status_code == 200 and thread.get_json()["total"] == 3
    other = client.get("/api/v1/threads/comments", query_string={"uri": "/hello/?x=1"})  # not the page's address
    assert other.status_code == 200 and other.get_json()["total"] == 0
