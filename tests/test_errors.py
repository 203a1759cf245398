"""Error pages: the right status, the reader's language, and nothing internal shown."""

import pytest
from sqlalchemy import text

from blog.extensions import db
from tests.factories import make_app


@pytest.fixture
def failing_app(tmp_path):
    """An app with a route that writes, then fails the way a bug would."""
    app = make_app(tmp_path, TESTING=False, SECRET_KEY="k")
    with app.app_context():
        db.session.execute(text("CREATE TABLE scratch (x INTEGER)"))
        db.session.commit()

    @app.get("/boom")
    def boom():
        db.session.execute(text("INSERT INTO scratch VALUES (1)"))
        raise RuntimeError("secret internals: SELECT password FROM admin")

    return app


@pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("nl", "Er ging iets mis")])
def test_500_page_hides_internals(failing_app, language, title):
    response = failing_app.test_client().get("/boom", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert title in html
    assert "secret internals" not in html and "Traceback" not in html and "RuntimeError" not in html


def test_500_rolls_back(failing_app):
    failing_app.test_client().get("/boom")
    with failing_app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM scratch")).scalar() == 0


@pytest.mark.parametrize(("language", "title"), [("en", "Page not found"), ("nl", "Pagina niet gevonden")])
def test_404_page(client, language, title):
    response = client.get("/nothing-here/", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)
    assert response.content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize(("language", "title"), [("en", "Method not allowed"), ("nl", "Methode niet toegestaan")])
def test_405_page_keeps_allow_header(client, language, title):
    response = client.delete("/", headers={"Accept-Language": language})
    assert response.status_code == 405
    assert title in response.get_data(as_text=True)
    assert "GET" in response.headers["Allow"]


def test_413_for_a_large_body(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=100)

    @app.post("/echo")
    def echo():
        from flask import request
        return request.get_data()

    response = app.test_client().post("/echo", data=b"x" * 101)
    assert response.status_code == 413
    assert "Request too large" in response.get_data(as_text=True)
