"""Avatars (blog.comments.avatars): an identicon of our own, named by an HMAC of the email under the site's
secret, shown beside each comment and in the moderation queue; Gravatar only when the operator asks."""

import hashlib
import re
from xml.etree import ElementTree

import pytest

from blog.comments import Comment
from blog.comments.avatars import avatar_url
from blog.comments.moderation import edit_comment
from blog.comments.submission import reply_as_moderator
from blog.extensions import db
from tests.comments.test_privacy import CANARY, CANARY_MIXED_CASE, HASH_PREFIX, find_traces
from tests.factories import make_admin, make_app
from tests.pages import by_id, parse_page
from tests.readers import AdminActions

SVG = "{http://www.w3.org/2000/svg}"
AVATAR = re.compile(r"/comments/avatar/[0-9a-f]{32}\.svg")
ONE_YEAR = 365 * 24 * 3600


def url_of(app, email, **options) -> str:
    with app.test_request_context():
        return avatar_url(email, **options)


def gravatar_of(email: str) -> str:
    return f"https://www.gravatar.com/avatar/{hashlib.sha256(email.encode()).hexdigest()}?d=identicon&s=80"


def avatar_src(tree, element_id) -> dict[str, str]:
    """The attributes of the avatar in the element with this id (a comment's own article, a queue row)."""
    [image] = [element for element in by_id(tree, element_id).iter("img") if "avatar" in element.get("class", "")]
    return dict(image.attrib)


def queue(blog):
    """The queue of approved comments, as a signed-in moderator is shown it."""
    with blog.app.app_context():
        make_admin()
    moderator = AdminActions(blog.app.test_client())
    moderator.login()
    response = moderator.client.get("/admin/comments", query_string={"status": "approved"})
    assert response.status_code == 200
    return response


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


# --- where it shows --------------------------------------------------------------------------------------------

def test_the_avatar_route_is_the_plugins_own(host_app):
    """A host with nothing but the plugin serves identicons and shows them."""
    client = host_app.test_client()
    with host_app.app_context():
        db.session.add(Comment(target_key="page-about", author="Ann", email=CANARY, body_raw="Hi.",
                               body_html="<p>Hi.</p>", status="approved"))
        db.session.commit()
    page = client.get("/about/").get_data(as_text=True)
    [path] = AVATAR.findall(page)
    assert path == url_of(host_app, CANARY)
    assert client.get(path).headers["Content-Type"] == "image/svg+xml"


def test_each_comment_shows_its_authors_avatar_as_decoration(blog):
    ann, bob = blog.add(email="Ann@Example.org"), blog.add(email="bob@example.org")
    reply = blog.add(parent=ann, email="ann@example.org ")
    tree = blog.page()
    for comment_id, email in ((ann, "ann@example.org"), (bob, "bob@example.org"), (reply, "ann@example.org")):
        image = avatar_src(tree, f"div-comment-{comment_id}")
        assert image == {"class": "avatar", "src": url_of(blog.app, email), "alt": "", "width": "40", "height": "40",
                         "loading": "lazy", "decoding": "async"}


def test_a_moderators_reply_shows_the_sites_avatar(make_blog):
    blog = make_blog(COMMENTS_SITE_EMAIL="team@blog.example.org")
    question = blog.add(email="ann@example.org")
    with blog.app.app_context():
        reply_id = reply_as_moderator(db.session.get(Comment, question), "We agree.", "Site Team").id
        db.session.commit()
    assert avatar_src(blog.page(), f"div-comment-{reply_id}")["src"] == url_of(blog.app, "team@blog.example.org")


def test_a_kept_rendering_shows_the_avatar_of_the_address_the_comment_has_now(blog):
    """The kept renderings of comments are keyed by their rows, which hold the address."""
    comment_id = blog.add(email="old@example.org")
    assert avatar_src(blog.page(), f"div-comment-{comment_id}")["src"] == url_of(blog.app, "old@example.org")
    with blog.app.app_context():
        edit_comment(db.session.get(Comment, comment_id), "Reader", "new@example.org", "", "A comment.", "tester")
        db.session.commit()
    assert avatar_src(blog.page(), f"div-comment-{comment_id}")["src"] == url_of(blog.app, "new@example.org")


def test_the_moderation_queue_shows_each_commenters_avatar(blog):
    comment_id = blog.add(email="Ann@Example.org")
    image = avatar_src(parse_page(queue(blog)), f"queue-comment-{comment_id}")
    assert (image["src"], image["alt"]) == (url_of(blog.app, "ann@example.org"), "")


def test_with_gravatar_on_pages_and_queue_show_gravatars_picture(make_blog):
    blog = make_blog(COMMENTS_GRAVATAR=True)
    comment_id = blog.add(email="Ann@Example.org")
    assert avatar_src(blog.page(), f"div-comment-{comment_id}")["src"] == gravatar_of("ann@example.org")
    assert avatar_src(parse_page(queue(blog)), f"queue-comment-{comment_id}")["src"] == gravatar_of("ann@example.org")


def test_gravatars_picture_gives_the_address_away_as_the_privacy_checks_see_it(make_blog):
    """What COMMENTS_GRAVATAR costs, and proof that the privacy checks would see it: the page then holds
    the SHA-256 of the address, which anyone can test guessed addresses against."""
    blog = make_blog(COMMENTS_GRAVATAR=True)
    blog.add(email=CANARY_MIXED_CASE)
    assert find_traces(blog.get().get_data(as_text=True)) == [hashlib.sha256(CANARY.encode()).hexdigest()[:HASH_PREFIX]]


def test_with_gravatar_off_no_page_mentions_it(blog):
    comment_id = blog.add(email="Ann@Example.org")
    responses = [blog.get(path) for path in ("/", "/hello/", "/hello/feed/", "/comments/feed/", "/feed/")]
    responses.append(queue(blog))
    responses.append(blog.get(avatar_src(blog.page(), f"div-comment-{comment_id}")["src"]))
    for response in responses:
        assert response.status_code == 200
        assert "gravatar" not in response.get_data(as_text=True).lower()
