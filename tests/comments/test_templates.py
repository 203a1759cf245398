"""Plugin templates live under comments/ so a host overrides any of them by path."""

from jinja2 import ChoiceLoader, DictLoader

from blog.comments import Comment
from blog.extensions import db
from tests.factories import make_comment

OVERRIDE = '<div id="respond"><form id="commentform" class="host-form">Host form for {{ target.title }}</form></div>'

# One comment as a host might show it: any of its attributes, and its replies through render_comment.
COMMENT_OVERRIDE = """<div class="host-comment" data-email-length="{{ node.comment.email | length }}">
{{- node.comment.author }}: {{ node.comment.body_raw }}
{%- for node in node.children %}{{ render_comment(node) }}{% endfor %}</div>"""


def test_host_override_of_the_form_wins(app, client, post):
    app.jinja_loader = ChoiceLoader([DictLoader({"comments/_form.html": OVERRIDE}), app.jinja_loader])
    page = client.get("/hello/").get_data(as_text=True)
    assert '<form id="commentform" class="host-form">Host form for Hello world</form>' in page
    assert "Leave a Reply" not in page


def test_host_override_of_a_comment_wins_for_replies_and_after_every_change(app, client, post):
    app.jinja_loader = ChoiceLoader([DictLoader({"comments/_comment.html": COMMENT_OVERRIDE}), app.jinja_loader])
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
