"""How comments are shown (DESIGN.md sections 5, 6 and 12): the list, the count, the form and its
accessibility, pagination, dates, the home page's counts, and valid HTML5, in English and Dutch."""

from datetime import datetime, timedelta, timezone

import html5lib
import pytest

from blog.comments import Comment, CommentStatus
from blog.comments.moderation import apply_action
from blog.extensions import db
from tests.pages import by_id, folded_text, parents_of, parse_page, with_class

START = datetime(2026, 3, 5, 14, 30, tzinfo=timezone.utc)


def own_text(element) -> str:
    """An element's text without its children's, e.g. a label without its required-field star."""
    return " ".join((element.text or "").split())


def top_level_ids(document) -> list[int]:
    lists = with_class(document, "ol", "comment-list")
    return [int(li.get("id").removeprefix("comment-")) for li in lists[0] if li.tag == "li"] if lists else []


def shown_ids(document) -> list[int]:
    """Every comment on the page, replies included, in document order."""
    return [int(li.get("id").removeprefix("comment-")) for li in with_class(document, "li", "comment")]


def count_heading(document) -> str | None:
    headings = with_class(document, "h2", "comments-title")
    return folded_text(headings[0]) if headings else None


def field(document, name):
    form = by_id(document, "commentform")
    return next(element for element in form.iter() if element.get("name") == name)


def label_for(document, field_id):
    return next(label for label in document.iter("label") if label.get("for") == field_id)


# The list


def test_approved_comments_are_listed_oldest_first(blog):
    """Order is by date, not by id: an imported older comment can have a higher id."""
    late = blog.add(body_raw="Late.", created_at=START + timedelta(hours=2))
    early = blog.add(body_raw="Early.", created_at=START)
    middle = blog.add(body_raw="Middle.", created_at=START + timedelta(hours=1))
    late_reply = blog.add(parent=early, created_at=START + timedelta(hours=4))
    early_reply = blog.add(parent=early, created_at=START + timedelta(hours=3))
    document = blog.page()
    assert top_level_ids(document) == [early, middle, late]
    assert shown_ids(document) == [early, early_reply, late_reply, middle, late]


def test_comment_shows_author_time_and_sanitized_text(blog):
    comment_id = blog.add(author="Ann <em>& Co</em>", created_at=START,
                          body_raw='Hi <b>bold</b> <script>alert(1)</script> <a href="javascript:alert(2)">x</a>')
    item = by_id(blog.page(), f"comment-{comment_id}")
    assert item.tag == "li"

    author = with_class(item, "div", "comment-author")[0]
    assert folded_text(author) == "Ann <em>& Co</em> says:"
    assert not list(author.iter("em"))

    [time] = item.iter("time")
    assert datetime.fromisoformat(time.get("datetime")) == START
    assert time.get("datetime") == "2026-03-05T14:30:00+00:00"

    [content] = with_class(item, "div", "comment-content")
    assert [b.text for b in content.iter("b")] == ["bold"]
    assert not list(content.iter("script"))
    assert all(not (a.get("href") or "").startswith("javascript:") for a in content.iter("a"))


def test_author_with_a_url_is_an_external_ugc_link(blog):
    comment_id = blog.add(author="Ann", url="https://ann.example/blog?a=1&b=2")
    author = with_class(by_id(blog.page(), f"comment-{comment_id}"), "div", "comment-author")[0]
    [link] = author.iter("a")
    assert link.get("href") == "https://ann.example/blog?a=1&b=2"
    assert link.get("rel") == "external nofollow ugc"
    assert folded_text(link) == "Ann"


def test_author_without_a_url_is_not_a_link(blog):
    comment_id = blog.add(author="Ann", url="")
    author = with_class(by_id(blog.page(), f"comment-{comment_id}"), "div", "comment-author")[0]
    assert not list(author.iter("a"))
    assert folded_text(author) == "Ann says:"


