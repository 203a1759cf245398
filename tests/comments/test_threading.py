"""Threaded replies (DESIGN.md sections 5 and 6): nesting, the depth cap, refused parents,
``?replytocom=`` without JavaScript, and the reply script."""

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.extensions import db
from tests.factories import make_comment
from tests.pages import by_id, folded_text, has_class, parse_page

NOT_AVAILABLE = "The comment you are replying to is not available."


def child_ids(container) -> list[str]:
    """Ids of the comments directly in a list: a comment-list, or the children list of a comment's <li>."""
    if container is not None and container.tag == "li":
        container = next((ol for ol in container if ol.tag == "ol" and has_class(ol, "children")), None)
    if container is None:
        return []
    return [li.get("id") for li in container if li.tag == "li"]


def comment_list(document):
    return next(element for element in document.iter("ol") if has_class(element, "comment-list"))


def form_error(document) -> str:
    return " ".join(folded_text(p) for p in document.iter("p") if has_class(p, "form-error"))


def reply_form_state(document) -> tuple[str, str, bool]:
    """The form's heading, its hidden parent value, and whether "Cancel reply" is shown."""
    parent = by_id(document, "comment_parent")
    assert (parent.get("name"), parent.get("type")) == ("parent", "hidden")
    cancel = by_id(document, "cancel-comment-reply-link")
    return folded_text(by_id(document, "reply-title-text")), parent.get("value"), cancel.get("hidden") is None


def posted_id(response) -> int:
    """The id in the 303 to ``/hello/#comment-<id>`` an approved comment gets."""
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("/hello/#comment-")
    return int(location.rsplit("-", 1)[1])


def assert_stored_place(comment, parent_id, root_id, depth):
    assert (comment.parent_id, comment.root_id, comment.depth) == (parent_id, root_id, depth)


# Nesting


def check_reply_of_reply_nests(blog):
    top = posted_id(blog.reader.post(comment="A first thought."))
    reply = posted_id(blog.reader.post(comment="A reply.", parent=str(top)))
    deeper = posted_id(blog.reader.post(comment="A reply to the reply.", parent=str(reply)))

    assert_stored_place(blog.comment(top), None, None, 0)
    assert_stored_place(blog.comment(reply), top, top, 1)
    assert_stored_place(blog.comment(deeper), reply, top, 2)

    document = blog.page()
    assert child_ids(comment_list(document)) == [f"comment-{top}"]
    assert child_ids(by_id(document, f"comment-{top}")) == [f"comment-{reply}"]
    assert child_ids(by_id(document, f"comment-{reply}")) == [f"comment-{deeper}"]
    assert child_ids(by_id(document, f"comment-{deeper}")) == []


def test_reply_through_the_form_nests_under_its_parent(make_blog):
    check_reply_of_reply_nests(make_blog())


def test_replies_nest_on_every_database(make_blog, database_url):
    check_reply_of_reply_nests(make_blog(database_url=database_url))


def test_replies_are_listed_oldest_first_under_their_parent(make_blog):
    blog = make_blog()
    top = blog.add()
    first = posted_id(blog.reader.post(comment="First reply.", parent=str(top)))
    second = posted_id(blog.reader.post(comment="Second reply.", parent=str(top)))
    assert child_ids(by_id(blog.page(), f"comment-{top}")) == [f"comment-{first}", f"comment-{second}"]


# The depth cap


def test_reply_at_the_deepest_level_goes_beside_its_parent(make_blog):
    """With three levels, a reply to a third-level comment becomes its sibling, never a fourth level."""
    blog = make_blog(COMMENTS_THREAD_DEPTH=3)
    top = blog.add(body_raw="Level one.")
    middle = blog.add(parent=top, body_raw="Level two.")
    deepest = blog.add(parent=middle, body_raw="Level three.")

    reply = posted_id(blog.reader.post(comment="Replying to level three.", parent=str(deepest)))

    assert_stored_place(blog.comment(reply), middle, top, 2)
    document = blog.page()
    assert child_ids(by_id(document, f"comment-{middle}")) == [f"comment-{deepest}", f"comment-{reply}"]
    assert child_ids(by_id(document, f"comment-{deepest}")) == []


