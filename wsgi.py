"""The WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app`` and ``flask --app wsgi …``.

``BLOG_INSTANCE_PATH`` moves the instance folder (config, secret key, SQLite file), e.g. to /var/lib/blog.
"""

import os

from blog import create_app

app = create_app(instance_path=os.environ.get("BLOG_INSTANCE_PATH"))
