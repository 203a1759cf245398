"""The ``Comments`` extension: settings, blueprint, template helpers, and the hooks a host fills in."""

from flask import abort

from blog.comments import cli
from blog.comments.admin_views import bp as admin_bp
from blog.comments.admin_views import undo_form
from blog.comments.api import bp as api_bp
from blog.comments.avatars import avatar_url
from blog.comments.embedded_threads import embedded_targets
from blog.comments.markup import ALLOWED_TAGS_NOTE, check_markup
from blog.comments.models import CommentStatus, comments_in_status, status_counts
from blog.comments.moderation import ModerationPolicy
from blog.comments.notifications import notify_moderators
from blog.comments.reply_notices import notify_on_approval, notify_on_posting
from blog.comments.section import mark_personal_responses, render_comments_section, request_counts
from blog.comments.signals import comment_posted, comment_status_changed
from blog.comments.thread_cache import VersionedCache
from blog.comments.translation import markup_gettext, markup_ngettext, moment_markup
from blog.comments.views import bp, notices_bp, own_delete, own_edit, submit
from blog.extensions import db

DEFAULTS = {
    # What comment text is written in: "html" (WordPress's tags, blank lines make paragraphs) or "markdown".
    "COMMENTS_MARKUP": "html",
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
    # Minimum seconds between two comments from one IP or one email; 0 turns the limit off.
    "COMMENTS_FLOOD_SECONDS": 15,
    # A form sent sooner than this after it was served is a bot's (stored as spam, answered as held).
    "COMMENTS_MIN_FILL_SECONDS": 3,
    # ...and so is one sent later than this (seconds).
    "COMMENTS_FORM_MAX_AGE": 24 * 3600,
    # Readers without a cookie share one copy of a page for this many seconds: its form's token and stamp
    # name the window, not the reader (blog.comments.forgery, blog.comments.timing).
    "COMMENTS_FORM_WINDOW_SECONDS": 60,
    # How long a browser or a cache in front may answer from that shared copy (Cache-Control max-age)...
    "COMMENTS_CACHE_MAX_AGE": 60,
    # ...and then answer from it while it asks for a new one (stale-while-revalidate).
    "COMMENTS_CACHE_STALE_WHILE_REVALIDATE": 60,
    # IP addresses and browsers of comments are cleared after this many days (flask blog purge).
    "COMMENTS_IP_RETENTION_DAYS": 30,
    # A commenter may edit or delete their own comment this many seconds after posting it; 0 never.
    "COMMENTS_EDIT_WINDOW_SECONDS": 900,
    # Spam and trash are deleted after this many days (flask blog purge).
    "COMMENTS_PURGE_AFTER_DAYS": 30,
    # Comments per page of the moderation queue.
    "COMMENTS_ADMIN_PER_PAGE": 20,
    # Addresses mailed when a comment is held; [] mails no one. A dict maps each address to a moderator's
    # name: that mail also carries one-click approve / spam / trash links for that moderator.
    "COMMENTS_NOTIFY": [],
    # Seconds a one-click moderation link works (blog.comments.moderation_links); 0 mails no such link.
    "COMMENTS_MODERATION_LINK_SECONDS": 7 * 24 * 3600,
    # The site's public address for links in mail ("https://blog.example.org"); None: paths only.
    "COMMENTS_SITE_URL": None,
    # The site's name, for the feed of all comments ("Comments for …").
    "COMMENTS_SITE_TITLE": "Blog",
    # The address stored with a moderator's reply (never shown).
    "COMMENTS_SITE_EMAIL": "",
    # Show Gravatar's pictures instead of our identicons: tells Gravatar every reader's IP and gives the page
    # a hash of each commenter's address, against which anyone can test guessed addresses (README, Avatars).
    "COMMENTS_GRAVATAR": False,
    # Origins ("https://static.example.org": scheme://host[:port], no path) whose pages may embed threads
    # (CORS and the API's token); the site's own origin is always allowed and never needs listing.
    "COMMENTS_EMBED_ORIGINS": [],
    # A URI the host does not know becomes a thread of the plugin's own on its first comment, when posted
    # from a listed origin.
    "COMMENTS_EMBED_AUTO_THREADS": False,
    # Mail: the plugin's own names, so a host's Flask-Mail keeps MAIL_*; None reads it (notifications.MailSettings).
    # The SMTP server for notifications; None: MAIL_SERVER, else "localhost".
    "COMMENTS_MAIL_SERVER": None,
    # Its port; None: MAIL_PORT, else 25.
    "COMMENTS_MAIL_PORT": None,
    # Whether to switch to TLS once connected (STARTTLS); None: MAIL_USE_TLS, else no.
    "COMMENTS_MAIL_USE_TLS": None,
    # Whether to connect over TLS from the start (SMTPS); None: MAIL_USE_SSL, else no.
    "COMMENTS_MAIL_USE_SSL": None,
    # The name to log in with ("": no login); None: MAIL_USERNAME, else no login.
    "COMMENTS_MAIL_USERNAME": None,
    # Its password; None: MAIL_PASSWORD, else none.
    "COMMENTS_MAIL_PASSWORD": None,
    # The From address of every mail; None: MAIL_DEFAULT_SENDER, else "blog@localhost".
    "COMMENTS_MAIL_DEFAULT_SENDER": None,
    # Seconds to wait on the mail server before giving up (and logging); None: MAIL_TIMEOUT, else 10.
    "COMMENTS_MAIL_TIMEOUT": None,
}