def test_reply_above_the_deepest_level_still_nests(make_blog):
    blog = make_blog(COMMENTS_THREAD_DEPTH=3)
    top = blog.add()
    middle = blog.add(parent=top)
    reply = posted_id(blog.reader.post(comment="Replying to level two.", parent=str(middle)))
    assert_stored_place(blog.comment(reply), middle, top, 2)


def test_thread_depth_one_makes_every_reply_top_level(make_blog):
    blog = make_blog(COMMENTS_THREAD_DEPTH=1)
    top = blog.add()
    reply = posted_id(blog.reader.post(comment="Flat reply.", parent=str(top)))

    assert_stored_place(blog.comment(reply), None, None, 0)
    document = blog.page()
    assert child_ids(comment_list(document)) == [f"comment-{top}", f"comment-{reply}"]
    assert not [ol for ol in document.iter("ol") if has_class(ol, "children")]


# Refused parents


GARBAGE_PARENTS = ["-1", "abc", "1.5", "²", "٣", "+1", "1e0", "0x1", "1 2", "9" * 5000, "9" * 20]


@pytest.mark.parametrize("case", ["other post", "pending", "spam", "trash", "nonexistent", *GARBAGE_PARENTS])
def test_unavailable_parent_is_refused(make_blog, case):
    """Nothing is stored and the form says why; garbage is refused even where a lax parser would find id 1, 2 or 3."""
    blog = make_blog()
    for _ in range(3):
        blog.add()  # ids 1 to 3 exist and are approved
    statuses = {"pending": CommentStatus.PENDING, "spam": CommentStatus.SPAM, "trash": CommentStatus.TRASH}
    if case == "other post":
        parent = str(blog.add(key=f"post-{int(blog.key.split('-')[1]) + 1}"))
    elif case in statuses:
        parent = str(blog.add(status=statuses[case]))
    elif case == "nonexistent":
        parent = "999"
    else:
        parent = case
    before = len(blog.comments())

    response = blog.reader.post(comment="A reply to nothing.", parent=parent)

    assert response.status_code == 400
    assert form_error(parse_page(response)) == NOT_AVAILABLE
    assert len(blog.comments()) == before


@pytest.mark.parametrize("parent", ["0", "", " 0 ", None])
def test_zero_empty_or_missing_parent_means_top_level(make_blog, parent):
    blog = make_blog()
    blog.add()
    comment = posted_id(blog.reader.post(comment="On the post itself.", parent=parent))
    assert_stored_place(blog.comment(comment), None, None, 0)


def test_parent_with_surrounding_spaces_is_accepted(make_blog):
    """forms.parse_id trims the value, as browsers and proxies may pad it."""
    blog = make_blog()
    top = blog.add()
    reply = posted_id(blog.reader.post(comment="Padded parent.", parent=f" {top} "))
    assert_stored_place(blog.comment(reply), top, top, 1)


def test_refused_parent_message_is_dutch(make_blog):
    blog = make_blog()
    response = blog.reader.post(comment="Antwoord.", parent="999", language="nl")
    assert response.status_code == 400
    assert form_error(parse_page(response)) == "De reactie waarop u antwoordt is niet beschikbaar."


# ?replytocom= without JavaScript


@pytest.mark.parametrize("language, heading, cancel", [
    ("en", "Leave a Reply to Ann Example", "Cancel reply"),
    ("nl", "Laat een reactie achter op Ann Example", "Reactie annuleren"),
])
def test_replytocom_prepares_the_form_without_javascript(make_blog, language, heading, cancel):
    blog = make_blog()
    blog.add(author="Someone Else")
    target = blog.add(author="Ann Example")
    document = blog.page(f"/hello/?replytocom={target}", language)
    assert reply_form_state(document) == (heading, str(target), True)
    assert folded_text(by_id(document, "cancel-comment-reply-link")) == cancel


def test_replytocom_works_for_a_reply(make_blog):
    blog = make_blog()
    top = blog.add(author="Ann")
    reply = blog.add(parent=top, author="Bob")
    assert reply_form_state(blog.page(f"/hello/?replytocom={reply}")) == ("Leave a Reply to Bob", str(reply), True)


@pytest.mark.parametrize("case", ["pending", "spam", "trash", "other post", "nonexistent", "0", "", "-1", "abc",
                                  "1.5", "²", "9" * 5000])