def test_unapproved_comments_are_hidden_from_other_readers(blog):
    approved = blog.add(body_raw="Approved words.")
    for status in (CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH):
        blog.add(body_raw=f"Words that are {status.value}.", status=status)
    response = blog.get()
    document = parse_page(response)
    assert shown_ids(document) == [approved]
    assert "Words that are" not in response.get_data(as_text=True)
    assert count_heading(document) == "One thought on “Hello world”"


def test_held_comment_is_shown_to_its_author_alone(app, post, reader):
    assert reader.post(comment="Held for moderation.").status_code == 303  # a first comment is held
    assert "Held for moderation." in reader.client.get("/hello/").get_data(as_text=True)
    stranger = app.test_client().get("/hello/")
    assert "Held for moderation." not in stranger.get_data(as_text=True)
    assert count_heading(parse_page(stranger)) is None


def test_heading_counts_what_the_list_shows_when_a_parent_is_trashed(blog):
    parent = blog.add(author="Ann")
    blog.add(parent=parent, author="Bob", body_raw="Still approved.")
    with blog.app.app_context():
        apply_action("trash", db.session.get(Comment, parent), "tester")
        db.session.commit()
    document = blog.page()
    heading = count_heading(document)
    counted = 0 if heading is None else 1 if heading.startswith("One ") else int(heading.split()[0])
    assert counted == len(shown_ids(document))



def test_every_count_is_what_the_thread_shows_on_every_database(make_blog, database_url):
    """The byline, the heading, the home page and the page links count alike on each database: approved
    comments, less the approved replies under a top-level comment that is not approved, and pages of the
    approved top-level comments (blog.comments.models.thread_counts)."""
    blog = make_blog(database_url=database_url, COMMENTS_PER_PAGE=2)
    for number in range(3):
        top = blog.add(author=f"Top {number}")
        blog.add(parent=blog.add(parent=top), author="Replying")
    held = blog.add(status=CommentStatus.PENDING)
    blog.add(parent=held, author="Under a held one")
    removed = blog.add(author="Removed later")
    blog.add(parent=removed, author="Under a removed one")
    blog.add(status=CommentStatus.SPAM)
    with blog.app.app_context():
        apply_action("trash", db.session.get(Comment, removed), "tester")
        db.session.commit()
    pages = [blog.page(), blog.page("/hello/?comments_page=2")]
    assert sum(len(shown_ids(page)) for page in pages) == 9
    assert count_heading(pages[0]) == "9 thoughts on “Hello world”"
    assert folded_text(with_class(pages[0], "span", "comments-link")[0]) == "| 9 comments"
    home_links = {link.find("a").get("href"): folded_text(link)
                  for link in with_class(parse_page(blog.get("/")), "span", "comments-link")}
    assert home_links["/hello/#comments"] == "| 9 comments"
    assert blog.get("/hello/?comments_page=3").status_code == 404


# The count heading


@pytest.mark.parametrize("language, replies, heading", [
    ("en", 0, "One thought on “Hello world”"),
    ("en", 1, "2 thoughts on “Hello world”"),
    ("en", 4, "5 thoughts on “Hello world”"),
    ("nl", 0, "Eén reactie op “Hello world”"),
    ("nl", 1, "2 reacties op “Hello world”"),
    ("nl", 4, "5 reacties op “Hello world”"),
])
def test_count_heading_counts_comments_and_replies(blog, language, replies, heading):
    parent = blog.add()
    for _ in range(replies):
        parent = blog.add(parent=parent)
    blog.add(status=CommentStatus.PENDING)
    assert count_heading(blog.page(language=language)) == heading


@pytest.mark.parametrize("language", ["en", "nl"])
def test_no_count_heading_without_approved_comments(blog, language):
    blog.add(status=CommentStatus.PENDING)
    document = blog.page(language=language)
    assert count_heading(document) is None
    assert not with_class(document, "ol", "comment-list")


# The form's wording


