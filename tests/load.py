"""Many readers posting at once to a real gunicorn: bounded in count and time, loopback only."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.readers import CSRF_TOKEN, FORM_STAMP

REQUEST_TIMEOUT = 30


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Commenter:
    """One reader's browser: reads the post page once for its form, then posts comments on it."""

    def __init__(self, base_url: str, page: str):
        self.base_url, self.page = base_url, page
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
        with self.opener.open(base_url + page, timeout=REQUEST_TIMEOUT) as response:
            html = response.read().decode()
        self.hidden = {"csrf_token": CSRF_TOKEN.search(html).group(1), "issued": FORM_STAMP.search(html).group(1)}

    def post(self, text: str, email: str) -> int | None:
        """The response's status, or None when the connection broke before one came back."""
        data = urllib.parse.urlencode({"author": "Load Reader", "email": email, "comment": text, "parent": "0",
                                       **self.hidden}).encode()
        try:
            with self.opener.open(self.base_url + self.page + "comments", data=data,
                                  timeout=REQUEST_TIMEOUT) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None


def post_concurrently(base_url: str, page: str, clients: int, total: int, on_progress=None) -> dict[str, int | None]:
    """``total`` comments, each with its own text, from ``clients`` readers at once; text → status."""
    def one_client(number: int) -> dict[str, int | None]:
        commenter = Commenter(base_url, page)
        results = {}
        for index in range(number, total, clients):
            text = f"Load comment {index}"
            results[text] = commenter.post(text, f"reader{index}@example.org")
            if on_progress is not None:
                on_progress(index)
        return results

    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = {}
        for results in pool.map(one_client, range(clients)):
            outcomes.update(results)
    return outcomes
