"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app`` (HOST, PORT, WEB_CONCURRENCY)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers are CPU-bound here; two per core plus one keeps both cores busy while one waits on I/O.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A worker stuck longer than this is restarted; a graceful stop lets requests in flight finish.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows; jitter keeps them from restarting together.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = "-"
errorlog = "-"
# Each worker builds its own app and opens its own database connections: no pool crosses a fork.
preload_app = False
# Which proxy headers to believe is the app's decision (PROXY_FIX_X_* settings), not gunicorn's.
secure_scheme_headers = {}
# gunicorn's control socket sits at one fixed path per user, so two servers on one host would fight over it.
control_socket_disable = True
