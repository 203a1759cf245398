"""Undo for the moderation desk: what the last action moved is kept in the moderator's own session.

The session is Flask's signed cookie, so the browser holds the record but cannot change it, and another
admin's session holds their own. The record is each comment's id with the status it had and the one the
action gave it; the Undo button sends only the record's random token, which is taken once. Only comments
still where the action left them are put back (blog.comments.moderation.undo_moves).
"""

import secrets

from flask import session

from blog.comments.models import CommentStatus

SESSION_KEY = "comments_undo"
# The most comments one record keeps (a bulk action on more has no Undo): the whole session is a cookie
# of at most 4 kB, and a queue page shows far fewer.
UNDO_MAX = 200


def remember_moves(moves: list[tuple[int, CommentStatus, CommentStatus | None]]) -> bool:
    """Keep (comment id, status before, status after) of an action's moves for its Undo, in place of any
    earlier record; False when it cannot be undone (nothing moved, too many, or a comment deleted)."""
    session.pop(SESSION_KEY, None)
    if not moves or len(moves) > UNDO_MAX or any(after is None for _, _, after in moves):
        return False
    grouped = {}
    for comment_id, before, after in moves:
        grouped.setdefault(f"{before.value} {after.value}", []).append(comment_id)
    session[SESSION_KEY] = {"token": secrets.token_urlsafe(16), "moves": grouped}
    return True


def undo_token() -> str | None:
    """The token of the action the session can undo, for the Undo button of its message."""
    record = session.get(SESSION_KEY)
    return record["token"] if record else None


def take_moves(token: str) -> list[tuple[int, CommentStatus, CommentStatus]] | None:
    """The moves of the record this token names, forgotten as they are taken; None for any other token
    (forged, another session's, or taken already)."""
    record = session.get(SESSION_KEY)
    if not record or not secrets.compare_digest(record["token"].encode(), (token or "").encode()):
        return None
    del session[SESSION_KEY]
    moves = []
    for statuses, ids in record["moves"].items():
        before, after = map(CommentStatus, statuses.split())
        moves.extend((comment_id, before, after) for comment_id in ids)
    return moves
