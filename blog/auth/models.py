"""Admin accounts and the failed sign-ins that throttle guessing."""

from datetime import datetime

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
        """Store a salted, slow hash of the password (Werkzeug's scrypt), never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

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
