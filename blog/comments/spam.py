"""Checks on what a new comment says, each pure: a ``Verdict`` (status and reason) when it applies, else None.

The checks on how it was sent (bot traps, duplicates, floods) are the guard's (blog.comments.guard).
"""

from typing import NamedTuple

from blog.comments.models import Comment, CommentStatus

# Sanitized HTML spells every link this way (blog.sanitize serializes canonically).
_LINK = "<a "


class Verdict(NamedTuple):
    """The status a check or the policy gives a comment, and why, for the moderators."""

    status: CommentStatus
    reason: str


def _searchable_text(comment: Comment) -> str:
    """What word lists are matched against, as WordPress does: every field the commenter controls."""
    fields = (comment.author, comment.email, comment.url, comment.body_raw, comment.ip, comment.user_agent)
    return "\n".join(field for field in fields if field).casefold()


def _first_word_in(text: str, words) -> str | None:
    return next((word for word in (w.strip() for w in words) if word and word.casefold() in text), None)


def disallowed_word(comment: Comment, words) -> Verdict | None:
    """A word from COMMENTS_DISALLOWED_WORDS anywhere sends the comment to the trash."""
    word = _first_word_in(_searchable_text(comment), words)
    return Verdict(CommentStatus.TRASH, f"disallowed word: {word}") if word else None


def moderation_word(comment: Comment, words) -> Verdict | None:
    """A word from COMMENTS_MODERATION_WORDS anywhere holds the comment."""
    word = _first_word_in(_searchable_text(comment), words)
    return Verdict(CommentStatus.PENDING, f"moderation word: {word}") if word else None


def too_many_links(comment: Comment, max_links: int) -> Verdict | None:
    """More links than COMMENTS_MAX_LINKS holds the comment, bare URLs included."""
    count = comment.body_html.count(_LINK)
    return Verdict(CommentStatus.PENDING, f"{count} links") if count > max_links else None
