"""A reader's browser for tests: reads a page and posts the comment form on it, CSRF token and all."""

import re

CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Reader:
    """A browser that reads a page and posts the form on it, as a person would."""

    def __init__(self, client, page="/hello/"):
        self.client = client
        self.page = page

    def csrf_token(self) -> str:
        html = self.client.get(self.page).get_data(as_text=True)
        match = CSRF_TOKEN.search(html)
        return match.group(1) if match else ""

    def post(self, language=None, **fields):
        """Submit the comment form with sensible defaults; ``None`` leaves a field out."""
        data = {"author": "Ann Reader", "email": "ann@example.org", "url": "", "comment": "Thank you!",
                "parent": "0", "csrf_token": self.csrf_token()}
        data.update(fields)
        data = {name: value for name, value in data.items() if value is not None}
        headers = {"Accept-Language": language} if language else {}
        return self.client.post(self.page + "comments", data=data, headers=headers)
