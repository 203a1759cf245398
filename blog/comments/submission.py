"""Posting a comment: the one place the flow lives, from a validated form to a stored comment."""

from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.orm import make_transient_to_detached

from blog.comments.counts import new_comment_page
from blog.comments.embedded_threads import EmbeddedThread, create_thread
from blog.comments.forms import FORBIDDEN_CHARACTERS, CommentForm, parse_id
from blog.comments.guard import Refusal
from blog.comments.markup import render_comment, site_markup
from blog.comments.models import Comment, CommentStatus, ModerationAction, reply_parent
from blog.comments.moderation import log_action
from blog.comments.notice_addresses import ask_for_notices
from blog.comments.signals import comment_posted, comment_will_be_posted
from blog.comments.target import CommentTarget
from blog.comments.thread_cache import touch_thread
from blog.comments.translation import gettext as _
from blog.extensions import begin_reading, db, utcnow

USER_AGENT_MAX = 255
# Every comment is stored with this one statement, on the session's connection: the ORM's unit of work
# would cost several times the INSERT itself. Columns without a default are given as None (as the ORM
# gives them), so the row the insert names is the whole row.
_INSERT = insert(Comment.__table__)
_COLUMNS = frozenset(Comment.__table__.columns.keys())
_WITHOUT_DEFAULT = tuple(column.key for column in Comment.__table__.columns
                         if column.default is None and not column.primary_key)


@dataclass(frozen=True)
class Outcome:
    """What became of a valid form: the comment stored (flushed, for the caller to commit), or why it was
    refused; and the comment it answers as the writing found it (None when gone), for the page again."""

    comment: Comment | None = None
    refusal: Refusal | None = None
    parent: Comment | None = None
    page: int | None = None
    """The page of the thread that shows the stored comment (post_comment's)."""


def is_open(target: CommentTarget) -> bool:
    """Whether the target takes comments now: open, and not older than COMMENTS_CLOSE_AFTER_DAYS."""
    if not target.is_open:
        return False
    days = current_app.config["COMMENTS_CLOSE_AFTER_DAYS"]
    if days and target.published_at is not None:
        return (utcnow() - target.published_at).days < days
    return True


def place_in_thread(comment: Comment, parent: Comment | None, max_depth: int):
    """Hang a reply under its parent; past the deepest level it goes beside its parent instead."""
    while parent is not None and parent.depth + 1 >= max_depth:
        parent = db.session.get(Comment, parent.parent_id) if parent.parent_id else None
    if parent is None:
        comment.parent_id, comment.root_id, comment.depth = None, None, 0
    else:
        comment.parent_id, comment.root_id, comment.depth = parent.id, parent.root_id or parent.id, parent.depth + 1


def new_comment(target: CommentTarget, form: CommentForm, *, ip: str | None, user_agent: str) -> Comment:
    """The comment a validated form makes, from ``ip`` and the browser ``user_agent``: sanitized, and with
    the status the moderation policy gives it. It only reads (the first-time rule's lookup), so a caller
    on SQLite runs it before the transaction that writes, outside the write lock."""
    policy = current_app.extensions["comments.policy"]
    user_agent = FORBIDDEN_CHARACTERS.sub("", user_agent)[:USER_AGENT_MAX]
    comment = Comment(
        target_key=target.key,
        author=form.author.data,
        email=form.email.data.lower(),
        url=form.url.data or "",
        body_raw=form.comment.data,
        body_html=render_comment(form.comment.data, site_markup()),
        body_markup=site_markup(),
        ip=ip,
        user_agent=user_agent or None,
        wants_reply_notice=form.notify.data,
    )
    comment.status, comment.status_reason = policy.decide(
        comment, is_honeypot_filled=form.is_bot, form_stamp=form.issued.data)
    return comment


