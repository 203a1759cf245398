"""Admin accounts, checking their passwords, and the failed sign-ins that throttle guessing."""

import secrets
from datetime import datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from blog.extensions import db, utcnow


class Admin(UserMixin, db.Model):
    """Someone who may moderate comments and write posts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of every signed-in session's id: signing out or a new password bumps it, ending them all.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def set_password(self, password: str):
        """Store a salted, slow hash of the password (Werkzeug's scrypt), never the password, and end
        every session signed in with the old one."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self):
        """End every session of this admin, on every device: their ids carry the old generation. Counted
        up in SQL, so that two sign-outs at once both count."""
        if self.session_generation is not None:  # None: not saved yet, so no session to end
            self.session_generation = Admin.session_generation + 1

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: the admin's and the generation it was signed in under."""
        return f"{self.id}-{self.session_generation}"

    def __repr__(self):
        return f"<Admin {self.username!r}>"


class FailedLogin(db.Model):
    """One wrong password, kept a while so every gunicorn worker counts the same failures."""

    __table_args__ = (
        Index("ix_failed_login_ip_created_at", "ip", "created_at"),
        Index("ix_failed_login_username_created_at", "username", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(String(45))
    username: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def admin_named(username: str):
    return select(Admin).where(Admin.username == username)


@cache
def _unknown_name_hash() -> str:
    """A hash of a random password, made once per process as set_password makes real ones."""
    return generate_password_hash(secrets.token_urlsafe(32))


def authenticate(username: str, password: str) -> Admin | None:
    """The admin with this name and password, or None.

    An unknown name is checked against a hash of the same kind, so that how long the answer takes
    does not tell a guesser which names exist.
    """
    admin = db.session.scalar(admin_named(username))
    # Made for every name, so that even a process's first attempt takes as long whichever name it names.
    unknown = _unknown_name_hash()
    is_right = check_password_hash(unknown if admin is None else admin.password_hash, password)
    return admin if admin is not None and is_right else None
