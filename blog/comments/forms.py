"""The "Leave a Reply" form, with WordPress's field names so themes, autofill and habits carry over."""

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blog.comments.api_tokens import is_genuine_api_token
from blog.comments.cors import request_origin
from blog.comments.forgery import check_form_token
from blog.comments.models import ModerationAction, reply_parent
from blog.comments.moderation import TRANSITIONS
from blog.comments.translation import lazy_gettext as _l
from blog.extensions import ID_MAX, Form

AUTHOR_MAX = 245
EMAIL_MAX = 100
URL_MAX = 200
COMMENT_MAX = 65_525
# Control characters (C0 but tab, line feed and carriage return; DEL; C1), lone surrogates, the
# noncharacters of every plane, and U+FFFD, what a decoder makes of broken bytes: no text needs them,
# and PostgreSQL refuses NUL outright.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffd-\uffff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
# What a one-line value (a name, an address, a title) never holds, on top of FORBIDDEN_CHARACTERS: any
# line break or tab (a name with CR/LF would reach a mail header), and the bidirectional embeddings,
# overrides and isolates, with which one reader's name could be made to read as another's.
NOT_IN_ONE_LINE = re.compile("[\t\n\r\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Either of the two: what one_line makes a space of.
_NOT_ONE_LINE_TEXT = re.compile(f"{FORBIDDEN_CHARACTERS.pattern}|{NOT_IN_ONE_LINE.pattern}")
# Letters (any script), digits, dots, hyphens, underscores; or an IPv6 literal's hex digits and colons.
_HOSTNAME = re.compile(r"[\w.-]+|[0-9a-f:.]+")
# What RFC 3986 never allows in a URL, and what would let a URL out of an HTML attribute.
_NOT_IN_URLS = re.compile(r"[\s\"'<>\\^`{|}]")
FORM_EXPIRED = _l("This form has expired or did not come from this site. Nothing was posted; please send it again.")
# Ids longer than this are not ids; it also keeps int() off giant digit strings.
ID_DIGITS_MAX = len(str(ID_MAX))


def normalize(value):
    """Trim and compose (NFC) submitted text, so limits count what the reader sees."""
    if value is None:
        return value
    return unicodedata.normalize("NFC", value.strip())


def parse_id(value: str | None) -> int | None:
    """A positive id from submitted text, or None: no signs, no non-ASCII digits, nothing past ID_MAX."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= ID_DIGITS_MAX and 0 < int(value) <= ID_MAX:
        return int(value)
    return None


def required_id(value: str) -> int:
    """``parse_id`` for a form field that must hold an id: anything else fails its validation."""
    if (number := parse_id(value)) is None:
        raise ValueError(value)
    return number


def reject_control_characters(form, field):
    """Refuse text holding FORBIDDEN_CHARACTERS, rather than store or silently drop them."""
    if field.data and FORBIDDEN_CHARACTERS.search(field.data):
        raise ValidationError(_l("This field contains characters that are not allowed."))


def single_line(form, field):
    """A one-line value: none of FORBIDDEN_CHARACTERS, and no line break, tab or bidirectional control."""
    reject_control_characters(form, field)
    if field.data and NOT_IN_ONE_LINE.search(field.data):
        raise ValidationError(_l("This field contains characters that are not allowed."))


def one_line(text: str) -> str:
    """Text put on one line, for what no form checked (stored before a rule, imported, quoted in a mail):
    each character single_line refuses becomes a space, and each run of spaces one."""
    return " ".join(_NOT_ONE_LINE_TEXT.sub(" ", text).split())


def is_web_address(value: str) -> bool:
    """Whether a link is http or https with a plausible host: a commenter's link must not run anything."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- reading it raises ValueError for a port out of range or not a number
    except ValueError:  # that, or an unbalanced [ipv6 literal
        return False
    return (parts.scheme.lower() in {"http", "https"} and _HOSTNAME.fullmatch(parts.hostname or "") is not None
            and not _NOT_IN_URLS.search(value))


def web_address(form, field):
    """Only what is_web_address takes, the check the WordPress importer makes too."""
    if not is_web_address(field.data):
        raise ValidationError(_l("Please enter a web address that starts with http:// or https://."))


def email_address(form, field):
    """An address email_validator takes (its syntax alone: no lookup of the domain)."""
    if not is_email_address(field.data or ""):
        raise ValidationError(_l("Please enter a valid email address."))


def is_email_address(address: str) -> bool:
    """Whether email_validator takes ``address``; an address no longer than EMAIL_MAX is checked once per
    worker (readers post again under the same address), so the cache holds at most 2,048 short strings
    whatever a bot sends."""
    return _is_known_email_address(address) if len(address) <= EMAIL_MAX else _is_valid_email_address(address)


def _is_valid_email_address(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


_is_known_email_address = lru_cache(maxsize=2048)(_is_valid_email_address)


def comment_text_field():
    return TextAreaField(_l("Comment"), filters=[normalize], validators=[
        DataRequired(_l("Please type your comment text.")),
        Length(max=COMMENT_MAX, message=_l("Your comment is too long.")),
        reject_control_characters,
    ])


class CommentDetailsForm(Form):
    """What a comment says and who it is from: checked the same for a reader and a moderator."""

    comment = comment_text_field()
    author = StringField(_l("Name"), filters=[normalize], validators=[
        DataRequired(_l("Please fill the required fields.")),
        Length(max=AUTHOR_MAX, message=_l("Your name is too long.")),
        single_line,
    ])
    email = EmailField(_l("Email"), filters=[normalize], validators=[
        DataRequired(_l("Please fill the required fields.")),
        Length(max=EMAIL_MAX, message=_l("Your email address is too long.")),
        single_line,
        email_address,
    ])
    url = URLField(_l("Website"), filters=[normalize], validators=[
        Optional(),
        Length(max=URL_MAX, message=_l("Your URL is too long.")),
        single_line,
        web_address,
    ])


def commenter_details(author: str, email: str, url: str) -> tuple[str, str, str]:
    """A commenter's name, address and website as CommentDetailsForm keeps them, for details no form
    checked (an import): trimmed and composed by its filters, each one its validators refuse made empty.
    Needs an app context; there is no request, so no CSRF token to check."""
    form = CommentDetailsForm(MultiDict({"author": author, "email": email, "url": url}), meta={"csrf": False})
    return tuple(field.data if field.validate(form) else "" for field in (form.author, form.email, form.url))


class CommentForm(CommentDetailsForm):
    """A reader's comment. ``target_key`` names the thread, so a reply's parent and the form's token
    can be checked."""

    class Meta:
        # Its token is its own (blog.comments.forgery): bound to the post for a reader without a
        # session, so the page can be the same for all of them; the host exempts the view from its
        # CSRFProtect (``Comments.exempt_csrf``).
        csrf = False

    # The hidden fields are labelled as WTForms would label them, never shown: a label to make is a look-up
    # of the reader's language, which a post without errors then never needs (blog.extensions.Form).
    csrf_token = HiddenField("Csrf Token")
    parent = HiddenField("Parent", default="0")
    remember = BooleanField(_l("Save my name, email, and website in this browser for the next time I comment."))
    # Off unless ticked; mail goes out only once this comment's notices are confirmed (blog.comments.reply_notices).
    notify = BooleanField(_l("Notify me of replies by email."))
    # The honeypot: hidden from people by the stylesheet, filled in by bots that fill in everything.
    homepage = StringField(_l("Leave this field empty"))
    # When the form was served, signed (blog.comments.timing): a bot posts sooner than a person can.
    issued = HiddenField("Issued")

    def __init__(self, *args, target_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_key = target_key
        self.parent_comment = None
        # Why a valid comment was still not taken (a duplicate, a flood), shown above the form.
        self.refusal = None

    def validate_csrf_token(self, field):
        try:
            check_form_token(field.data, self.target_key)
        except ValidationError:
            raise ValidationError(FORM_EXPIRED) from None

    def validate_parent(self, field):
        """A reply's parent must be an approved comment of the same thread."""
        if (field.data or "0").strip() == "0":
            return
        parent_id = parse_id(field.data)
        parent = reply_parent(self.target_key, parent_id) if parent_id else None
        if parent is None:
            raise ValidationError(_l("The comment you are replying to is not available."))
        self.parent_comment = parent

    @property
    def is_bot(self) -> bool:
        """Whether the honeypot was filled in."""
        return bool(self.homepage.data)


class ApiCommentForm(CommentForm):
    """The comment form as the JSON API fills it from a request's JSON: the API's token (from GET
    /api/v1/token, bound to the request's origin) is checked in place of the form's."""

    def validate_csrf_token(self, field):
        if not is_genuine_api_token(field.data, request_origin()):
            raise ValidationError(FORM_EXPIRED)


class CommentPreviewForm(Form):
    """The text of a comment being written, for its preview (POST /api/v1/preview): checked as the comment
    form's, with the API's token, as a post through the API is (ApiCommentForm)."""

    class Meta:
        csrf = False

    comment = comment_text_field()
    token = HiddenField()

    def validate_token(self, field):
        if not is_genuine_api_token(field.data, request_origin()):
            raise ValidationError(FORM_EXPIRED)


class EditCommentForm(CommentDetailsForm):
    """A moderator's correction of a comment."""


class OwnCommentForm(Form):
    """A commenter's own button on their comment (delete it), within their window (blog.comments.own_edits)."""

    class Meta:
        # No session to bind a CSRF token to: the comment's edit token is the proof, sent both in this
        # hidden field and in the poster's cookie, which the view compares; the host exempts the views from
        # its CSRFProtect (``Comments.exempt_csrf``).
        csrf = False

    token = HiddenField()


class OwnEditForm(OwnCommentForm):
    """A commenter's own change to their comment's text: the text checked as the comment form's is."""

    comment = comment_text_field()


class ModeratorReplyForm(Form):
    """A moderator's answer to a comment, written from the queue."""

    comment = comment_text_field()


class ModerationForm(Form):
    """A moderation button: nothing to fill in but the CSRF token."""


class UndoForm(Form):
    """The Undo button of an action's message: the token of what the session's last action moved
    (blog.comments.undo)."""

    token = HiddenField()


class BulkModerationForm(Form):
    """One action on the comments ticked in the queue."""

    action = SelectField(choices=list(TRANSITIONS), coerce=ModerationAction)
    ids = SelectMultipleField(coerce=required_id, validate_choice=False)


class ModerationLinkForm(Form):
    """The button of a one-click moderation link's page: the link's signed token is its proof, instead of
    a session's CSRF token (blog.comments.moderation_links)."""

    class Meta:
        csrf = False

    token = HiddenField(validators=[DataRequired(), Length(max=2000)])


class PrivacyRequestForm(Form):
    """A person's email address, for the privacy tools: export or erase what the site holds."""

    email = EmailField(_l("Email"), filters=[normalize], validators=[
        DataRequired(_l("Please fill the required fields.")),
        Length(max=EMAIL_MAX, message=_l("Your email address is too long.")),
        single_line,
        email_address,
    ])
    export = SubmitField(_l("Export as JSON"))
    # Erasing takes two presses: ``erase`` shows what it would change, ``confirm_erase`` does it.
    erase = SubmitField(_l("Erase (anonymize) their comments"))
    confirm_erase = SubmitField(_l("Yes, erase"))
