"""Writing a post."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from blog.comments import reject_control_characters, single_line
from blog.extensions import Form, db
from blog.posts.models import post_with_slug
from blog.posts.slugs import RESERVED_SLUGS

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _strip(value):
    return value.strip() if value else value


class PostForm(Form):
    """A post's title, address, Markdown text, and whether it is public and open to comments."""

    title = StringField(_l("Title"), filters=[_strip],
                        validators=[DataRequired(), Length(max=300), single_line])
    slug = StringField(_l("Address (slug)"), filters=[_strip], validators=[
        Optional(), Length(max=200),
        Regexp(SLUG_PATTERN.pattern + "$", message=_l("Use lowercase letters, digits and single hyphens.")),
    ], description=_l("Left empty, it is made from the title."))
    body = TextAreaField(_l("Text (Markdown)"),
                         validators=[DataRequired(), Length(max=1_000_000), reject_control_characters])
    is_published = BooleanField(_l("Published"))
    comments_open = BooleanField(_l("Open to comments"), default=True)
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def __init__(self, *args, post_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post_id = post_id

    def validate_slug(self, field):
        """Reserved and taken addresses are refused; a malformed one never reaches the database
        (PostgreSQL refuses a NUL in a query outright)."""
        if not field.data or field.errors:
            return
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This address is used by the site itself."))
        existing = db.session.scalar(post_with_slug(field.data))
        if existing is not None and existing.id != self.post_id:
            raise ValidationError(_l("Another post already has this address."))