FORM_WORDING = {
    "en": {
        "heading": "Leave a Reply",
        "notes": "Your email address will not be published. Required fields are marked *",
        "labels": {"comment": "Comment", "author": "Name", "email": "Email", "url": "Website",
                   "remember": "Save my name, email, and website in this browser for the next time I comment."},
        "button": "Post Comment",
        "says": "Ann says:",
        "reply": "Reply",
    },
    "nl": {
        "heading": "Laat een reactie achter",
        "notes": "Uw e-mailadres wordt niet gepubliceerd. Vereiste velden zijn gemarkeerd met *",
        "labels": {"comment": "Reactie", "author": "Naam", "email": "E-mail", "url": "Site",
                   "remember": "Mijn naam, e-mail en site in deze browser opslaan voor de volgende keer "
                               "wanneer ik een reactie plaats."},
        "button": "Reactie plaatsen",
        "says": "Ann schreef:",
        "reply": "Beantwoorden",
    },
}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_form_wording(blog, language):
    wording = FORM_WORDING[language]
    comment_id = blog.add(author="Ann")
    document = blog.page(language=language)

    assert folded_text(by_id(document, "reply-title-text")) == wording["heading"]
    [notes] = with_class(document, "p", "comment-notes")
    assert folded_text(notes) == wording["notes"]
    assert {name: own_text(label_for(document, name)) for name in wording["labels"]} == wording["labels"]
    [button] = [b for b in by_id(document, "commentform").iter("button") if b.get("type") == "submit"]
    assert folded_text(button) == wording["button"]

    item = by_id(document, f"div-comment-{comment_id}")
    assert folded_text(with_class(item, "div", "comment-author")[0]) == wording["says"]
    assert [folded_text(a) for a in with_class(item, "a", "comment-reply-link")] == [wording["reply"]]


@pytest.mark.parametrize("language, required, comment_missing, bad_email", [
    ("en", "Please fill the required fields.", "Please type your comment text.",
     "Please enter a valid email address."),
    ("nl", "Vul alstublieft de vereiste velden in.", "Typ alstublieft uw reactie.",
     "Voer alstublieft een geldig e-mailadres in."),
])
def test_error_messages_in_both_languages(blog, language, required, comment_missing, bad_email):
    empty = blog.reader.post(language=language, author="", email="", comment="")
    assert empty.status_code == 400
    document = parse_page(empty)
    assert folded_text(by_id(document, "comment-error")) == comment_missing
    assert folded_text(by_id(document, "author-error")) == required
    assert folded_text(by_id(document, "email-error")) == required
    assert folded_text(by_id(document, "reply-title-text")) == FORM_WORDING[language]["heading"]

    wrong = blog.reader.post(language=language, email="not an address")
    assert wrong.status_code == 400
    assert folded_text(by_id(parse_page(wrong), "email-error")) == bad_email


# The form's fields


def test_form_fields_have_wordpress_names_and_limits(blog):
    document = blog.page()
    form = by_id(document, "commentform")
    # The page again, with the form's message, opens at it (blog.comments.templates _form.html).
    assert (form.get("method"), form.get("action")) == ("post", "/hello/comments#form-error")
    names = {element.get("name") for element in form.iter() if element.tag in {"input", "textarea", "select"}}
    # WordPress's names, the reply-notice box, and the two bot traps: the honeypot and the signed time
    # the form was served.
    assert names == {"author", "email", "url", "comment", "parent", "remember", "notify", "csrf_token", "homepage",
                     "issued"}

    assert {name: field(document, name).get("maxlength") for name in ("author", "email", "url", "comment")} == {
        "author": "245", "email": "100", "url": "200", "comment": "65525"}
    for name in ("comment", "author", "email"):
        assert field(document, name).get("required") is not None, name
        assert field(document, name).get("aria-required") == "true", name
    assert field(document, "url").get("required") is None
    assert {name: field(document, name).get("autocomplete") for name in ("author", "email", "url")} == {
        "author": "name", "email": "email", "url": "url"}
    assert field(document, "email").get("type") == "email"
    assert field(document, "remember").get("type") == "checkbox"
    assert (field(document, "parent").get("type"), field(document, "parent").get("value")) == ("hidden", "0")


