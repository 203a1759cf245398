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
"""

from blog.comments.extension import Comments
from blog.comments.models import Comment, CommentStatus
from blog.comments.page_cache import serve_target_page
from blog.comments.signals import comment_edited, comment_posted, comment_status_changed
from blog.comments.target import CommentTarget
from blog.comments.thread_cache import thread_version_column

__all__ = ["Comment", "CommentStatus", "CommentTarget", "Comments", "comment_edited", "comment_posted",
           "comment_status_changed", "serve_target_page", "thread_version_column"]
