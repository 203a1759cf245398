"""The SQL an app runs while a block of a test runs: for the tests that hold a page or a POST to its few
statements."""

import contextlib

from sqlalchemy import event

from blog.extensions import db


@contextlib.contextmanager
def recorded_statements(app):
    """A list that fills with the statements ``app``'s engine runs inside the block."""
    statements = []

    def record(_connection, _cursor, statement, *_):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
