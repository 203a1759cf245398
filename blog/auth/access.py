"""Who may do what: Flask-Login wiring and the ``admin_required`` guard for every /admin page."""

from functools import wraps

from flask_login import current_user

from blog.auth.models import Admin
from blog.extensions import db, login_manager


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    return db.session.get(Admin, int(admin_id)) if admin_id.isdigit() else None


def admin_required(view):
    """Send anyone not signed in as an admin to the sign-in page, and back here afterwards."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return guarded


def current_admin_name() -> str | None:
    """The signed-in admin's name, for moderation logs; None for anyone else."""
    return current_user.username if current_user.is_authenticated else None
