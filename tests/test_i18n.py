"""English and Dutch pages, chosen from Accept-Language among BLOG_LANGUAGES."""

from datetime import datetime, timezone

import pytest
from wtforms import IntegerField

from blog.extensions import Form, db
from tests.factories import make_app, make_post


@pytest.fixture
def post(app):
    with app.app_context():
        return make_post(slug="hello")


@pytest.mark.parametrize(("accept", "lang", "phrase"), [
    (None, "en", "Skip to content"),
    ("nl", "nl", "Naar de inhoud springen"),
    ("nl-NL,nl;q=0.9,en;q=0.5", "nl", "Naar de inhoud springen"),
    ("de-DE,nl;q=0.8,en;q=0.5", "nl", "Naar de inhoud springen"),
    ("en-GB,en;q=0.9,nl;q=0.8", "en", "Skip to content"),
    ("fr", "en", "Skip to content"),
])
def test_language_from_accept_language(client, post, accept, lang, phrase):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/hello/", headers=headers)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert phrase in html
    assert "Accept-Language" in response.headers["Vary"]


def test_dates_are_localized(app, client):
    with app.app_context():
        make_post(slug="dated", published_at=datetime(2026, 3, 5, 12, tzinfo=timezone.utc))
    english = client.get("/dated/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    dutch = client.get("/dated/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "March 5, 2026" in english
    assert "5 maart 2026" in dutch


def test_languages_are_configurable(tmp_path):
    app = make_app(tmp_path, BLOG_LANGUAGES=["nl"], BLOG_DEFAULT_LANGUAGE="nl")
    with app.app_context():
        db.create_all()
    html = app.test_client().get("/nope/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nl">' in html and "Pagina niet gevonden" in html


@pytest.mark.parametrize(("accept", "message"), [("en", "Not a valid integer value."), ("nl", "Ongeldig getal.")])
def test_wtforms_own_messages_follow_the_readers_language(app, accept, message):
    class Number(Form):
        count = IntegerField()

    for _ in range(2):  # the second form takes the catalog kept from the first
        with app.test_request_context("/", method="POST", data={"count": "z"}, headers={"Accept-Language": accept}):
            form = Number(meta={"csrf": False})
            assert not form.validate() and form.count.errors == [message]
