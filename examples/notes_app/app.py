"""A second host for the comments plugin: notes, not blog posts, with their own pages and database.

Of the blog it uses only the public names of ``blog.comments`` and the shared ``db`` their models
live on; what a note is to the plugin, and who may moderate, is in commenting.py. Being an example,
it makes its tables with ``create_all`` on first run (and adds a welcome note) where a real host
would keep migrations. Run it as README.md beside this module says.
"""

import secrets
from pathlib import Path

import click
from flask import Blueprint, Flask, render_template
from flask_babel import Babel
from flask_wtf import CSRFProtect
from sqlalchemy import select

from blog.extensions import db
from examples.notes_app.commenting import comments, target_for
from examples.notes_app.models import Note, NotesModel

INSTANCE_PATH = Path(__file__).resolve().parent / "instance"

babel = Babel()
csrf = CSRFProtect()
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
