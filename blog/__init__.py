"""A Flask blog whose comments are a plugin; ``create_app`` is the only place that wires it.

Nothing of the blog is imported until an app is made, so ``import blog.comments`` (the plugin, for
any Flask app) loads no post, admin, sign-in or site code.
"""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# Alembic history for the blog and the comments plugin alike, beside the package.
MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config=None, instance_path=None):
    """Build the app: settings, extensions, blueprints, error pages, template helpers."""
    from blog import commenting
    from blog.admin.views import bp as admin_bp
    from blog.assets import init_assets
    from blog.auth.views import bp as auth_bp
    from blog.cli import blog_cli
    from blog.config import load_config
    from blog.database import init_database, render_migration_type
    from blog.errors import register_error_handlers
    from blog.extensions import csrf, db, login_manager, migrate, redis_store
    from blog.i18n import init_i18n
    from blog.posts.feeds import bp as feeds_bp
    from blog.posts.views import bp as posts_bp
    from blog.request_checks import init_request_checks
    from blog.security import add_security_headers
    from blog.sessions import SessionInterface
    from blog.site.views import bp as site_bp
    from blog.urls import absolute_url

    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    load_config(app, test_config)

    db.init_app(app)
    migrate.init_app(
        app, db, directory=MIGRATIONS_DIRECTORY, render_as_batch=True, compare_type=True,
        render_item=render_migration_type,
    )
    init_request_checks(app)  # before CSRFProtect, which reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    app.session_interface = SessionInterface()
    init_database(app)
    redis_store.init_app(app)
    init_i18n(app)
    app.config.setdefault("COMMENTS_SITE_URL", app.config["BLOG_URL"])
    app.config.setdefault("COMMENTS_SITE_TITLE", app.config["BLOG_TITLE"])
    commenting.init_app(app)
    commenting.comments.exempt_csrf(csrf)

    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(posts_bp)
    app.cli.add_command(blog_cli)
    register_error_handlers(app)
    app.after_request(add_security_headers)
    init_assets(app)
    app.jinja_env.globals["absolute_url"] = absolute_url

    proxies = {name: app.config[f"PROXY_FIX_X_{name.upper()}"] for name in ("for", "proto", "host")}
    if any(proxies.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies["for"], x_proto=proxies["proto"], x_host=proxies["host"])
    return app
