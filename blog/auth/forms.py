"""The sign-in form."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from blog.comments import reject_control_characters, single_line
from blog.extensions import Form


class LoginForm(Form):
    """An admin's name and password."""

    username = StringField(_l("Username"), filters=[lambda value: value.strip() if value else value],
                           validators=[DataRequired(), Length(max=100), single_line])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024), reject_control_characters])
