"""What a rendered comments section leaves for the rest of its request (blog.comments.section.SectionState):
one object per request, read by the page cache and the cache headers."""

from sqlalchemy import select

from blog.comments.section import SectionState, render_comments_section, section_state
from blog.extensions import db
from blog.posts.models import Post
from tests.readers import FORM_STAMP


def test_each_request_has_one_section_state_of_its_own(app):
    with app.test_request_context():
        state = section_state()
        state.is_personal = True
        assert section_state() is state
    with app.test_request_context():
        assert section_state() == SectionState()


def test_a_rendered_section_leaves_its_form_stamp_and_that_any_reader_may_share_it(app, post):
    with app.test_request_context("/hello/"):
        html = render_comments_section(app.extensions["comments"].load_target("hello"))
        state = section_state()
    assert state.has_section and not state.is_personal
    assert FORM_STAMP.search(html).group(1) == state.form_stamp


def test_a_closed_thread_leaves_no_form_stamp(app, post):
    with app.app_context():
        db.session.scalar(select(Post)).comments_open = False
        db.session.commit()
    with app.test_request_context("/hello/"):
        render_comments_section(app.extensions["comments"].load_target("hello"))
        state = section_state()
    assert state.has_section and state.form_stamp is None
