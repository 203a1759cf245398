"""Writing the records of a WXR file into the database, so that running it again adds nothing.

``import_wxr`` has the file read and checked whole (blog.wxr.reader) before it writes anything, then
writes every post and comment inside one savepoint: a file that is wrong anywhere changes nothing.
Posts are matched by slug (a post already here keeps its own title and text and gets the file's
comments it lacks), comments within their post by date (to the second) and text. Not by name or
address, so a comment whose author was since erased (privacy tools) or renamed is still recognised
and not brought back. Replies deeper than ``COMMENTS_THREAD_DEPTH`` go beside their parent, as on
the site.
"""

import re
from collections import defaultdict
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from blog.commenting import thread_key
from blog.comments import Comment, CommentStatus, place_in_thread, touch_thread
from blog.extensions import db, utcnow
from blog.posts.models import Post
from blog.sanitize import clean_comment
from blog.wxr.reader import ImportSummary, WXRComment, WXRPost, read_wxr

# CR LF and a lone CR, which an XML parser reads back as LF.
_CR_LINE_BREAK = re.compile(r"\r\n?")
IMPORTED_REASON = "imported from WordPress"


def import_wxr(path) -> ImportSummary:
    """Add the posts and comments of a WXR file that are not here yet; the caller commits.

    Raises WXRError for a file that is wrong anywhere, before anything is written; whatever goes
    wrong while writing rolls back the savepoint the writes are made in."""
    posts, summary = read_wxr(path)
    max_depth = current_app.config["COMMENTS_THREAD_DEPTH"]
    with db.session.begin_nested():
        for record in posts:
            post = db.session.scalar(select(Post).where(Post.slug == record.slug))
            if post is None:
                post = _add_post(record)
                summary.posts_added += 1
            else:
                summary.posts_present += 1
            added, present = _merge_comments(thread_key(post), record.comments, max_depth)
            summary.comments_added += added
            summary.comments_present += present
    return summary


def _add_post(record: WXRPost) -> Post:
    post = Post(slug=record.slug, title=record.title, status=record.status, published_at=record.published_at,
                comments_open=record.comments_open, language=record.language,
                created_at=record.published_at or utcnow())
    post.set_body(record.body_source)
    db.session.add(post)
    db.session.flush()
    return post


def _identity(created_at: datetime, body_raw: str) -> tuple:
    """What makes a comment the same one again: its second and its text, compared in Python (MariaDB's
    collation would call "Hi" and "hi " the same) and exactly but for line breaks: browsers send CR LF,
    which comes back from an export as LF."""
    return created_at.replace(microsecond=0), _CR_LINE_BREAK.sub("\n", body_raw)


def _merge_comments(target_key: str, records: list[WXRComment], max_depth: int) -> tuple[int, int]:
    """Store the comments a thread does not have yet, parents before replies; say how many were added
    and how many were there. Each stored comment answers for at most one comment of the file."""
    if not records:
        return 0, 0
    existing = defaultdict(list)
    for comment in db.session.scalars(select(Comment).where(Comment.target_key == target_key)
                                      .order_by(Comment.created_at, Comment.id)):
        existing[_identity(comment.created_at, comment.body_raw)].append(comment)
    placed: dict[int, Comment] = {}
    added = present = 0
    waiting = sorted(records, key=lambda record: (record.created_at, record.wp_id))
    while waiting:
        # One generation at a time: every parent has an id before its replies are placed under it.
        ready = [record for record in waiting if not record.parent_wp_id or record.parent_wp_id in placed]
        if not ready:  # read_comments refuses missing parents and circles, so this cannot happen
            raise RuntimeError(f"comments without a placeable parent on {target_key}")
        for record in ready:
            matches = existing.get(_identity(record.created_at, record.body_raw))
            if matches:
                placed[record.wp_id] = matches.pop(0)
                present += 1
                continue
            comment = Comment(
                target_key=target_key, author=record.author, email=record.email, url=record.url,
                body_raw=record.body_raw, body_html=clean_comment(record.body_raw), status=record.status,
                status_reason=IMPORTED_REASON, ip=record.ip, is_moderator_reply=record.is_moderator_reply,
                created_at=record.created_at,
                approved_at=record.created_at if record.status is CommentStatus.APPROVED else None,
            )
            place_in_thread(comment, placed.get(record.parent_wp_id), max_depth)
            db.session.add(comment)
            placed[record.wp_id] = comment
            added += 1
        db.session.flush()
        waiting = [record for record in waiting if record.wp_id not in placed]
    if added:
        touch_thread(target_key)
    return added, present

