"""A commenter's own edit and delete window (COMMENTS_EDIT_WINDOW_SECONDS): the token that proves a comment
theirs, and the changes it allows.

The token is handed to the poster alone, once, when their comment is taken: in a cookie on our pages
(blog.comments.cookies), in the API's answer for an embed. It is an HMAC, with a salt of its own, of the
comment's id and the second it was created, so it names that one comment and no other, not even a later
one given a freed id. It is never sent by mail nor derived from an address, which is no secret. The window
counts from the comment's ``created_at``; after it, or with the setting at 0, a token proves nothing.

An edit goes through what a new comment goes through: the form's checks on the text, the sanitizer, and
the moderation policy's rules on what a comment says (ModerationPolicy.review_edit). Every edit and
delete is written into the comment's moderation log and touches its thread, so pages and feeds show it.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import Signer
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from blog.comments.cookies import own_edit_tokens
from blog.comments.forms import OwnEditForm
from blog.comments.guard import Refusal
from blog.comments.markup import render_comment
from blog.comments.models import Comment, CommentStatus, ModerationAction
from blog.comments.moderation import log_action, move_comment
from blog.comments.signals import comment_edited, comment_status_changed, send_after_commit
from blog.comments.thread_cache import touch_thread
from blog.comments.translation import gettext as _
from blog.extensions import db

# Who the moderation log and the signals name for a commenter changing their own comment.
COMMENTER = "commenter"
# What a commenter may still change: not what a moderator (or a rule) put in spam or trash.
EDITABLE = frozenset({CommentStatus.PENDING, CommentStatus.APPROVED})


@dataclass(frozen=True)
class OwnComment:
    """A comment this browser may still change, with the token that proves it and the end of its window."""

    comment: Comment
    token: str
    until: datetime


def window_seconds() -> int:
    """COMMENTS_EDIT_WINDOW_SECONDS: how long after posting a commenter may change their comment; 0 never."""
    return current_app.config["COMMENTS_EDIT_WINDOW_SECONDS"]  # checked by Comments.init_app


def _signer() -> Signer:
    return Signer(current_app.secret_key, salt="comments-own-edit", digest_method=hashlib.sha256)


def edit_token(comment: Comment) -> str:
    """The token that proves ``comment`` the bearer's: for its poster only, when it is taken."""
    # Whole seconds: MariaDB keeps no fraction of a second (it cuts it off), so the time read back signs
    # as the time the comment was stored with.
    created = int(comment.created_at.timestamp())
    return _signer().get_signature(f"{comment.id}/{created}").decode("ascii")


def edit_until(comment: Comment) -> datetime:
    """When the comment's window ends."""
    return comment.created_at + timedelta(seconds=window_seconds())


def is_within_window(comment: Comment) -> bool:
    # time.time, not utcnow: the one clock the form's signatures and their tests' frozen clock share.
    return window_seconds() > 0 and time.time() < edit_until(comment).timestamp()


def _is_token_of(token, comment: Comment) -> bool:
    return isinstance(token, str) and hmac.compare_digest(token.encode(), edit_token(comment).encode())


def own_comment(token: str | None, comment_id: int) -> Comment | Refusal:
    """The comment ``token`` proves its bearer's, if its window is still open; else why not (403): a token
    that is not this comment's (forged, another comment's, none, or the comment gone to spam or trash),
    or the window over."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.status not in EDITABLE or not _is_token_of(token, comment):
        return Refusal(403, _("This comment cannot be changed from here."))
    if not is_within_window(comment):
        return Refusal(403, _("The time to edit this comment is over."))
    return comment


def own_comments_on(target_key: str) -> list[OwnComment]:
    """Of the comments this browser holds tokens for, those on this thread it may still change, oldest first."""
    tokens = own_edit_tokens()
    if not tokens or not window_seconds():
        return []
    comments = db.session.scalars(select(Comment).where(
        Comment.id.in_(list(tokens)), Comment.target_key == target_key, Comment.status.in_(EDITABLE),
    ).order_by(Comment.created_at, Comment.id))
    return [OwnComment(comment, tokens[comment.id], edit_until(comment)) for comment in comments
            if _is_token_of(tokens[comment.id], comment) and is_within_window(comment)]


def apply_own_edit(comment: Comment, text: str) -> list[str]:
    """Change the comment's text as its commenter asked: checked as the form's comment field is (the
    errors are returned and nothing changes), sanitized, and given the status the policy's rules on
    what it says give it (too many links hold it again, a disallowed word trashes it); logged, and its
    thread touched. The caller commits with ``commit_and_send``."""
    form = OwnEditForm(MultiDict({"comment": text}))
    if not form.comment.validate(form):
        return list(form.comment.errors)
    text = form.comment.data
    if text == comment.body_raw:
        return []  # nothing to change, nor to log
    old_status = comment.status
    comment.body_raw, comment.body_html = text, render_comment(text, comment.body_markup)
    verdict = current_app.extensions["comments.policy"].review_edit(comment)
    if verdict is not None:
        comment.status, comment.status_reason = verdict
    log_action(comment, ModerationAction.AUTHOR_EDIT, COMMENTER, old_status)
    touch_thread(comment.target_key)
    db.session.flush()
    send_after_commit(comment_edited, comment=comment, moderator=COMMENTER)
    if comment.status is not old_status:
        send_after_commit(comment_status_changed, comment=comment, old_status=old_status,
                          new_status=comment.status, moderator=COMMENTER)
    return []


def delete_own(comment: Comment):
    """Move the comment to the trash as its commenter asked (a moderator may still restore it), logged."""
    move_comment(comment, CommentStatus.TRASH, ModerationAction.AUTHOR_DELETE, COMMENTER)
