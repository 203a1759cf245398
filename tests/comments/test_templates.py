"""Plugin templates live under comments/ so a host overrides any of them by path."""

import pytest
from jinja2 import ChoiceLoader, DictLoader

from blog.comments import Comment
from blog.extensions import db
from tests.factories import make_app, make_comment
from tests.pages import thread_of

OVERRIDE = '<div id="respond"><form id="commentform" class="host-form">Host form for {{ target.title }}</form></div>'

# One comment as a host might show it: any of its attributes, and its replies, through render_comment
# or as a template written before it was there would, including itself.
COMMENT_OVERRIDE = """<div class="host-comment" data-email-length="{{ node.comment.email | length }}">
{{- node.comment.author }}: {{ node.comment.body_raw }}
{%- for node in node.children %}REPLY{% endfor %}</div>"""
REPLIES = ["{{ render_comment(node) }}", '{% include "comments/_comment.html" %}']


def test_host_override_of_the_form_wins(app, client, post):
    app.jinja_loader = ChoiceLoader([DictLoader({"comments/_form.html": OVERRIDE}), app.jinja_loader])
    page = client.get("/hello/").get_data(as_text=True)
    assert '<form id="commentform" class="host-form">Host form for Hello world</form>' in page
    assert "Leave a Reply" not in page


@pytest.mark.parametrize("reply", REPLIES)
def test_host_override_of_a_comment_wins_for_replies_and_after_every_change(app, client, post, reply):
    override = COMMENT_OVERRIDE.replace("REPLY", reply)
    app.jinja_loader = ChoiceLoader([DictLoader({"comments/_comment.html": override}), app.jinja_loader])
    with app.app_context():
        first = make_comment(post, author="Ann", email="ann@example.org", body_raw="Hello.")
        make_comment(post, author="Bob", body_raw="A reply.", parent=first)
        first_id = first.id
    page = client.get("/hello/").get_data(as_text=True)
    assert ('<div class="host-comment" data-email-length="15">Ann: Hello.'
            '<div class="host-comment" data-email-length="18">Bob: A reply.</div></div>') in page
    assert "comment-body" not in page
    with app.app_context():  # what only the host's template shows changes: the comment is rendered again
        db.session.get(Comment, first_id).email = "ann@example.com.au"
        make_comment(post, author="Cy", body_raw="Later.")
    page = client.get("/hello/").get_data(as_text=True)
    assert '<div class="host-comment" data-email-length="18">Ann: Hello.' in page
    assert '<div class="host-comment" data-email-length="18">Cy: Later.</div>' in page



def test_a_thread_template_that_includes_each_comment_shows_the_same_thread(app, post, tmp_path):
    """As a host's _thread.html written before render_comment was there does."""
    with app.app_context():
        first = make_comment(post, author="Ann", url="https://ann.example/")
        make_comment(post, author="Bob", body_raw="A reply.", parent=first)
        source = app.jinja_env.loader.get_source(app.jinja_env, "comments/_thread.html")[0]
    written_before = source.replace("{{ render_comment(node) }}", '{% include "comments/_comment.html" %}')
    host = make_app(tmp_path / "host", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    host.jinja_loader = ChoiceLoader([DictLoader({"comments/_thread.html": written_before}), host.jinja_loader])
    threads = [thread_of(each.test_client().get("/hello/").get_data(as_text=True)) for each in (app, host)]
    assert threads[0] == threads[1] and "A reply." in threads[0]
    with host.app_context():
        db.engine.dispose()
