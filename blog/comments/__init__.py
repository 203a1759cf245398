"""Comments for any Flask page: a thread, a "Leave a Reply" form, moderation, sanitized storage.

Usage in a host app::

    from blog.comments import Comments, CommentTarget

    comments = Comments()
    comments.init_app(app)          # after db (blog.extensions) and Flask-Babel

    @comments.target_loader
    def load(locator):              # the <locator> of POST /<locator>/comments
        return CommentTarget(key="page-1", locator=locator, title="A page", url="/a-page/")

    @comments.page_renderer
    def render(target, form, status):   # the page again, with the form's errors
        return render_template("page.html", target=target, form=form), status

and in the page's template: ``{{ comments_section(target, form) }}``. A view that answers with
``serve_target_page(target, version, render)`` has the whole page kept per worker and filled in for
each reader (blog.comments.page_cache). For the moderation desk at
/admin/comments, also register ``comments.moderator_required(view_decorator)``,
``@comments.moderator_loader`` and ``@comments.targets_resolver`` (see ``Comments``).

To veto or re-status a reader's comment before it is stored (a spam service, say), connect to
``comment_will_be_posted``: set ``comment.status`` (and ``status_reason``), or return a reason to
refuse it (403, the form kept). The other signals tell of what is done (blog.comments.signals).
"""

from blog.comments.extension import Comments
from blog.comments.feeds import FEED_LENGTH, atom_response
from blog.comments.forms import (
    AUTHOR_MAX,
    EMAIL_MAX,
    FORBIDDEN_CHARACTERS,
    commenter_details,
    one_line,
    reject_control_characters,
    single_line,
)
from blog.comments.models import Comment, CommentStatus, thread_version_column
from blog.comments.page_cache import cacheable, serve_target_page
from blog.comments.signals import (
    comment_edited,
    comment_erased,
    comment_posted,
    comment_status_changed,
    comment_will_be_posted,
)
from blog.comments.submission import place_in_thread
from blog.comments.target import CommentTarget
from blog.comments.thread_cache import VersionedCache, touch_thread

# The public API: a host imports these names from ``blog.comments`` and nothing from its modules.
__all__ = [
    # The extension, what it is told a page is, and its comments.
    "Comments", "CommentTarget", "Comment", "CommentStatus",
    # Its signals (blinker), sent by the app.
    "comment_will_be_posted", "comment_posted", "comment_status_changed", "comment_edited", "comment_erased",
    # Whole pages and feeds kept per worker and checked against versions, and sent for any cache to keep.
    "serve_target_page", "thread_version_column", "VersionedCache", "atom_response", "FEED_LENGTH", "cacheable",
    # The forms' text rules, for a host's own forms and importers.
    "single_line", "reject_control_characters", "one_line", "FORBIDDEN_CHARACTERS", "AUTHOR_MAX", "EMAIL_MAX",
    # For importers: what the comment form keeps of a commenter's details, hang a comment in its thread,
    # and tell the caches a thread changed.
    "commenter_details", "place_in_thread", "touch_thread",
]