class Comments:
    """Comment threads under any page of a Flask app.

    The host tells the plugin what a page is with two hooks: ``target_loader`` (a locator from
    the URL to a ``CommentTarget``, or None) and ``page_renderer`` (the host page again, with
    a bound form and a status, for a form with errors). For the moderation desk it adds
    ``moderator_required`` (its view decorator for moderators only), ``moderator_loader`` (the
    signed-in moderator's name, for the log) and ``targets_resolver`` (thread keys to targets,
    to name each comment's page in the queue and in the feed of all comments, which leaves out
    comments whose page it does not know). For the JSON API and the embed it adds ``uri_resolver``
    (a page's path to its ``CommentTarget``).

    It also gives the host what a host needs of it: ``exempt_csrf`` for its CSRF protection, its
    ``commands`` for the host's CLI group, and counts for the host's own pages.
    """

    # The plugin's commands (resanitize, purge, privacy export|erase), for the host to attach to its group.
    commands = tuple(cli.commands)

    def __init__(self, app=None):
        self._load_target = None
        self._render_page = None
        self._moderator_required = None
        self._load_moderator = None
        self._resolve_targets = None
        self._resolve_uri = None
        self._moderator_generation = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        # Built here, so a bad setting fails at start-up, not on a reader's comment.
        app.extensions["comments.policy"] = ModerationPolicy(app.config)
        check_markup(app.config)
        if app.config["COMMENTS_FORM_WINDOW_SECONDS"] < 1:
            raise ValueError("COMMENTS_FORM_WINDOW_SECONDS must be at least 1")
        for name in ("COMMENTS_EDIT_WINDOW_SECONDS", "COMMENTS_MODERATION_LINK_SECONDS"):
            seconds = app.config[name]
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                raise ValueError(f"{name} must be a whole number of seconds, 0 or more")
        app.extensions["comments"] = self
        app.extensions["comments.rendered_threads"] = VersionedCache()
        app.extensions["comments.rendered_comments"] = VersionedCache()
        app.extensions["comments.rendered_pages"] = VersionedCache()
        app.register_blueprint(bp)
        app.register_blueprint(notices_bp)
        app.register_blueprint(admin_bp)
        app.register_blueprint(api_bp)
        app.jinja_env.globals.update(comments_section=render_comments_section, comments_avatar_url=avatar_url,
                                    comments_allowed_tags=ALLOWED_TAGS_NOTE, _c=markup_gettext, _cn=markup_ngettext,
                                    comments_undo_form=undo_form)
        app.jinja_env.filters["comments_time"] = moment_markup
        app.after_request(mark_personal_responses)
        comment_posted.connect(notify_moderators, sender=app)
        comment_posted.connect(notify_on_posting, sender=app)
        comment_status_changed.connect(notify_on_approval, sender=app)

    def target_loader(self, function):
        """Register ``function(locator) -> CommentTarget | None``."""
        self._load_target = function
        return function

    def page_renderer(self, function):
        """Register ``function(target, form, status) -> response``."""
        self._render_page = function
        return function

    def moderator_required(self, decorator):
        """Register the host's view decorator that lets only moderators through: the plugin checks each of its
        admin requests with ``decorator(lambda: None)()``, so whatever else the wrapped view returns (a
        redirect to sign in, a 401) is the answer to everyone else."""
        self._moderator_required = decorator
        return decorator

    def moderator_loader(self, function):
        """Register ``function() -> str | None``: the signed-in moderator's name."""
        self._load_moderator = function
        return function

    def moderator_generation_loader(self, function):
        """Register ``function(name) -> str | None``: a value that stays the same while the named moderator
        stays who they are, and changes when their sessions end everywhere (signing out, a new password)
        or their account is deleted (then None). It binds the one-click links of moderation mail to their
        moderator; with no hook, no mail carries such links."""
        self._moderator_generation = function
        return function

    def targets_resolver(self, function):
        """Register ``function(keys) -> {key: CommentTarget}`` for the keys it knows (the queue and the
        feed of all comments name each comment's page with it)."""
        self._resolve_targets = function
        return function

    def uri_resolver(self, function):
        """Register ``function(uri) -> CommentTarget | None``: the host's page at a path ("/a-post/"), for
        the JSON API; a path it does not know may become a thread of the plugin's own
        (COMMENTS_EMBED_AUTO_THREADS)."""
        self._resolve_uri = function
        return function

    def check_moderator(self):
        """None when the visitor may moderate, else the host's answer; with no hook, nobody may (403)."""
        if self._moderator_required is None:
            abort(403)
        return self._moderator_required(lambda: None)()

    def current_moderator(self) -> str | None:
        """The signed-in moderator's name, or None for a reader."""
        return self._load_moderator() if self._load_moderator else None

    def moderator_generation(self, name: str) -> str | None:
        """The named moderator's generation from the host's hook; None without one, or for no such moderator."""
        return self._moderator_generation(name) if self._moderator_generation else None

    def moderator_name(self) -> str:
        return self.current_moderator() or "moderator"

    def exempt_csrf(self, csrf):
        """Let past the host's CSRFProtect what the plugin checks its own way (a host with CSRFProtect
        must call this): the comment form, whose token is bound to the post for a reader without a
        session (blog.comments.forgery), and the links of its mail: reply notices, which mail clients
        unsubscribe with by a bare POST (RFC 8058), and one-click moderation, which works without a
        session; each link's signed token is its proof, with no cookie and no CSRF token; a commenter's
        own edit and delete, whose proof is their comment's edit token, in their cookie and in the form
        alike (blog.comments.own_edits); and the JSON API, which reads no cookie and asks for a token of
        its own (blog.comments.api_tokens)."""
        csrf.exempt(submit)
        csrf.exempt(own_edit)
        csrf.exempt(own_delete)
        csrf.exempt(notices_bp)
        csrf.exempt(api_bp)

    def approved_counts(self, keys) -> dict[str, int]:
        """How many comments each thread shows, by key, in one query: for a host's list of pages."""
        return {key: counts.shown for key, counts in request_counts(keys).items()}

    def status_counts(self) -> dict[CommentStatus, int]:
        """How many comments stand in each status, every status present."""
        return {status: 0 for status in CommentStatus} | dict(db.session.execute(status_counts()).all())

    def newest(self, status: CommentStatus, limit: int) -> list:
        """The newest comments in one status, for a host's dashboard."""
        return db.session.scalars(comments_in_status(status).limit(limit)).all()

    def resolve_targets(self, keys) -> dict:
        """The targets of the keys the host's ``targets_resolver`` knows, and of the plugin's own threads."""
        if not keys:
            return {}
        known = self._resolve_targets(keys) if self._resolve_targets else {}
        return embedded_targets(set(keys) - set(known)) | known

    def resolve_uri(self, uri: str):
        """The host's target at ``uri``, or None (also with no ``uri_resolver``)."""
        return self._resolve_uri(uri) if self._resolve_uri else None

    def load_target(self, locator):
        if self._load_target is None:
            raise RuntimeError("Comments has no target loader: decorate one with @comments.target_loader")
        return self._load_target(locator)

    def render_page(self, target, form, status):
        if self._render_page is None:
            raise RuntimeError("Comments has no page renderer: decorate one with @comments.page_renderer")
        return self._render_page(target, form, status)