def test_unusable_replytocom_is_ignored(make_blog, case):
    blog = make_blog()
    blog.add(author="Ann")  # id 1, approved: what a lax parser might pick
    statuses = {"pending": CommentStatus.PENDING, "spam": CommentStatus.SPAM, "trash": CommentStatus.TRASH}
    if case in statuses:
        value = blog.add(author="Held Author", status=statuses[case])
    elif case == "other post":
        value = blog.add(author="Elsewhere", key=f"post-{int(blog.key.split('-')[1]) + 1}")
    elif case == "nonexistent":
        value = 999
    else:
        value = case
    assert reply_form_state(blog.page(f"/hello/?replytocom={value}")) == ("Leave a Reply", "0", False)


def test_plain_page_has_a_plain_form(make_blog):
    blog = make_blog()
    blog.add()
    assert reply_form_state(blog.page()) == ("Leave a Reply", "0", False)


def test_every_approved_comment_has_a_reply_link_and_held_ones_none(app, post, reader):
    """The author of a held comment sees it, but cannot be replied to until it is approved."""
    with app.app_context():
        top = make_comment(post, author="Ann")
        reply = make_comment(post, parent=top, author="Bob")
        approved = [top.id, reply.id]
    assert reader.post(comment="My first comment, held.").status_code == 303  # first-time moderation holds it
    with app.app_context():
        held = db.session.scalar(select(Comment.id).where(Comment.status == CommentStatus.PENDING))

    document = parse_page(reader.get("/hello/"))

    for comment_id in approved:
        links = [a for a in by_id(document, f"div-comment-{comment_id}").iter("a")
                 if has_class(a, "comment-reply-link")]
        assert len(links) == 1
        assert f"replytocom={comment_id}#respond" in links[0].get("href")
        assert links[0].get("data-comment-id") == str(comment_id)
    held_item = by_id(document, f"comment-{held}")
    assert held_item is not None and has_class(held_item, "comment-held")
    assert not [a for a in held_item.iter("a") if has_class(a, "comment-reply-link")]


def test_reply_link_leads_to_a_prepared_form(make_blog):
    """Following the link a reader without JavaScript clicks gives the form for that comment."""
    blog = make_blog()
    target = blog.add(author="Ann")
    link = next(a for a in blog.page().iter("a") if has_class(a, "comment-reply-link"))
    path = link.get("href").split("#")[0]
    assert reply_form_state(blog.page(path)) == ("Leave a Reply to Ann", str(target), True)


def test_reply_keeps_its_heading_after_a_form_error(make_blog):
    """A reply with a missing field comes back still answering the same comment."""
    blog = make_blog()
    target = blog.add(author="Ann")
    response = blog.reader.post(comment="", parent=str(target))
    assert response.status_code == 400
    assert reply_form_state(parse_page(response)) == ("Leave a Reply to Ann", str(target), True)


# The reply script


def test_reply_script_is_served(make_blog):
    blog = make_blog()
    blog.add()
    sources = [script.get("src") for script in blog.page().iter("script") if script.get("src")]
    [source] = [src for src in sources if src.split("?")[0].endswith("/reply.js")]
    with blog.client.get(source) as response:
        assert response.status_code == 200
        assert response.mimetype in {"text/javascript", "application/javascript"}
        assert "comment_parent" in response.get_data(as_text=True)


def test_page_stylesheets_and_scripts_are_all_served(make_blog):
    blog = make_blog()
    blog.add()
    document = blog.page()
    urls = [script.get("src") for script in document.iter("script") if script.get("src")]
    urls += [link.get("href") for link in document.iter("link") if link.get("rel") == "stylesheet"]
    assert urls
    statuses = {}
    for url in urls:
        with blog.client.get(url) as response:  # closes the file a static response holds open
            statuses[url] = response.status_code
    assert statuses == {url: 200 for url in urls}


@pytest.mark.parametrize("path", ["/hello/", "/hello/?replytocom=1"])
def test_page_has_no_inline_script(make_blog, path):
    """The Content-Security-Policy forbids inline script, so the reply behaviour must come from a file."""
    blog = make_blog()
    top = blog.add()
    blog.add(parent=top)
    scripts = list(blog.page(path).iter("script"))
    assert scripts
    for script in scripts:
        assert script.get("src") or script.get("type") == "application/ld+json", script.text
