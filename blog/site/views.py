"""Site-wide endpoints that are not pages: the health check."""

from flask import Blueprint

from blog.database import is_database_up

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not: for load balancers and monitors."""
    if is_database_up():
        return {"status": "ok"}
    return {"status": "unavailable"}, 503
