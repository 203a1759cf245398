"""The notes app's one model, a note, in a metadata of its own rather than the shared ``db.metadata``.

``db.metadata`` is what the blog's Alembic history describes (and what its tests compare with it), so a
``note`` table there would look like a missing migration. Notes are still read and written through
the shared ``db.session``: Flask-SQLAlchemy sends a table with no bind key to the app's one engine.
"""

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class NotesModel(DeclarativeBase):
    """The base of the notes app's models."""


class Note(NotesModel):
    """A short text at /<slug>/ with a comment thread under it."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)

    @property
    def thread_key(self) -> str:
        """The key its comments are stored under: by id, so a new slug keeps the thread."""
        return f"note-{self.id}"