def post_comment(target: CommentTarget, form: CommentForm, *, ip: str | None, user_agent: str,
                 is_moderator: bool = False, new_thread: EmbeddedThread | None = None) -> Outcome:
    """Post a validated form's comment, the whole flow the form view and the API share: the comment made
    (new_comment), the reading ended, then stored (submit_comment) and committed, and ``comment_posted``
    sent; or refused, with nothing of it kept. Either way a reading transaction is begun for the answer.

    The caller begins reading (``begin_reading``) before it checks the form: on SQLite only the
    transaction begun here by submit_comment's first query takes the write lock, and the signal's
    handlers and the answer run after the commit, outside it, with no second wait for the lock.
    ``new_thread`` is the thread of the plugin's own that the target is to become with this comment.
    """
    comment = new_comment(target, form, ip=ip, user_agent=user_agent)
    db.session.rollback()  # the reading is done: submit_comment's first query begins the writing transaction
    outcome = submit_comment(target, form, comment, is_moderator=is_moderator, new_thread=new_thread)
    if outcome.refusal is not None:
        db.session.rollback()  # nothing of a refused comment is kept, its flood marks neither
        begin_reading()
        return outcome
    # Found in the writing (from the thread's counts, kept as a rule, in the write lock), so no transaction
    # follows the commit unless a receiver reads.
    outcome = replace(outcome, page=new_comment_page(comment))
    db.session.commit()
    begin_reading()
    comment_posted.send(current_app._get_current_object(), comment=comment, target=target)
    return outcome


def submit_comment(target: CommentTarget, form: CommentForm, comment: Comment, *,
                   is_moderator: bool = False, new_thread: EmbeddedThread | None = None) -> Outcome:
    """Store ``comment`` (new_comment's, for this form) unless it is refused: a parent removed meanwhile, a
    duplicate, a flood (moderators are exempt) or a ``comment_will_be_posted`` receiver. The caller commits
    (and sends ``comment_posted``) or, for a refusal, rolls back. ``new_thread`` is stored with the
    comment, unless the comment is spam or trash: a bot's comment makes no thread.

    It runs in the caller's transaction. A caller on SQLite ends its reading first, so the first query
    here begins the transaction that writes and holds the write lock: only the checks that must see every
    other writer run in it.
    """
    config = current_app.config
    policy = current_app.extensions["comments.policy"]
    parent_id = parse_id(form.parent.data)
    parent = reply_parent(target.key, parent_id) if parent_id else None
    if parent_id and parent is None:
        return Outcome(refusal=Refusal(409, _("The comment you are replying to is not available.")))
    place_in_thread(comment, parent, config["COMMENTS_THREAD_DEPTH"])
    refusal = policy.refusal(comment, is_moderator=is_moderator, form_stamp=form.issued.data) or _vetoed(
        comment, target)
    if refusal is not None:
        return Outcome(refusal=refusal, parent=parent)
    if comment.status is CommentStatus.APPROVED:
        comment.approved_at = utcnow()
        touch_thread(comment.target_key, appended=comment.parent_id is None)
    if new_thread is not None and comment.status in (CommentStatus.APPROVED, CommentStatus.PENDING):
        create_thread(new_thread)
    store(comment)
    if comment.wants_reply_notice:
        ask_for_notices(comment)
    return Outcome(comment=comment, parent=parent)


def store(comment: Comment):
    """Insert a new comment in the session's transaction, and put it in the session as the row it now is:
    its id and column defaults set, nothing left to flush, so whatever reads or changes it afterwards (the
    signals' receivers) has a comment like any loaded one."""
    values = dict.fromkeys(_WITHOUT_DEFAULT) | {key: value for key, value in vars(comment).items() if key in _COLUMNS}
    result = db.session.connection().execute(_INSERT, values)
    for key, value in result.last_inserted_params().items():
        if key not in vars(comment):
            setattr(comment, key, value)
    comment.id = result.inserted_primary_key[0]
    make_transient_to_detached(comment)
    db.session.add(comment)


def _vetoed(comment: Comment, target: CommentTarget) -> Refusal | None:
    """Ask the ``comment_will_be_posted`` receivers: the first to give a reason refuses the comment."""
    app = current_app._get_current_object()
    for _receiver, reason in comment_will_be_posted.send(app, comment=comment, target=target):
        if reason:
            app.logger.info("A comment on %s was refused: %s", target.key, reason)
            return Refusal(403, _("Your comment was rejected."))
    return None


def reply_as_moderator(parent: Comment, text: str, moderator: str) -> Comment:
    """A moderator's answer from the queue: the site's own voice, approved at once."""
    now = utcnow()
    reply = Comment(target_key=parent.target_key, author=moderator, email=current_app.config["COMMENTS_SITE_EMAIL"],
                    body_raw=text, body_html=render_comment(text, site_markup()), body_markup=site_markup(),
                    status=CommentStatus.APPROVED,
                    status_reason="moderator's reply", is_moderator_reply=True, created_at=now, approved_at=now)
    place_in_thread(reply, parent, current_app.config["COMMENTS_THREAD_DEPTH"])
    store(reply)
    log_action(reply, ModerationAction.REPLY, moderator, CommentStatus.APPROVED)
    touch_thread(reply.target_key)
    return reply
