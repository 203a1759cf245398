"""One-click moderation from the mail about a held comment: signed *approve*, *spam* and *trash* links.

Each link names the comment, the action and the moderator it was mailed to, signed with the app's secret
under a salt of its own, and expires after COMMENTS_MODERATION_LINK_SECONDS. It opens a page that asks
(GET changes nothing: mail scanners open every link of a mail); that page's button POSTs the token in the
form body, and the token is the proof, so the POST needs no session and no CSRF token: a page of another
site can forge that POST only with a token it has, which only the mail's reader has, and then it can do
no more than that reader could with one click.

A link works for its moderator alone and only while they are who they were: it carries their sign-in
generation (the host's ``moderator_generation`` hook), which signing out everywhere, a new password or a
deleted account moves on, voiding the link. A browser signed in as another moderator is refused rather
than acted for as the link's moderator: whoever clicks there is not the one the mail was for. A link also
carries the comment's state when it was mailed (its status and its latest moderation log entry), so it
works once: after any move or edit, by this link or any other way, it says so and does nothing.
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from blog.comments.models import Comment, CommentStatus, ModerationAction, ModerationLogEntry
from blog.comments.translation import gettext as _
from blog.extensions import ID_MAX, db

LINK_SALT = "comments-moderation-link"
# What a mailed link may do, in the order the mail lists them.
LINK_ACTIONS = (ModerationAction.APPROVE, ModerationAction.SPAM, ModerationAction.TRASH)


@dataclass(frozen=True)
class ModerationLink:
    """What a link's token says: do ``action`` to the comment as ``moderator``, if nothing changed since."""

    comment_id: int
    action: ModerationAction
    moderator: str
    generation: str
    status: CommentStatus
    last_log_id: int


class LinkRefused(Exception):
    """Why a link does nothing: ``status`` for the answer, ``message`` for the person who followed it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=LINK_SALT)


def last_log_id(comment_id: int) -> int:
    """The id of the comment's latest moderation log entry; 0 when it has none."""
    return db.session.scalar(select(func.max(ModerationLogEntry.id))
                             .where(ModerationLogEntry.comment_id == comment_id)) or 0


def link_token(comment: Comment, action: ModerationAction, moderator: str, generation: str) -> str:
    """A signed, expiring token for one action on the comment as it stands now, for one moderator."""
    return _serializer().dumps([comment.id, action.value, moderator, generation, comment.status.value,
                                last_log_id(comment.id)])


def read_link(token: str) -> ModerationLink | None:
    """What the token says, or None when it is forged, tampered with, expired or of any other shape."""
    try:
        fields = _serializer().loads(token, max_age=current_app.config["COMMENTS_MODERATION_LINK_SECONDS"])
        comment_id, action, moderator, generation, status, log_id = fields
        link = ModerationLink(comment_id, ModerationAction(action), moderator, generation, CommentStatus(status),
                              log_id)
    except (BadSignature, TypeError, ValueError):  # expired included (SignatureExpired is a BadSignature)
        return None
    is_well_formed = (all(isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= ID_MAX
                          for value in (link.comment_id, link.last_log_id))
                      and isinstance(link.moderator, str) and isinstance(link.generation, str)
                      and link.action in LINK_ACTIONS)
    return link if is_well_formed else None


def check_link(token: str, *, for_update: bool = False) -> tuple[ModerationLink, Comment]:
    """The link and its comment when the link may act now; raises LinkRefused saying why not. With
    ``for_update`` the comment's row is locked first (before anything else is read), so two requests with
    links of one mail cannot both act: the second finds the comment moved."""
    link = read_link(token)
    if link is None:
        raise LinkRefused(400, _("This moderation link is not valid or has expired."))
    comment = db.session.get(Comment, link.comment_id, with_for_update=for_update)
    if comment is None:
        raise LinkRefused(404, _("This comment no longer exists."))
    comments = current_app.extensions["comments"]
    if comments.moderator_generation(link.moderator) != link.generation:
        raise LinkRefused(403, _("This moderation link is no longer valid: its moderator signed out everywhere, "
                                 "changed their password or no longer exists."))
    signed_in = comments.current_moderator()
    if signed_in is not None and signed_in != link.moderator:
        raise LinkRefused(403, _("This link was mailed to another moderator. You are signed in as %(name)s: "
                                 "moderate this comment from the queue.", name=signed_in))
    if comment.status is not link.status or last_log_id(comment.id) != link.last_log_id:
        raise LinkRefused(409, _("This link has been used, or the comment was moderated since: it does nothing "
                                 "more."))
    return link, comment
