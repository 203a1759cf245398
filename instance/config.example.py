# Copy to instance/config.py and adjust; that file stays out of git.
# Every setting here can also come from the environment with a FLASK_ prefix
# (FLASK_BLOG_TITLE="My blog"), which wins over this file.

BLOG_TITLE = "My blog"
BLOG_DESCRIPTION = "Notes on medicine and science."
# The public address, used for canonical links (and later feeds and mail) instead of the request's Host.
BLOG_URL = "https://blog.example.org"

# SQLite in this folder is the default; for a bigger site:
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://blog:secret@127.0.0.1/blog"
# SQLALCHEMY_DATABASE_URI = "mysql+pymysql://blog:secret@127.0.0.1/blog?charset=utf8mb4"

# Several workers or hosts share flood marks, failed sign-ins and threads' versions through Redis when
# it is given (else the database holds them):
# REDIS_URL = "redis://127.0.0.1:6379/0"

# Behind one reverse proxy (nginx) that sets X-Forwarded-For and X-Forwarded-Proto:
# PROXY_FIX_X_FOR = 1
# PROXY_FIX_X_PROTO = 1

# Left unset, a key is generated once into instance/secret_key (mode 0600).
# SECRET_KEY = "a long random string"
