"""The notes app's side of the comments plugin: what a note is to it, and who may moderate."""

import functools
import hmac

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from blog.comments import Comments, CommentTarget
from blog.extensions import db
from examples.notes_app.models import Note

comments = Comments()


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
