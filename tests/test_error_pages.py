"""Error pages made to happen for real, in English and Dutch (issue 5): 400, 403, 404, 405, 409, 413,
415, 429 and 500 each have the right status, a <title>, an <h1> and the reader's language on <html>, and show
no traceback, no SQL, no setting and no submitted email address."""

import pytest
from sqlalchemy import text

from blog.extensions import db
from tests.factories import make_app, make_post
from tests.pages import elements, folded_text, parse_page
from tests.readers import CSRF_TOKEN, Reader

SECRET_KEY = "s3cret-k3y-that-no-page-shows"
EMAIL = "private.person@example.org"
MAX_BODY = 10_000
# Signs that internals leaked: a traceback, an exception's or a library's name, SQL.
INTERNALS = ["Traceback", 'File "', "RuntimeError", "OperationalError", "sqlalchemy", "werkzeug", "jinja2",
             "SELECT ", "INSERT INTO", "no_such_table", "sqlite3", SECRET_KEY]


@pytest.fixture
def site(tmp_path):
    """The blog with an open post, a closed one, the flood limit on, a small body limit, and a route whose
    query fails as a bug would."""
    app = make_app(tmp_path, SECRET_KEY=SECRET_KEY, COMMENTS_FLOOD_SECONDS=15, COMMENTS_MODERATION="none",
                   MAX_CONTENT_LENGTH=MAX_BODY, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        db.session.execute(text(f"SELECT '{SECRET_KEY}', '{EMAIL}' FROM no_such_table"))

    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello world")
        make_post(slug="closed", title="Closed post", comments_open=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def comment(**fields):
    return {"author": "Pat Private", "email": EMAIL, "url": "", "comment": "My words.", "parent": "0", **fields}


def post_comment(reader, language, path="/hello/comments", **fields):
    data = comment(**reader.hidden_fields(), **fields)
    with reader.client.post(path, data=data, headers={"Accept-Language": language}) as response:
        response.get_data()
    return response


def request(client, method, path, language, **options):
    with client.open(path, method=method, headers={"Accept-Language": language}, **options) as response:
        response.get_data()
    return response


def happen(app, status, language):
    """Make ``status`` happen the way a reader (or a bug) makes it happen; the response, read and closed."""
    client = app.test_client()
    reader = Reader(client)
    if status == "400 form":
        return post_comment(reader, language, author="")
    if status == "400 csrf":
        return request(client, "POST", "/admin/login", language,
                       data={"username": "boss", "password": EMAIL, "csrf_token": "garbage"})
    if status == "403":
        return post_comment(reader, language, path="/closed/comments")
    if status == "404":
        return request(client, "GET", f"/no-such-page/?email={EMAIL}", language)
    if status == "405":
        return request(client, "DELETE", "/", language, data={"email": EMAIL})
    if status == "409":
        assert post_comment(reader, language).status_code == 303
        return post_comment(reader, language)
    if status == "413":
        return post_comment(reader, language, comment="x" * (MAX_BODY + 1))
    if status == "415":
        return request(client, "POST", "/hello/comments", language, data=f'{{"email": "{EMAIL}"}}',
                       content_type="application/json")
    if status == "429":
        assert post_comment(reader, language, email="first@example.org").status_code == 303
        return post_comment(reader, language, comment="Again, so soon.")
    if status == "500":
        return request(client, "GET", "/boom", language)
    raise AssertionError(status)


# status: (the code, (English, Dutch) text the page must say)
CASES = {
    "400 form": (400, ("Please fill the required fields.", "Vul alstublieft de vereiste velden in.")),
    "400 csrf": (400, ("The form has expired", "Het formulier is verlopen")),
    "403": (403, ("Comments are closed.", "Reacties zijn gesloten.")),
    "404": (404, ("Page not found", "Pagina niet gevonden")),
    "405": (405, ("Method not allowed", "Methode niet toegestaan")),
    "409": (409, ("Duplicate comment detected; it looks as though you’ve already said that!",
                  "Dubbele reactie ontdekt: het lijkt erop dat u dit al heeft gezegd!")),
    "413": (413, ("Request too large", "Verzoek te groot")),
    "415": (415, ("Form not accepted", "Formulier niet geaccepteerd")),
    "429": (429, ("You are posting comments too quickly. Slow down.", "U plaatst te snel reacties. Rustig aan.")),
    "500": (500, ("Something went wrong", "Er ging iets mis")),
}
# These answer with the post page again, the reader's input kept: their own address may stand in the
# form's email field (and nowhere else); every other page must not hold it at all.
FORM_PAGES = {"400 form", "409", "429"}


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("case", list(CASES))
def test_error_page_has_status_title_heading_and_language(site, case, language):
    code, texts = CASES[case]
    response = happen(site, case, language)
    html = response.get_data(as_text=True)
    tree = parse_page(html)
    assert response.status_code == code
    assert response.content_type == "text/html; charset=utf-8"
    assert tree.get("lang") == language
    titles = [folded_text(element) for element in elements(tree) if element.tag == "title"]
    headings = [folded_text(element) for element in elements(tree) if element.tag == "h1"]
    assert len(titles) == 1 and titles[0]
    assert len(headings) == 1 and headings[0]
    assert texts[language == "nl"] in folded_text(tree)
    if case not in FORM_PAGES:
        assert texts[language == "nl"] in titles[0] + headings[0] + folded_text(tree)
        # The reader's language throughout: the English title does not stand on the Dutch page.
        if language == "nl" and texts[0] != texts[1]:
            assert texts[0] not in html


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("case", list(CASES))
def test_error_page_shows_no_internals_settings_or_email(site, case, language):
    response = happen(site, case, language)
    html = response.get_data(as_text=True)
    for sign in INTERNALS:
        assert sign not in html, sign
    assert site.config["SQLALCHEMY_DATABASE_URI"] not in html
    assert EMAIL not in str(response.headers)
    if case in FORM_PAGES:
        # The reader's own input, kept for them in the field they typed it in; nowhere else.
        fields = [element for element in elements(parse_page(html)) if element.get("value") == EMAIL]
        assert html.count(EMAIL) == len(fields) == 1
        assert (fields[0].tag, fields[0].get("name")) == ("input", "email")
    else:
        assert EMAIL not in html


def test_error_pages_keep_their_headers(site):
    """Allow on a 405 and Retry-After on a 429 survive the error page."""
    assert "GET" in happen(site, "405", "en").headers["Allow"]
    retry_after = happen(site, "429", "en").headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 15


def test_500_rolls_back_and_the_next_request_is_served(site):
    client = site.test_client()
    assert request(client, "GET", "/boom", "en").status_code == 500
    assert request(client, "GET", "/hello/", "en").status_code == 200


def test_error_page_links_home(site):
    html = happen(site, "404", "nl").get_data(as_text=True)
    links = [element.get("href") for element in elements(parse_page(html)) if element.tag == "a"]
    assert "/" in links


def test_expired_admin_form_offers_the_form_again(site):
    """The CSRF page says what happened: the sign-in page after it still signs in."""
    client = site.test_client()
    response = happen(site, "400 csrf", "en")
    assert "reload the page" in response.get_data(as_text=True)
    with client.get("/admin/login") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    assert token
