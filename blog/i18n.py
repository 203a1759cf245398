"""Language choice: the reader's pick in the URL (``?lang=nl``), else Accept-Language, among ``BLOG_LANGUAGES``.

A reader switches language by a link that puts it in the URL, never by a cookie: a cookie would make
every page that reader's own, and no cache could share it. So each page exists once per language
(``?lang=en``, ``?lang=nl``) and once without, negotiated from Accept-Language; every link a page with
``?lang=`` builds to the reader's pages keeps it (``url_for`` adds it), and only the negotiated page
varies by Accept-Language. A URL spells its language one way only: once, known, and last in the query;
any other spelling (an unknown or empty value, two of them, ``lang`` before another parameter) is
answered with a 301 to that one spelling (or to the URL without it), so no cache keeps more copies of
a page than there are languages, plus one.
"""

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from babel import Locale
from flask import current_app, has_request_context, redirect, request
from flask_babel import get_locale

from blog.extensions import babel

LANGUAGE_PARAMETER = "lang"
# The reader's pages, whose URLs carry the reader's language: the posts, their feeds, the comment form
# and a commenter's own edit. Not the admin's pages, the JSON API, or files (stylesheets, avatars),
# whose URLs would only multiply.
READER_ENDPOINTS = frozenset({
    "posts.index", "posts.detail", "feeds.posts_feed", "comments.site_feed", "comments.thread_feed",
    "comments.submit", "comments.own_edit", "comments.own_delete",
})
# The methods whose answers caches keep: only their URLs are set right by a redirect.
CACHED_METHODS = frozenset({"GET", "HEAD"})


def url_language() -> str | None:
    """The language this request's URL names, if it is a reader's page naming exactly one of BLOG_LANGUAGES."""
    if not has_request_context() or request.endpoint not in READER_ENDPOINTS:
        return None
    try:
        named = request.args.getlist(LANGUAGE_PARAMETER)
    except UnicodeDecodeError:  # a query that is not UTF-8, which blog.request_checks answers with a 400
        return None
    return named[0] if len(named) == 1 and named[0] in current_app.config["BLOG_LANGUAGES"] else None


def select_locale() -> str:
    """The language the URL names, else the best of the configured ones for Accept-Language, else the default."""
    default = current_app.config["BLOG_DEFAULT_LANGUAGE"]
    if not has_request_context():
        return default
    return url_language() or request.accept_languages.best_match(current_app.config["BLOG_LANGUAGES"]) or default


def _query_with_language(query: str, language: str | None) -> str:
    """``query`` naming ``language`` last, as links spell it, or no language at all (None)."""
    pairs = [pair for pair in parse_qsl(query, keep_blank_values=True) if pair[0] != LANGUAGE_PARAMETER]
    if language is not None:
        pairs.append((LANGUAGE_PARAMETER, language))
    return urlencode(pairs)


def with_language(url: str, language: str | None) -> str:
    """``url`` naming ``language`` (last in its query, as links spell it), or no language at all (None)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=_query_with_language(parts.query, language)))


def canonical_language_url():
    """A 301 to the one spelling of this URL's language when it names one otherwise (see the module's
    docstring); None for a URL that spells it right, or names none."""
    if request.method not in CACHED_METHODS or request.endpoint not in READER_ENDPOINTS:
        return None
    if LANGUAGE_PARAMETER not in request.args:
        return None
    sent = request.query_string.decode()  # UTF-8 text: blog.request_checks refused anything else
    canonical = _query_with_language(sent, url_language())
    if canonical == sent:
        return None
    # The routed path, so never "//host" (which a browser would read as another site).
    path = quote(request.script_root + request.path)
    return redirect(f"{path}?{canonical}" if canonical else path, code=301)


def keep_language(endpoint: str, values: dict):
    """``url_for`` to a reader's page from a page that names its language names it too (last, unless given)."""
    language = url_language()
    if language is not None and endpoint in READER_ENDPOINTS:
        values.setdefault(LANGUAGE_PARAMETER, language)


def language_links(url: str) -> list[dict]:
    """The page at ``url`` in each language, for the switch and the hreflang links: each with its code,
    its name in its own language, its URL, and whether it is the language shown."""
    shown = str(get_locale())
    return [{"code": code, "name": Locale.parse(code).get_display_name(code).capitalize(),
             "url": with_language(url, code), "is_current": code == shown}
            for code in current_app.config["BLOG_LANGUAGES"]]


def init_i18n(app):
    """Bind Babel, keep the URL's language in links, and tell caches which pages differ by Accept-Language."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["BLOG_DEFAULT_LANGUAGE"])
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = lambda: str(get_locale())
    app.jinja_env.globals["language_links"] = language_links
    app.jinja_env.filters["with_language"] = with_language
    app.url_defaults(keep_language)
    app.before_request(canonical_language_url)

    @app.after_request
    def vary_on_language(response):
        """A page whose URL names its language is the same whatever the browser's Accept-Language."""
        if url_language() is None:
            response.vary.add("Accept-Language")
        return response
