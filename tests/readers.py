"""A reader's browser for tests: reads a page and posts the comment form on it, hidden fields and all."""

import re

CSRF_TOKEN = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')
FORM_STAMP = re.compile(r'<input[^>]*\bname="issued"[^>]*\bvalue="([^"]+)"')


class Reader:
    """One browser (one cookie jar): reads the post page once for its form's hidden fields (the CSRF
    token, the signed time the form was served), then posts the form as often as asked, as a person
    would. Every response comes back read and closed, so its status, headers and text can still be
    looked at."""

    def __init__(self, client, page="/hello/"):
        self.client = client
        self.page = page
        self._hidden = None

    def hidden_fields(self) -> dict[str, str]:
        """The page form's hidden values, kept once found; empty while the page has no form."""
        if self._hidden is None:
            page = self.get().get_data(as_text=True)
            token, stamp = CSRF_TOKEN.search(page), FORM_STAMP.search(page)
            if not token:
                return {"csrf_token": "", "issued": ""}
            self._hidden = {"csrf_token": token.group(1), "issued": stamp.group(1) if stamp else ""}
        return self._hidden

    def csrf_token(self) -> str:
        return self.hidden_fields()["csrf_token"]

    def get(self, path=None, language=None):
        """GET ``path`` (the post page unless given)."""
        headers = {"Accept-Language": language} if language else {}
        with self.client.get(path or self.page, headers=headers) as response:
            response.get_data()
        return response

    def post(self, language=None, **fields):
        """Submit the comment form with sensible defaults; ``None`` leaves a field out."""
        data = {"author": "Ann Reader", "email": "ann@example.org", "url": "", "comment": "Thank you!",
                "parent": "0", **self.hidden_fields()}
        data.update(fields)
        data = {name: value for name, value in data.items() if value is not None}
        headers = {"Accept-Language": language} if language else {}
        with self.client.post(self.page + "comments", data=data, headers=headers) as response:
            response.get_data()
        return response


class AdminActions:
    """An admin in a browser: signs in through the form and posts moderation buttons with a CSRF token."""

    def __init__(self, client, username="boss", password="correct horse battery staple"):
        self.client = client
        self.username = username
        self.password = password

    def csrf_token(self, page="/admin/login") -> str:
        with self.client.get(page) as response:
            return CSRF_TOKEN.search(response.get_data(as_text=True)).group(1)

    def login(self, username=None, password=None):
        data = {"username": username or self.username, "password": password or self.password,
                "csrf_token": self.csrf_token()}
        with self.client.post("/admin/login", data=data) as response:
            response.get_data()
        return response

    def logout(self):
        with self.client.post("/admin/logout", data={"csrf_token": self.csrf_token("/admin/")}) as response:
            response.get_data()
        return response

    def post(self, path, **data):
        """POST an admin form; the CSRF token comes from the queue page, as a moderator's browser has it."""
        if "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token("/admin/comments")
        with self.client.post(path, data=data) as response:
            response.get_data()
        return response
