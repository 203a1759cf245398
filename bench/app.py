"""The WSGI app ``make bench`` serves: the blog as wsgi.py builds it, plus a hello-world route.

The route gives every row of the table the same yardstick: the same app, workers, middleware and
after-request hooks, with no database and no template. It exists only here, never in production.
"""

import os

from blog import create_app

app = create_app(instance_path=os.environ.get("BLOG_INSTANCE_PATH"))


@app.get("/bench/hello")
def bench_hello():
    return "Hello, World!"