def test_every_visible_field_has_a_label(blog):
    document = blog.page()
    parents = parents_of(document)
    labelled = {label.get("for") for label in document.iter("label")}

    def hidden_from_people(element):
        while element is not None:
            if element.get("aria-hidden") == "true" or element.get("hidden") is not None:
                return True
            element = parents.get(element)
        return False

    visible = [element for element in by_id(document, "commentform").iter()
               if element.tag in {"input", "textarea", "select"}
               and element.get("type") != "hidden" and not hidden_from_people(element)]
    assert {element.get("name") for element in visible} == {"comment", "author", "email", "url", "remember", "notify"}
    for element in visible:
        assert element.get("id") in labelled, element.get("name")


def test_honeypot_is_hidden_from_people_and_keyboards(blog):
    document = blog.page()
    parents = parents_of(document)
    [honeypot] = [element for element in by_id(document, "commentform").iter("input")
                  if element.get("name") == "homepage"]
    assert honeypot.get("tabindex") == "-1"
    assert honeypot.get("autocomplete") == "off"
    container = parents[honeypot]
    while container is not None and container.get("aria-hidden") != "true":
        container = parents.get(container)
    assert container is not None, "the honeypot is not inside an aria-hidden container"


def test_invalid_fields_are_marked_and_described(blog):
    response = blog.reader.post(comment="", author="", email="not an address", url="")
    assert response.status_code == 400
    document = parse_page(response)
    messages = {"comment": "Please type your comment text.", "author": "Please fill the required fields.",
                "email": "Please enter a valid email address."}
    for name, message in messages.items():
        element = field(document, name)
        assert element.get("aria-invalid") == "true", name
        described = [by_id(document, ref) for ref in (element.get("aria-describedby") or "").split()]
        assert message in [folded_text(ref) for ref in described if ref is not None], name
    assert field(document, "url").get("aria-invalid") is None
    assert field(document, "email").get("value") == "not an address"  # the input is kept
    assert [element.get("name") for element in document.iter() if element.get("autofocus") is not None] == [
        "comment"]


def test_first_invalid_field_gets_the_focus(blog):
    response = blog.reader.post(comment="Fine.", author="Ann", email="nope", url="ftp://example.org/")
    assert response.status_code == 400
    document = parse_page(response)
    assert field(document, "url").get("aria-invalid") == "true"
    assert [element.get("name") for element in document.iter() if element.get("autofocus") is not None] == [
        "email"]


def test_valid_form_has_no_error_marks(blog):
    document = blog.page()
    assert not [element for element in document.iter() if element.get("aria-invalid") is not None]
    assert not [element for element in document.iter() if element.get("autofocus") is not None]
    assert field(document, "email").get("aria-describedby") == "email-notes"


# Pagination of top-level comments


def fill_pages(blog):
    """Five top-level comments two to a page, oldest first (ids out of date order, as after an import);
    the first and third have replies, one posted after all five."""
    dated = {blog.add(body_raw=f"Top {n}.", created_at=START + timedelta(minutes=n)): n for n in (3, 0, 4, 1, 2)}
    tops = sorted(dated, key=dated.get)
    first_reply = blog.add(parent=tops[0], created_at=START + timedelta(minutes=10))
    deeper = blog.add(parent=first_reply, created_at=START + timedelta(minutes=11))
    late_reply = blog.add(parent=tops[2], created_at=START + timedelta(minutes=12))
    return blog, tops, {"first": first_reply, "deeper": deeper, "late": late_reply}


@pytest.fixture
def paged(make_blog):
    return fill_pages(make_blog(COMMENTS_PER_PAGE=2))


def navigation(document, rel):
    """(text, href) of the comment navigation's links with this rel."""
    return [(folded_text(a), a.get("href")) for nav in with_class(document, "nav", "comment-navigation")
            for a in nav.iter("a") if a.get("rel") == rel]


def test_first_page_shows_the_oldest_comments_with_their_replies(paged):
    blog, tops, replies = paged
    document = blog.page()
    assert top_level_ids(document) == tops[:2]
    assert shown_ids(document) == [tops[0], replies["first"], replies["deeper"], tops[1]]
    assert navigation(document, "next") == [("Newer Comments", "/hello/?comments_page=2#comments")]
    assert navigation(document, "prev") == []


