"""Avatars (blog.comments.avatars): an identicon of our own, named by an HMAC of the email under the site's
secret, Gravatar only when the operator asks."""

import hashlib
import re
from xml.etree import ElementTree

import pytest

from blog.comments.avatars import avatar_url
from tests.comments.test_privacy import CANARY, CANARY_MIXED_CASE, find_traces
from tests.factories import make_app

SVG = "{http://www.w3.org/2000/svg}"
AVATAR = re.compile(r"/comments/avatar/[0-9a-f]{32}\.svg")
ONE_YEAR = 365 * 24 * 3600


def url_of(app, email, **options) -> str:
    with app.test_request_context():
        return avatar_url(email, **options)


def gravatar_of(email: str) -> str:
    return f"https://www.gravatar.com/avatar/{hashlib.sha256(email.encode()).hexdigest()}?d=identicon&s=80"


def svg_of(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response


# --- the URL ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["ann@example.org", "Ann@Example.ORG", "  ann@example.org\n", "\tANN@EXAMPLE.ORG "])
def test_an_address_has_one_avatar_however_it_is_typed(app, typed):
    assert url_of(app, typed) == url_of(app, "ann@example.org")
    assert AVATAR.fullmatch(url_of(app, typed))


def test_different_addresses_have_different_avatars(app):
    addresses = ["ann@example.org", "ann@example.com", "bob@example.org", "ann+blog@example.org", ""]
    assert len({url_of(app, address) for address in addresses}) == len(addresses)


def test_another_secret_key_gives_every_address_another_avatar(app, tmp_path):
    other = make_app(tmp_path / "other", SECRET_KEY="another secret key")
    assert url_of(other, "ann@example.org") != url_of(app, "ann@example.org")
    assert url_of(make_app(tmp_path / "same", SECRET_KEY="test secret key"), "ann@example.org") == url_of(
        app, "ann@example.org")


def test_the_avatar_name_is_no_hash_of_the_address_anyone_could_compute(app):
    for typed in (CANARY, CANARY_MIXED_CASE):
        assert not find_traces(url_of(app, typed))


def test_the_external_avatar_url_is_absolute_on_the_site(app):
    path = url_of(app, "ann@example.org")
    assert url_of(app, "ann@example.org", external=True) == f"http://localhost{path}"
    app.config["COMMENTS_SITE_URL"] = "https://blog.example.org/"
    assert url_of(app, "ann@example.org", external=True) == f"https://blog.example.org{path}"


def test_gravatar_when_turned_on_gets_the_sha256_of_the_address(app):
    app.config["COMMENTS_GRAVATAR"] = True
    for typed in ("Ann@Example.ORG ", "ann@example.org"):
        assert url_of(app, typed) == gravatar_of("ann@example.org")
        assert url_of(app, typed, external=True) == gravatar_of("ann@example.org")


# --- the picture -----------------------------------------------------------------------------------------------

def test_the_identicon_is_plain_svg_shapes_and_nothing_else(blog):
    """No script, foreignObject, text, title, style, link or reference to anything outside the image."""
    response = svg_of(blog.client, url_of(blog.app, CANARY))
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == f"{SVG}svg"
    assert {element.tag for element in root.iter()} <= {f"{SVG}svg", f"{SVG}rect", f"{SVG}path"}
    for element in root.iter():
        assert not element.text and not any("href" in name for name in element.attrib), element
        assert not any(mark in value.lower() for value in element.attrib.values()
                       for mark in ("url(", "javascript:", "data:", "http")), element.attrib
    assert root.get("width") == root.get("height") == "40"


def test_the_identicon_is_drawn_from_its_name_alone(blog, tmp_path):
    """The same name gives the same picture from any app with any secret, with no comment behind it;
    different names give different pictures."""
    names = ["0" * 32, "f" * 32, "0123456789abcdef" * 2, url_of(blog.app, CANARY).rsplit("/", 1)[1][:-4]]
    other = make_app(tmp_path / "other", SECRET_KEY="another secret key").test_client()
    pictures = {}
    for name in names:
        path = f"/comments/avatar/{name}.svg"
        pictures[name] = svg_of(blog.client, path).get_data()
        assert svg_of(blog.client, path).get_data() == pictures[name] == svg_of(other, path).get_data()
    assert len(set(pictures.values())) == len(names)


def test_the_identicon_is_symmetric(blog):
    root = ElementTree.fromstring(svg_of(blog.client, "/comments/avatar/0123456789abcdef0123456789abcdef.svg")
                                  .get_data())
    [shape] = root.iter(f"{SVG}path")
    assert re.fullmatch(r"(M\d \dh1v1h-1z)+", shape.get("d"))
    cells = {tuple(map(int, cell.split())) for cell in re.findall(r"M(\d+ \d+)h1v1h-1z", shape.get("d"))}
    assert cells and cells == {(4 - column, row) for column, row in cells}


def test_the_identicon_is_kept_by_any_cache_for_a_year(blog):
    response = svg_of(blog.client, url_of(blog.app, CANARY))
    assert response.headers["Content-Type"] == "image/svg+xml"
    directives = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert directives == {"public", f"max-age={ONE_YEAR}", "immutable"}
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)  # strong: no W/
    assert "Set-Cookie" not in response.headers
    again = blog.client.get(url_of(blog.app, CANARY), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


@pytest.mark.parametrize("name", [
    "0123456789abcdef0123456789abcde",  # too short
    "0123456789abcdef0123456789abcdef0",  # too long
    "0123456789ABCDEF0123456789ABCDEF",  # upper case
    "0123456789abcdeg0123456789abcdef",  # not hex
    "0123456789abcdef0123456789abcde%0A",  # a line break in the name
    "0123456789abcdef0123456789abcdef%0A",
    "0123456789abcdef0123456789abcde%00",
    "\u0660123456789abcdef0123456789abcdef",  # an Arabic-Indic digit
    "0123456789abcdef0123456789abcdef.svg",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "..",
    "",
    "%20" * 32,
])
def test_a_name_avatar_digest_would_not_make_is_not_found(blog, name):
    response = blog.client.get(f"/comments/avatar/{name}.svg")
    assert response.status_code == 404
