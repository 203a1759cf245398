"""Comments: one table for every thread, a status enum, and the queries the pages run."""

import operator
from datetime import datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import Enum, ForeignKey, Index, String, bindparam, case, false, func, literal, or_, select, union_all
from sqlalchemy.orm import Mapped, aliased, mapped_column, validates

from blog.extensions import LongText, db, utcnow

# The longest reason for a status that is kept.
STATUS_REASON_MAX = 100
# The longest thread key (a target's key).
TARGET_KEY_MAX = 200


class CommentStatus(StrEnum):
    """Where a comment stands: only approved comments are public."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


# Every status but APPROVED, for an index to range over where ``!=`` would scan.
NOT_APPROVED = tuple(status for status in CommentStatus if status is not CommentStatus.APPROVED)


class ModerationAction(StrEnum):
    """What a moderator did to a comment: a transition (blog.comments.moderation.TRANSITIONS), an edit or a
    reply; or what its commenter did to it within their window (blog.comments.own_edits)."""

    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    SPAM = "spam"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"
    EDIT = "edit"
    REPLY = "reply"
    AUTHOR_EDIT = "author_edit"
    AUTHOR_DELETE = "author_delete"


class Comment(db.Model):
    """A reader's comment on a target (a post, or any page the host names by a key)."""

    __table_args__ = (
        # The page: a thread's approved top-level comments in order, then their replies by root.
        Index("ix_comment_thread_page", "target_key", "status", "parent_id", "created_at", "id"),
        Index("ix_comment_root_status", "root_id", "status"),
        Index("ix_comment_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str] = mapped_column(String(TARGET_KEY_MAX))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    # The top-level comment of the thread this reply belongs to; None for a top-level comment.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(default=0)
    author: Mapped[str] = mapped_column(String(245))
    email: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(200), default="")
    body_raw: Mapped[str] = mapped_column(LongText)
    body_html: Mapped[str] = mapped_column(LongText)
    # What body_raw is written in ("html" or "markdown": blog.sanitize.MARKUPS): the site's COMMENTS_MARKUP when
    # it was posted, so an edit or a resanitize reads it as its writer wrote it, whatever the setting is now.
    body_markup: Mapped[str] = mapped_column(String(20), default="html", server_default="html")
    status: Mapped[CommentStatus] = mapped_column(
        Enum(CommentStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=CommentStatus.PENDING,
    )
    # Why the moderation policy chose the status, for the moderators.
    status_reason: Mapped[str] = mapped_column(String(STATUS_REASON_MAX), default="")
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # Written by a moderator from the queue: approved at once and shown as the site's own.
    is_moderator_reply: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The author ticked "Notify me of replies by email" (mailed only once they confirmed this comment's notices).
    wants_reply_notice: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the address's owner followed this comment's own confirmation link: consent is per comment,
    # so knowing someone's address is not enough to have the site mail them.
    notice_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    @property
    def is_approved(self) -> bool:
        return self.status is CommentStatus.APPROVED

    @validates("status_reason")
    def _fit_reason(self, key, reason: str) -> str:
        """Cut a reason to its column: a long moderation word or a veto receiver's text must not fail
        the insert (PostgreSQL and MariaDB refuse what does not fit); moderators read the start."""
        return (reason or "")[:STATUS_REASON_MAX]

    def __repr__(self):
        return f"<Comment {self.id} on {self.target_key!r} {self.status}>"


class ModerationLogEntry(db.Model):
    """Who did what to a comment, and when: shown on the comment's row in the queue."""

    __tablename__ = "comment_moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    moderator: Mapped[str] = mapped_column(String(100))
    action: Mapped[ModerationAction] = mapped_column(
        Enum(ModerationAction, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    old_status: Mapped[str] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FloodMark(db.Model):
    """A commenter (an IP or an email address) who may not post again until a moment has passed.

    One row per key, claimed by inserting it: two workers racing for the same key cannot both win,
    as the primary key lets only one insert through.
    """

    __tablename__ = "comment_flood_mark"

    # "ip:203.0.113.9" or "email:reader@example.org".
    key: Mapped[str] = mapped_column(String(110), primary_key=True)
    until: Mapped[datetime]


class NotifiedAddress(db.Model):
    """An address that asked for reply notices, and its confirmation mails: at most one unanswered a day,
    so the form cannot be used to mailbomb a stranger (blog.comments.notice_addresses)."""

    __tablename__ = "comment_notified_address"

    email: Mapped[str] = mapped_column(String(100), primary_key=True)
    # When the address's owner last followed a confirmation link (of any of its comments).
    confirmed_at: Mapped[datetime | None]
    # When the last confirmation mail went to it.
    confirmation_sent_at: Mapped[datetime | None]


class ThreadVersion(db.Model):
    """How many times a thread has changed: the key to its cached rendering."""

    __tablename__ = "comment_thread_version"

    target_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


def thread_version_column(target_key):
    """The version of the thread whose key is the SQL expression ``target_key``, as a column a query can
    add (0 for a thread never touched): read in the same statement, so in the same snapshot as the rest
    of it, whatever the isolation level, and one query instead of two."""
    version = select(ThreadVersion.version).where(ThreadVersion.target_key == target_key).scalar_subquery()
    return func.coalesce(version, 0)


def top_level_comments(target_key: str):
    """A thread's approved top-level comments, oldest first: what the page paginates."""
    return (
        select(Comment)
        .where(Comment.target_key == target_key, Comment.status == CommentStatus.APPROVED,
               Comment.parent_id.is_(None))
        .order_by(Comment.created_at, Comment.id)
    )


def approved_replies(root_ids):
    """The approved replies under the given top-level comments, oldest first."""
    return (
        select(Comment)
        .where(Comment.root_id.in_(root_ids), Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.created_at, Comment.id)
    )


# Built once: a reply's POST loads its parent twice (checking the form, then in the writing transaction),
# and building the select each time cost more than loading the comment.
_APPROVED_COMMENT = select(Comment).where(
    Comment.id == bindparam("comment_id"), Comment.target_key == bindparam("target_key"),
    Comment.status == CommentStatus.APPROVED)


def approved_comment(target_key: str, comment_id: int):
    """The comment with this id if it is approved and on this thread: the only valid reply parent."""
    return _APPROVED_COMMENT.params(target_key=target_key, comment_id=comment_id)


def reply_parent(target_key: str, comment_id: int) -> "Comment | None":
    """approved_comment's comment, loaded with the statement built once: a reply's POST asks twice."""
    return db.session.scalar(_APPROVED_COMMENT, {"target_key": target_key, "comment_id": comment_id})


def visible_held_comments(target_key: str, ids):
    """Of the given ids, the comments on this thread still waiting: shown to their author alone."""
    return (
        select(Comment)
        .where(Comment.id.in_(ids), Comment.target_key == target_key, Comment.status != CommentStatus.APPROVED)
        .order_by(Comment.created_at, Comment.id)
    )


def thread_counts(target_keys):
    """Per target key, (key, shown, top_level, version) rows: the comments the thread shows (approved, in a thread
    whose top-level comment is approved too: a reply under a removed top-level comment is not shown, so not
    counted) and the approved top-level ones among them, which its pages are counted in.

    This runs on every rendering of a page, after every new comment, so it reads no comment's row: the
    approved comments counted in one range of the page index (which holds ``parent_id``), less the
    approved replies under top-level comments not approved, found from those few, which that index
    ranges over too, through ix_comment_root_status. And the thread's version they were counted at
    (blog.comments.counts)."""
    root = aliased(Comment)
    approved = (select(Comment.target_key, func.count().label("shown"),
                       func.sum(case((Comment.parent_id.is_(None), 1), else_=0)).label("top_level"))
                .where(Comment.target_key.in_(target_keys), Comment.status == CommentStatus.APPROVED)
                .group_by(Comment.target_key))
    hidden = (select(root.target_key, -func.count(), literal(0)).join(Comment, Comment.root_id == root.id)
              .where(root.target_key.in_(target_keys), root.status.in_(NOT_APPROVED), root.parent_id.is_(None),
                     Comment.status == CommentStatus.APPROVED)
              .group_by(root.target_key))
    counts = union_all(approved, hidden).subquery()
    return (select(counts.c.target_key, func.sum(counts.c.shown), func.sum(counts.c.top_level),
                   thread_version_column(counts.c.target_key))
            .group_by(counts.c.target_key))


def _top_level_count(*conditions):
    return (select(func.count()).select_from(Comment)
            .where(Comment.target_key == bindparam("target_key"), Comment.status == CommentStatus.APPROVED,
                   Comment.parent_id.is_(None), *conditions)
            .scalar_subquery())


def _top_level_beside(compare):
    """The approved top-level comments of a thread before (``operator.lt``) or after (``operator.gt``) a
    place in its order (created_at, id)."""
    return (_top_level_count(compare(Comment.created_at, bindparam("created_at")))
            + _top_level_count(Comment.created_at == bindparam("created_at"), compare(Comment.id, bindparam("id"))))


# The statements every comment post runs, built once (building one costs more than running it), and
# run on the session's connection: the ORM's execution path would cost more than the query itself
# (blog.comments.thread_cache). Two counts added, each one range of the page index, rather than one
# count over an OR that databases answer by scanning the whole thread.
_TOP_LEVEL_BEFORE = select(_top_level_beside(operator.lt))
_TOP_LEVEL_TOTAL = select(_top_level_count())
# With the thread's version: one round trip on the POST's path.
_TOP_LEVEL_AFTER = select(_top_level_beside(operator.gt), thread_version_column(bindparam("target_key")))
_SAME_TEXT = {
    is_reply: select(Comment.body_raw).where(
        Comment.target_key == bindparam("target_key"),
        Comment.parent_id == bindparam("parent_id") if is_reply else Comment.parent_id.is_(None),
        Comment.author == bindparam("author"), Comment.email == bindparam("email"),
        Comment.body_raw == bindparam("body_raw"))
    for is_reply in (False, True)
}
_EARLIER_APPROVED = select(Comment.id).where(
    Comment.author == bindparam("author"), Comment.email == bindparam("email"),
    Comment.status == CommentStatus.APPROVED).limit(1)


def top_level_comments_before(comment: "Comment") -> int:
    """How many approved top-level comments of its thread come before this top-level comment."""
    return db.session.connection().execute(_TOP_LEVEL_BEFORE, {
        "target_key": comment.target_key, "created_at": comment.created_at, "id": comment.id}).scalar()


def top_level_comments_after(comment: "Comment") -> tuple[int, int]:
    """How many approved top-level comments of its thread come after this one (none, as a rule, for a new
    one, whose look-up then ends where it starts), and the thread's version as this transaction reads it."""
    return db.session.connection().execute(_TOP_LEVEL_AFTER, {
        "target_key": comment.target_key, "created_at": comment.created_at, "id": comment.id}).one()


def comment_page(comment: "Comment") -> int:
    """The page of the thread that shows this comment: its top-level comment's page; for a top-level
    comment not approved (shown to its author alone), the last page, where such comments are shown
    (blog.comments.section.render_thread), not the one past it when the last is full."""
    root = db.session.get(Comment, comment.root_id) if comment.root_id else comment
    per_page = current_app.config["COMMENTS_PER_PAGE"]
    if root.status is not CommentStatus.APPROVED:
        total = db.session.connection().execute(_TOP_LEVEL_TOTAL, {"target_key": root.target_key}).scalar()
        return max(1, -(-total // per_page))
    return top_level_comments_before(root) // per_page + 1


def said_before(comment: "Comment") -> bool:
    """Whether the same person already said the same text in the same place. The database narrows it
    to that text, so a prolific author costs no more than a new one; the texts are then compared
    exactly, as a case-insensitive collation (MariaDB's default) calls "Hi" and "hi" the same."""
    texts = db.session.connection().execute(_SAME_TEXT[comment.parent_id is not None], {
        "target_key": comment.target_key, "parent_id": comment.parent_id, "author": comment.author,
        "email": comment.email, "body_raw": comment.body_raw}).scalars()
    return any(text == comment.body_raw for text in texts)


def has_approved_comment(author: str, email: str) -> bool:
    """Whether this name and address have a comment approved already, for the first-time rule."""
    return db.session.connection().execute(_EARLIER_APPROVED, {"author": author, "email": email}).first() is not None


def _literally(text: str) -> str:
    """A LIKE pattern that matches ``text`` itself: its ``%``, ``_`` and backslashes are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue_filters(search: str = "", target_key: str = "", author: str = "") -> list:
    """The conditions of the moderation queue's filters: a search in the author, email, IP or text; one
    thread; one commenter, by name or email address (either, whatever its case)."""
    conditions = []
    if search:
        pattern = f"%{_literally(search)}%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in
                                (Comment.author, Comment.email, Comment.ip, Comment.body_raw))))
    if target_key:
        conditions.append(Comment.target_key == target_key)
    if author:
        conditions.append(or_(Comment.email == author.lower(), Comment.author.ilike(_literally(author), escape="\\")))
    return conditions


def comments_in_status(statuses, *conditions):
    """The moderation queue: comments in the given statuses (a status or several), newest first, that
    meet the conditions (``queue_filters``)."""
    statuses = [statuses] if isinstance(statuses, CommentStatus) else list(statuses)
    return (select(Comment).where(Comment.status.in_(statuses), *conditions)
            .order_by(Comment.created_at.desc(), Comment.id.desc()))


def status_counts(*conditions):
    """How many comments stand in each status, as (status, count) rows; of those that meet the conditions."""
    return select(Comment.status, func.count()).where(*conditions).group_by(Comment.status)


def commented_targets(limit: int):
    """The keys of the threads that have comments, for the queue's filter by thread (at most ``limit``)."""
    return select(Comment.target_key).distinct().order_by(Comment.target_key).limit(limit)


def comments_by_id(comment_ids):
    """The comments with these ids (those that exist)."""
    return select(Comment).where(Comment.id.in_(comment_ids))


def log_entries(comment_ids):
    """The moderation log of the given comments, oldest first."""
    return (select(ModerationLogEntry).where(ModerationLogEntry.comment_id.in_(comment_ids))
            .order_by(ModerationLogEntry.created_at, ModerationLogEntry.id))


def thread_of(root_id: int):
    """Every comment of one thread, its top-level comment included."""
    return select(Comment).where(or_(Comment.id == root_id, Comment.root_id == root_id))


def newest_approved(target_key: str | None = None):
    """Approved comments, newest first: one thread's, or every thread's."""
    query = select(Comment).where(Comment.status == CommentStatus.APPROVED)
    if target_key is not None:
        query = query.where(Comment.target_key == target_key)
    return query.order_by(Comment.created_at.desc(), Comment.id.desc())