def test_middle_page_links_both_ways_and_keeps_replies_with_their_parent(paged):
    blog, tops, replies = paged
    document = blog.page("/hello/?comments_page=2")
    assert top_level_ids(document) == tops[2:4]
    assert shown_ids(document) == [tops[2], replies["late"], tops[3]]
    assert navigation(document, "prev") == [("Older Comments", "/hello/#comments")]
    assert navigation(document, "next") == [("Newer Comments", "/hello/?comments_page=3#comments")]


def test_last_page_links_back(paged):
    blog, tops, _ = paged
    document = blog.page("/hello/?comments_page=3")
    assert shown_ids(document) == [tops[4]]
    assert navigation(document, "prev") == [("Older Comments", "/hello/?comments_page=2#comments")]
    assert navigation(document, "next") == []


def test_every_page_shows_its_comments_on_every_database(make_blog, database_url):
    blog, tops, replies = fill_pages(make_blog(database_url=database_url, COMMENTS_PER_PAGE=2))
    pages = [blog.page(f"/hello/?comments_page={number}") for number in (1, 2, 3)]
    assert [shown_ids(document) for document in pages] == [
        [tops[0], replies["first"], replies["deeper"], tops[1]], [tops[2], replies["late"], tops[3]], [tops[4]]]
    assert {count_heading(document) for document in pages} == {"8 thoughts on “Hello world”"}
    assert blog.get("/hello/?comments_page=4").status_code == 404


def test_count_heading_counts_every_page(paged):
    blog, _, _ = paged
    assert count_heading(blog.page("/hello/?comments_page=3")) == "8 thoughts on “Hello world”"


def test_pagination_links_in_dutch(paged):
    blog, _, _ = paged
    document = blog.page("/hello/?comments_page=2", language="nl")
    assert navigation(document, "prev") == [("Oudere reacties", "/hello/#comments")]
    assert navigation(document, "next") == [("Nieuwere reacties", "/hello/?comments_page=3#comments")]


def test_no_pagination_links_on_a_single_page(blog):
    blog.add()
    document = blog.page()
    assert not with_class(document, "nav", "comment-navigation")


@pytest.mark.parametrize("value", ["0", "-1", "x", "", "1.5", "²", "2 ", "9" * 15, "9" * 19, "9" * 5000])
def test_nonsense_comments_page_shows_a_page_of_the_thread(paged, value):
    """Nonsense, and numbers past any id, mean the first page."""
    blog, tops, _ = paged
    response = blog.get(f"/hello/?comments_page={value}")
    assert response.status_code == 200
    document = parse_page(response)
    assert top_level_ids(document) in (tops[:2], tops[2:4])
    assert by_id(document, "commentform") is not None


@pytest.mark.parametrize("value", ["4", "99", "1000000", "2147483647"])
def test_a_comments_page_past_the_last_is_not_found(paged, value):
    """As WordPress answers it: not a page without comments that links back to the last one."""
    blog, _, _ = paged
    assert blog.get(f"/hello/?comments_page={value}").status_code == 404


def test_a_thread_without_comments_has_its_first_page_only(blog):
    assert blog.get("/hello/").status_code == 200
    assert blog.get("/hello/?comments_page=1").status_code == 200
    assert blog.get("/hello/?comments_page=2").status_code == 404


@pytest.mark.parametrize("value", ["999999999999999999", "9" * 17, "184467440737095517"])
def test_huge_comments_page_with_the_default_page_size_is_not_an_error(make_blog, value):
    """At 50 a page, (page - 1) * 50 for an 18-digit page overflows a 64-bit SQL OFFSET."""
    blog = make_blog(PROPAGATE_EXCEPTIONS=False)
    blog.add()
    assert blog.get(f"/hello/?comments_page={value}").status_code == 200


def page_numbers(document) -> list[tuple[str, str | None]]:
    """The numbered page links, in order: (text, href), href None for the current page and a gap."""
    return [(folded_text(element), element.get("href")) for nav in with_class(document, "nav", "comment-navigation")
            for element in nav.iter() if "page-numbers" in (element.get("class") or "").split()]


