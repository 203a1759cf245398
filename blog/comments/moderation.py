"""The moderation policy: which status a new comment gets, and why (DESIGN.md section 3)."""

from blog.comments import spam
from blog.comments.models import Comment, CommentStatus, earlier_approved
from blog.comments.spam import Verdict
from blog.extensions import db

MODES = ("first-time", "all", "none")


class ModerationPolicy:
    """Decide a new comment's status from the COMMENTS_* settings, in WordPress's order:
    disallowed words trash it, then the honeypot marks spam, then any hold rule holds it."""

    def __init__(self, config):
        self.mode = config["COMMENTS_MODERATION"]
        if self.mode not in MODES:
            raise ValueError(f"COMMENTS_MODERATION must be one of {', '.join(MODES)}, not {self.mode!r}")
        self.max_links = config["COMMENTS_MAX_LINKS"]
        self.moderation_words = config["COMMENTS_MODERATION_WORDS"]
        self.disallowed_words = config["COMMENTS_DISALLOWED_WORDS"]

    def decide(self, comment: Comment, *, is_bot: bool = False) -> Verdict:
        """The status for a comment about to be stored."""
        return (
            spam.disallowed_word(comment, self.disallowed_words)
            or spam.honeypot(is_bot)
            or self._hold_rule(comment)
            or Verdict(CommentStatus.APPROVED, "")
        )

    def _hold_rule(self, comment: Comment) -> Verdict | None:
        if self.mode == "all":
            return Verdict(CommentStatus.PENDING, "every comment is held")
        held = (spam.too_many_links(comment, self.max_links)
                or spam.moderation_word(comment, self.moderation_words))
        if held or self.mode == "none":
            return held
        if db.session.scalar(earlier_approved(comment.author, comment.email)) is None:
            return Verdict(CommentStatus.PENDING, "first comment by this author")
        return None
