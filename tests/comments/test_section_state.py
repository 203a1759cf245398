"""What a rendered comments section leaves for the rest of its request (blog.comments.section.SectionState):
one object per request, read by the page cache and the cache headers."""

from sqlalchemy import select

from blog.comments.section import SectionState, render_comments_section, section_state
from blog.comments.timing import read_form_stamp
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


def test_a_section_any_reader_may_share_has_a_window_stamp(app, post):
    with app.test_request_context("/hello/"):
        html = render_comments_section(app.extensions["comments"].load_target("hello"))
        state = section_state()
        assert state.has_section and not state.is_personal
        assert read_form_stamp(FORM_STAMP.search(html).group(1)).window == 60


def test_a_section_of_a_readers_own_has_a_stamp_of_the_moment(app, post):
    with app.test_request_context("/hello/", headers={"Cookie": "comments_posted=1"}):
        html = render_comments_section(app.extensions["comments"].load_target("hello"))
        assert section_state().is_personal
        assert read_form_stamp(FORM_STAMP.search(html).group(1)).window == 0
        assert "data-renew" not in html


def test_a_closed_thread_has_no_form(app, post):
    with app.app_context():
        db.session.scalar(select(Post)).comments_open = False
        db.session.commit()
    with app.test_request_context("/hello/"):
        html = render_comments_section(app.extensions["comments"].load_target("hello"))
        assert section_state().has_section and FORM_STAMP.search(html) is None
