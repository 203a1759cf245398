"""A database out of reach gets the 503 page, not a 500 (issue 16): a server that refuses connections, and
PostgreSQL cut off mid-session behind a forwarder (tests/forwarder.py) and back again, after which the app
reconnects by itself and nothing refused was stored; a connection that breaks after the response was made
does not turn that response into a 500 as the request ends."""

import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from blog.extensions import db
from tests.databases import scratch_database
from tests.factories import make_app, make_post
from tests.forwarder import Forwarder
from tests.readers import Reader
from tests.servers import free_port

TITLES = {"en": "Service unavailable", "nl": "Dienst niet beschikbaar"}


def assert_unavailable(response, language="en"):
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert TITLES[language] in page
    assert "OperationalError" not in page and "Traceback" not in page


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_database_that_refuses_connections_gets_the_503_page(tmp_path, language):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://blog@127.0.0.1:{free_port()}/blog",
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    assert_unavailable(app.test_client().get("/", headers={"Accept-Language": language}), language)


@pytest.fixture
def forwarded_postgres(tmp_path):
    """The blog on a scratch PostgreSQL database reached through a forwarder the test can cut."""
    server_url = os.environ.get("TEST_POSTGRES_URL")
    if not server_url:
        pytest.skip("TEST_POSTGRES_URL is not set; the PostgreSQL outage test skipped")
    with scratch_database(server_url) as database_url:
        url = make_url(database_url)
        forwarder = Forwarder("127.0.0.1", url.host, url.port or 5432)
        try:
            forwarded = url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
            app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=forwarded, COMMENTS_MODERATION="none")
            with app.app_context():
                db.create_all()
                make_post(slug="hello", title="Hello world")
            yield app, forwarder
            with app.app_context():
                db.engine.dispose()
        finally:
            forwarder.close()


def test_postgres_cut_off_mid_session_gets_503_and_the_app_reconnects(forwarded_postgres):
    app, forwarder = forwarded_postgres
    reader = Reader(app.test_client(), "/hello/")
    assert reader.get().status_code == 200
    hidden = reader.hidden_fields()

    forwarder.cut()  # every pooled connection is dead now, and no new one can be made
    assert_unavailable(reader.get())
    assert_unavailable(reader.post(comment="Sent while the database was away.", **hidden))

    forwarder.restore()
    assert reader.get().status_code == 200
    assert reader.post(comment="Sent once it was back.", **hidden).status_code == 303
    with app.app_context():
        stored = db.session.execute(text("SELECT body_raw FROM comment")).scalars().all()
    assert stored == ["Sent once it was back."]


def test_a_connection_broken_after_the_response_was_made_costs_that_response_nothing(forwarded_postgres):
    app, forwarder = forwarded_postgres

    @app.get("/read-then-lose-the-database")
    def read_then_lose_the_database():
        title = db.session.execute(text("SELECT title FROM post")).scalar()
        forwarder.cut()  # the transaction is still open: the request's end rolls it back
        return title

    response = app.test_client().get("/read-then-lose-the-database")
    assert response.status_code == 200 and response.get_data(as_text=True) == "Hello world"
    forwarder.restore()
    assert app.test_client().get("/hello/").status_code == 200


def test_the_json_api_answers_a_database_out_of_reach_with_its_own_json_503(tmp_path):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://blog@127.0.0.1:{free_port()}/blog",
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    response = app.test_client().get("/api/v1/counts", query_string={"uri": "/hello/"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.is_json and set(response.get_json()["errors"]) == {"request"}
    assert response.headers["Cache-Control"] == "no-store"
