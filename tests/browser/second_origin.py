"""A second origin for the embed's browser tests: docs/embed-demo served as a static site would be, by
Python's http.server on another loopback port, with the blog's address put in place of make run's and
the page's Content-Security-Policy sent as a header too; and a browser tab on it."""

import contextlib
import re
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.browser.browsing import BlogServer, Tab

DEMO = Path(__file__).resolve().parents[2] / "docs" / "embed-demo"
# Where the demo page expects the blog: make run's address.
DEMO_BLOG_URL = "http://127.0.0.1:8000"
_POLICY = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def demo_page(blog_url: str, language: str = "en") -> str:
    """The demo page for a blog at ``blog_url``, its <html lang> set to ``language``."""
    page = (DEMO / "index.html").read_text(encoding="utf-8").replace(DEMO_BLOG_URL, blog_url)
    return page.replace('<html lang="en">', f'<html lang="{language}">', 1)


class _DemoHandler(SimpleHTTPRequestHandler):
    """/ the demo page in English, /nl/ the same page in Dutch, anything else a file of docs/embed-demo
    (but the browser's own request for /favicon.ico: nothing, rather than a 404 on the console)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(DEMO), **kwargs)

    def do_GET(self):
        path = self.path.partition("?")[0]
        if path in {"/", "/nl/"}:
            body = demo_page(self.server.blog_url, "nl" if path == "/nl/" else "en").encode("utf-8")
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", _POLICY.search(body.decode("utf-8")).group(1))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/favicon.ico":
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        else:
            super().do_GET()

    def log_message(self, format, *args):
        """Quiet: the tests' output is the browser's."""


class DemoSite(ThreadingHTTPServer):
    """The demo site's server: its ``origin``, and the ``blog_url`` its page points at (set once the blog
    runs, since the blog is started knowing this origin)."""

    blog_url = DEMO_BLOG_URL

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def serve_demo():
    """Serve the demo site on a free loopback port, in a thread; yield its DemoSite."""
    server = DemoSite(("127.0.0.1", 0), _DemoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class HostTab(Tab):
    """A tab on a page of the demo site: its requests go to the site and to the blog, none elsewhere; and
    besides what any Tab records, every error the console shows (the embed must cause none)."""

    def __init__(self, context, server: BlogServer, site: DemoSite):
        self.site = site
        self.console_errors = []
        super().__init__(context, server)

    def _on_console(self, message):
        super()._on_console(message)
        if message.type == "error" and not self._is_api_answer(message):
            self.console_errors.append(message.text)

    def _is_api_answer(self, message) -> bool:
        """Whether the console only notes that the API answered 4xx, as it does for a comment it refuses:
        the embed shows why, and the browser logs every such response."""
        return (message.location.get("url", "").startswith(self.server.url + "/api/v1/")
                and message.text.startswith("Failed to load resource: the server responded with a status of 4"))

    def _on_request(self, request):
        if not request.url.startswith(self.site.origin + "/"):
            super()._on_request(request)

    def open(self, path="/"):
        """Open a page of the demo site; it must be served."""
        response = self.page.goto(self.site.origin + path)
        assert response is not None and response.ok, (path, response and response.status)
        return response

    def assert_quiet(self):
        super().assert_quiet()
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@contextlib.contextmanager
def open_host_tab(browser, server: BlogServer, site: DemoSite, **context_options):
    """A fresh context (English unless told otherwise) with one page on the demo site; closed afterwards."""
    context_options.setdefault("locale", "en-US")
    context = browser.new_context(**context_options)
    try:
        yield HostTab(context, server, site)
    finally:
        context.close()
