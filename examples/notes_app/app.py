"""A second host for the comments plugin: notes, not blog posts, with their own pages and database.

Of the blog it uses only the public names of ``blog.comments`` and the shared ``db`` their models live
on. Being an example, it makes its tables with ``create_all`` on first run (and adds a welcome note)
where a real host would keep migrations. Run it as README.md beside this module says.
"""

import functools
import hmac
import secrets
from pathlib import Path

import click
from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask_babel import Babel
from flask_babel import gettext as _
from flask_wtf import CSRFProtect
from sqlalchemy import select

from blog.comments import Comments, CommentTarget
from blog.extensions import db
from examples.notes_app.models import Note, NotesModel

INSTANCE_PATH = Path(__file__).resolve().parent / "instance"

babel = Babel()
csrf = CSRFProtect()
comments = Comments()
bp = Blueprint("notes", __name__)


def create_app(config=None, instance_path=INSTANCE_PATH):
    """Settings (defaults, instance/config.py, FLASK_* variables, ``config``), extensions, tables."""
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'notes.sqlite3'}",
        NOTES_MODERATORS={},  # moderators' names and passwords, for HTTP Basic at /admin/comments
        COMMENTS_SITE_TITLE="Notes",  # the site's name in the plugin's feed of all comments
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    app.config.update(config or {})
    # Without a configured key, one for this process only: forms served before a restart expire.
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or secrets.token_hex()

    db.init_app(app)
    babel.init_app(app)
    csrf.init_app(app)
    comments.init_app(app)  # after db and Babel, which it uses
    comments.exempt_csrf(csrf)
    app.register_blueprint(bp)
    app.cli.add_command(click.Group("notes", commands=comments.commands, help="Upkeep of the notes' comments."))
    with app.app_context():
        db.create_all()  # the plugin's tables
        NotesModel.metadata.create_all(db.engine)
        if db.session.scalar(select(Note.id).limit(1)) is None:
            db.session.add(Note(slug="welcome", title="Welcome", text="A note with a comment thread under it."))
            db.session.commit()
    return app


def target_for(note: Note) -> CommentTarget:
    """A note as the comments plugin sees it."""
    return CommentTarget(key=note.thread_key, locator=note.slug, title=note.title,
                         url=url_for("notes.detail", slug=note.slug))


def note_at(slug: str) -> Note | None:
    return db.session.scalar(select(Note).where(Note.slug == slug))


@comments.target_loader
def load_target(slug: str) -> CommentTarget | None:
    note = note_at(slug)
    return target_for(note) if note is not None else None


@comments.page_renderer
def render_note_page(target: CommentTarget, form, status: int):
    """The note's page again, with the plugin's form and its errors."""
    return render_template("notes/detail.html", note=note_at(target.locator), target=target, form=form), status


@comments.targets_resolver
def resolve_targets(keys) -> dict[str, CommentTarget]:
    """Notes by thread key, in one query: for the moderation queue and the feed of all comments."""
    ids = [int(key.removeprefix("note-")) for key in keys if key.startswith("note-") and key[5:].isdigit()]
    return {note.thread_key: target_for(note) for note in db.session.scalars(select(Note).where(Note.id.in_(ids)))}


@comments.moderator_loader
def signed_in_moderator() -> str | None:
    """The moderator whose name and password this request carries (HTTP Basic), or None."""
    credentials = request.authorization
    if credentials is None or not credentials.username or not credentials.password:
        return None
    expected = current_app.config["NOTES_MODERATORS"].get(credentials.username)
    is_right = expected is not None and hmac.compare_digest(credentials.password.encode(), expected.encode())
    return credentials.username if is_right else None


@comments.moderator_required
def moderator_required(view):
    """Let a moderator through; ask anyone else for a moderator's name and password (401)."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if signed_in_moderator() is None:
            return Response(_("Moderators only: sign in with a moderator's name and password."), 401,
                            {"WWW-Authenticate": 'Basic realm="Notes moderation"'})
        return view(*args, **kwargs)
    return checked


@bp.get("/")
def index():
    """Every note, newest first, with how many comments each shows."""
    notes = db.session.scalars(select(Note).order_by(Note.id.desc())).all()
    return render_template("notes/index.html", notes=notes,
                           counts=comments.approved_counts([note.thread_key for note in notes]))


@bp.get("/<slug>/")
def detail(slug):
    """One note, its approved comments and the form to add one."""
    note = db.first_or_404(select(Note).where(Note.slug == slug))
    return render_template("notes/detail.html", note=note, target=target_for(note), form=None)
