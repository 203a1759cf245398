"""The ``Comments`` extension: settings, blueprint, template helpers, and the hooks a host fills in."""

from blog.comments.moderation import ModerationPolicy
from blog.comments.section import mark_personal_responses, render_comments_section
from blog.comments.translation import markup_gettext, markup_ngettext
from blog.comments.views import bp

DEFAULTS = {
    # "first-time": approve authors with an earlier approved comment; "all": hold all; "none": approve all.
    "COMMENTS_MODERATION": "first-time",
    # More links than this (bare URLs included) hold a comment.
    "COMMENTS_MAX_LINKS": 2,
    # Top-level comments per page.
    "COMMENTS_PER_PAGE": 50,
    # Deepest reply level; replies past it attach beside their parent.
    "COMMENTS_THREAD_DEPTH": 5,
    # Close comments on targets published longer ago than this; 0 never.
    "COMMENTS_CLOSE_AFTER_DAYS": 0,
    # A comment containing one of these (in any field) is held / trashed.
    "COMMENTS_MODERATION_WORDS": [],
    "COMMENTS_DISALLOWED_WORDS": [],
}


class Comments:
    """Comment threads under any page of a Flask app.

    The host tells the plugin what a page is with two hooks: ``target_loader`` (a locator from
    the URL to a ``CommentTarget``, or None) and ``page_renderer`` (the host page again, with
    a bound form and a status, for a form with errors).
    """

    def __init__(self, app=None):
        self._load_target = None
        self._render_page = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        ModerationPolicy(app.config)  # a bad setting fails at start-up, not on a reader's comment
        app.extensions["comments"] = self
        app.register_blueprint(bp)
        app.jinja_env.globals.update(comments_section=render_comments_section, _c=markup_gettext, _cn=markup_ngettext)
        app.after_request(mark_personal_responses)

    def target_loader(self, function):
        """Register ``function(locator) -> CommentTarget | None``."""
        self._load_target = function
        return function

    def page_renderer(self, function):
        """Register ``function(target, form, status) -> response``."""
        self._render_page = function
        return function

    def load_target(self, locator):
        if self._load_target is None:
            raise RuntimeError("Comments has no target loader: decorate one with @comments.target_loader")
        return self._load_target(locator)

    def render_page(self, target, form, status):
        if self._render_page is None:
            raise RuntimeError("Comments has no page renderer: decorate one with @comments.page_renderer")
        return self._render_page(target, form, status)
