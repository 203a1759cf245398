"""The spam guard (as isso keeps one): the checks on how a comment was sent, not on what it says.

A sprung bot trap (the honeypot, the form's time) gives the comment the status spam, answered as held so
a bot learns nothing; a duplicate or a flood refuses it, with a reason the reader is shown.
"""

from dataclasses import dataclass

from blog.comments import flood
from blog.comments.models import Comment, CommentStatus, said_before
from blog.comments.spam import Verdict
from blog.comments.timing import read_form_stamp
from blog.comments.translation import gettext as _


@dataclass(frozen=True)
class Refusal:
    """Why a valid form is still not taken, as its answer says it: the HTTP status, the message shown
    above the form, and for a flood the seconds until the reader may post again."""

    status: int
    message: str
    retry_after: int | None = None
    renews_stamp: bool = False
    """Whether the page again gives the form a stamp of the moment it is served (form_time_unknown)."""


def honeypot(is_filled: bool) -> Verdict | None:
    """A filled honeypot is a bot."""
    return Verdict(CommentStatus.SPAM, "honeypot field filled") if is_filled else None


def form_time(stamp: str | None, min_seconds: float, max_seconds: float) -> Verdict | None:
    """A form sent sooner than a person could fill it, later than it lives, or with a forged or missing
    stamp is a bot's. A window's stamp (the shared page's) counts from the window's start, so the form
    was certainly sent that soon; form_time_unknown takes the forms it cannot tell about."""
    read = read_form_stamp(stamp)
    if read is None:
        return Verdict(CommentStatus.SPAM, "form stamp missing or forged")
    if read.age < min_seconds:
        return Verdict(CommentStatus.SPAM, f"form sent {read.age:.0f} s after it was served")
    if read.age > max_seconds + read.window:
        return Verdict(CommentStatus.SPAM, "form older than its lifetime")
    return None


def form_time_unknown(stamp: str | None, min_seconds: float) -> Refusal | None:
    """A form of the shared page whose stamp cannot tell whether it was sent sooner than ``min_seconds``
    after the reader got it (it was rendered less than ``min_seconds`` + its window ago): neither spam
    nor taken, but shown again with the text kept and a stamp of that moment, to send once more (400).
    Readers whose browser runs form-stamp.js never get here: it fetches a stamp of the moment they start."""
    read = read_form_stamp(stamp)
    if read is not None and read.window and min_seconds and read.age < min_seconds + read.window:
        return Refusal(400, _("Please check your comment and send it again."), renews_stamp=True)
    return None


def duplicate(comment: Comment) -> Refusal | None:
    """The same person saying the same text in the same place again (409)."""
    if said_before(comment):
        return Refusal(409, _("Duplicate comment detected; it looks as though you’ve already said that!"))
    return None


def too_soon(comment: Comment, seconds: int) -> Refusal | None:
    """A comment within ``seconds`` of the last one from its IP or its email address (429); 0 allows any.
    Otherwise both are marked busy for ``seconds`` from now, in the caller's transaction."""
    if not seconds:
        return None
    wait = flood.claim(flood.flood_keys(comment.ip, comment.email), seconds)
    if wait is None:
        return None
    return Refusal(429, _("You are posting comments too quickly. Slow down."), retry_after=wait)
