"""Scratch databases on the PostgreSQL and MariaDB servers the tests are given (DESIGN.md section 11)."""

import contextlib
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from blog.config import normalize_database_url

SERVER_DATABASES = {"postgresql": "TEST_POSTGRES_URL", "mariadb": "TEST_MARIADB_URL"}


@contextlib.contextmanager
def scratch_database(server_url, prefix="blog_test"):
    """A new, empty database ``<prefix>_<random>`` on a PostgreSQL or MariaDB server, dropped afterwards."""
    url = make_url(normalize_database_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    charset = " CHARACTER SET utf8mb4" if url.get_backend_name() == "mysql" else ""
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}{charset}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if url.get_backend_name() == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}{force}"))
        admin.dispose()