def test_page_links_show_numbers_around_the_current_page(make_blog):
    """As WordPress's paginate_comments_links: the first and last page, two either side of the current
    one, a gap (…) between, the current page marked and not a link."""
    blog = make_blog(COMMENTS_PER_PAGE=1)
    for _ in range(9):
        blog.add()
    document = blog.page("/hello/?comments_page=5")
    assert page_numbers(document) == [
        ("1", "/hello/#comments"), ("…", None), ("3", "/hello/?comments_page=3#comments"),
        ("4", "/hello/?comments_page=4#comments"), ("5", None), ("6", "/hello/?comments_page=6#comments"),
        ("7", "/hello/?comments_page=7#comments"), ("…", None), ("9", "/hello/?comments_page=9#comments")]
    current = [span for span in document.iter("span") if span.get("aria-current") == "page"]
    assert [folded_text(span) for span in current] == ["5"]
    assert page_numbers(blog.page("/hello/"))[:3] == [
        ("1", None), ("2", "/hello/?comments_page=2#comments"), ("3", "/hello/?comments_page=3#comments")]


def test_redirect_after_posting_leads_to_the_page_showing_the_comment(paged):
    blog, tops, _ = paged
    response = blog.reader.post(comment="Answering the fifth.", parent=str(tops[4]))
    assert response.status_code == 303
    location = response.headers["Location"]
    comment_id = int(location.rsplit("-", 1)[1])
    assert shown_ids(blog.page(location.split("#")[0])).count(comment_id) == 1


# Dates


@pytest.mark.parametrize("language, shown", [
    ("en", "March 5, 2026 at 2:30\u202fPM"),  # CLDR puts a narrow no-break space before PM
    ("nl", "5 maart 2026 om 14:30"),
])
def test_comment_dates_are_localized(blog, language, shown):
    comment_id = blog.add(created_at=START)
    [time] = by_id(blog.page(language=language), f"comment-{comment_id}").iter("time")
    assert "".join(time.itertext()) == shown
    assert time.get("datetime") == "2026-03-05T14:30:00+00:00"


# The home page


@pytest.mark.parametrize("language, approved, shown", [
    ("en", 0, "0 comments"), ("en", 1, "1 comment"), ("en", 2, "2 comments"),
    ("nl", 0, "0 reacties"), ("nl", 1, "1 reactie"), ("nl", 2, "2 reacties"),
])
def test_home_page_shows_the_approved_comment_count(blog, language, approved, shown):
    parent = None
    for _ in range(approved):
        parent = blog.add(parent=parent)  # a reply counts too
    blog.add(status=CommentStatus.PENDING)
    blog.add(status=CommentStatus.SPAM)
    document = blog.page("/", language=language)
    links = [folded_text(a) for a in document.iter("a") if a.get("href") == "/hello/#comments"]
    assert links == [shown]


# Valid HTML5


def assert_valid_html5(response):
    """html5lib in strict mode raises on the first parse error."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(response.get_data(as_text=True))


@pytest.mark.parametrize("language", ["en", "nl"])
def test_post_page_with_comments_is_valid_html5(paged, language):
    blog, tops, _ = paged
    with blog.app.app_context():
        db.session.get(Comment, tops[1]).url = "https://ann.example/?a=1&b=<2>"
        db.session.commit()
    for path in ("/hello/", "/hello/?comments_page=2", f"/hello/?replytocom={tops[0]}"):
        response = blog.get(path, language)
        assert response.status_code == 200
        assert_valid_html5(response)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_post_page_with_an_error_form_is_valid_html5(blog, language):
    top = blog.add()
    response = blog.reader.post(language=language, author="", email="<bad>", url="javascript:x",
                                comment="", parent=str(top))
    assert response.status_code == 400
    assert_valid_html5(response)


def test_post_page_with_a_held_comment_is_valid_html5(app, post, reader):
    reader.post(comment="Waiting <b>here</b>.")
    assert_valid_html5(reader.client.get("/hello/"))
