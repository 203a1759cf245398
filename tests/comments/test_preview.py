"""The preview of a comment being written (POST /api/v1/preview, for embed.js's live preview): rendered and
sanitized as storing would, in either markup, with the API's token and origins, within the form's limits and
the Markdown time limit; it stores nothing and sets no cookie, and no hostile body gets a 500."""

import json
import time

import pytest

from blog.comments.markup import MARKDOWN_SECONDS
from tests.api_client import OTHER_ORIGIN, STATIC_ORIGIN, api
from tests.comments.test_markup import MARKUPS, PATHOLOGICAL, STORED, TEXT
from tests.pages import parse_fragment


@pytest.mark.parametrize("markup", MARKUPS)
def test_the_preview_renders_as_storing_would_and_stores_nothing(make_blog, markup):
    blog = make_blog(COMMENTS_MARKUP=markup)
    response = api(blog).preview(TEXT)
    assert response.status_code == 200
    assert response.get_json() == {"html": STORED[markup]}
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    assert blog.comments() == []


def test_another_listed_origin_may_preview_and_one_not_listed_may_not(embedding_blog):
    response = api(embedding_blog, STATIC_ORIGIN).preview("*Hi*")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == STATIC_ORIGIN
    refused = api(embedding_blog, OTHER_ORIGIN).preview_raw(json.dumps({"comment": "*Hi*"}))
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.parametrize(("fields", "key"), [
    ({"token": None}, "form"),
    ({"token": "forged"}, "form"),
    ({"comment": ""}, "comment"),
    ({"comment": "x" * 65_526}, "comment"),
    ({"comment": "Null \x00 byte"}, "comment"),
    ({"comment": ["a list"]}, "comment"),
    ({"comment": {"an": "object"}}, "comment"),
    ({"comment": 12}, "comment"),
    ({"token": 12}, "token"),
])
def test_a_preview_of_what_no_form_takes_is_400_with_the_reason(make_blog, fields, key):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    client = api(blog)
    body = {"comment": "Fine.", "token": client.token()["token"], **fields}
    response = client.preview_raw(json.dumps({name: value for name, value in body.items() if value is not None}))
    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == [key]


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ("[1, 2]", "application/json", 400),
    ('"text"', "application/json", 400),
    ("{", "application/json", 400),
    ("[" * 100_000, "application/json", 400),
    (b"{\"comment\": \"\xff\"}", "application/json", 400),
    ('{"comment": "\\ud800"}', "application/json", 400),
    ("comment=hi", "application/x-www-form-urlencoded", 415),
    ("{}", "application/json; charset=latin-1", 415),
    ("x" * 1_100_000, "application/json", 413),
])
def test_hostile_preview_bodies_get_a_clear_error_never_a_500(make_blog, data, content_type, status):
    response = api(make_blog(COMMENTS_MARKUP="markdown")).preview_raw(data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["errors"]


def test_a_pathological_preview_answers_in_bounded_time(make_blog):
    blog = make_blog(COMMENTS_MARKUP="markdown")
    started = time.monotonic()
    response = api(blog).preview(PATHOLOGICAL["unclosed brackets"])
    assert time.monotonic() - started < MARKDOWN_SECONDS + 10
    assert response.status_code == 200
    assert parse_fragment(response.get_json()["html"]) is not None
