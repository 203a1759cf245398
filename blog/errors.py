"""Error pages in the reader's language: no traceback, no settings, no submitted data."""

from flask import Response, current_app, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from blog.database import roll_back

# Seconds a reader is asked to wait when the database is out of reach (a restart, a failover).
DATABASE_RETRY_AFTER_SECONDS = 5

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Forbidden"), _l("You may not do that here.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have moved, or never existed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("This request conflicts with what is already here.")),
    413: (_l("Request too large"), _l("What you sent is larger than this site accepts.")),
    415: (_l("Form not accepted"), _l("This address takes forms only as a web browser sends them.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
    500: (_l("Something went wrong"), _l("The server could not finish your request. Please try again later.")),
    503: (_l("Service unavailable"), _l("The site is briefly unavailable. Please try again in a moment.")),
}

# Flask-WTF's own descriptions ("The CSRF token is missing.") are English and say little to a reader.
CSRF_TEXTS = (
    _l("The form has expired"),
    _l("The form was sent without its security token, or the token has expired. "
       "Please go back, reload the page and send the form again."),
)


def handle_http_error(error: HTTPException):
    """Render any HTTP error as a page, keeping headers such as ``Allow`` and ``Retry-After``."""
    if error.code >= 500:
        roll_back()
    if request_ctx.url_adapter is None:
        # Refused before routing (a Host outside TRUSTED_HOSTS): no URL can be built for a page,
        # and the refused Host is not echoed back.
        return Response(f"{error.code} {error.name}\n", status=error.code, mimetype="text/plain")
    title, message = ERROR_TEXTS.get(error.code, (error.name, ""))
    if isinstance(error, CSRFError):
        title, message = CSRF_TEXTS
    elif error.description != type(error).description:
        # A view that aborts with its own (translated) description gets it shown.
        message = error.description
    response = error.get_response()
    response.set_data(render_template("errors/error.html", code=error.code, title=title, message=message))
    response.content_type = "text/html; charset=utf-8"
    return response


def handle_database_error(error: DBAPIError):
    """503 when the database is out of reach, not 500: the connection broke or could not be made (a
    restart, a failover), so the reader may simply try again, and the pool's pre-ping reconnects the next
    request. The 503 goes through the HTTP error handlers, so a blueprint's own (the JSON API's) answers it.
    Any other database error is the bug it is, and goes on to 500."""
    roll_back()
    if not error.connection_invalidated:
        raise error
    current_app.logger.warning("The database is out of reach (%s): 503", type(error.orig).__name__)
    return current_app.handle_http_exception(ServiceUnavailable(retry_after=DATABASE_RETRY_AFTER_SECONDS))


def register_error_handlers(app):
    """Route every HTTP error, and every unhandled exception as a 500, to one page; a database out of
    reach gets 503."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_error)
