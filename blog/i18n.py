"""Language choice: English or Dutch from Accept-Language, among ``BLOG_LANGUAGES``."""

from flask import current_app, has_request_context, request
from flask_babel import get_locale

from blog.extensions import babel


def select_locale() -> str:
    """The best of the configured languages for this request, else the default."""
    default = current_app.config["BLOG_DEFAULT_LANGUAGE"]
    if not has_request_context():
        return default
    return request.accept_languages.best_match(current_app.config["BLOG_LANGUAGES"]) or default


def init_i18n(app):
    """Bind Babel and tell caches that pages differ by language."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["BLOG_DEFAULT_LANGUAGE"])
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = lambda: str(get_locale())

    @app.after_request
    def vary_on_language(response):
        response.vary.add("Accept-Language")
        return response
