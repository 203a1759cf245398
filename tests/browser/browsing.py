"""A real browser on a real server: Debian's Chromium driven by Playwright, the blog served by gunicorn
on a loopback port, and the few moves every browser test makes (post a comment, sign in, run axe)."""

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.servers import blog_environment, flask_command, gunicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu",
    # Nothing but the pages under test goes out: no updates, no sync, no first-run fetches,
    # and any host name but the loopback address resolves to nothing.
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
NO_CHROMIUM = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does it)"

AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = f"axe-core is not installed at {AXE_SCRIPT} (`make test` installs it with npm when npm is present)"

POST_PATH = "/how-ketamine-works/"
ADMIN_NAME = "boss"
ADMIN_PASSWORD = "correct horse battery staple"
# The bot trap and the flood limit would make every journey wait; the tests about them live elsewhere.
TEST_SETTINGS = {"COMMENTS_MIN_FILL_SECONDS": 0, "COMMENTS_FLOOD_SECONDS": 0, "COMMENTS_MODERATION": "first-time"}
HELD_NOTICE = "Your comment is awaiting moderation."
COMMENT_LOCATION = re.compile(r"#comment-(\d+)$")
QUEUE_ROW = re.compile(r'<tr id="queue-comment-(\d+)"')

# Reports every CSP violation to the console, where the test's listener hears it even after the page has gone.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
                + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@dataclass(frozen=True)
class BlogServer:
    """The blog as gunicorn serves it: its base URL and the seed post's path."""

    url: str
    post_path: str = POST_PATH

    @property
    def post_url(self) -> str:
        return self.url + self.post_path


def prepare_instance(instance_path):
    """An instance folder as an operator leaves it: migrated, seeded, with the admin, and its secret key."""
    environment = blog_environment(instance_path)
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")
    flask_command(environment, "blog", "create-admin", ADMIN_NAME, "--password", ADMIN_PASSWORD)


@contextlib.contextmanager
def serve_blog(instance_path, **settings):
    """Serve a prepared instance folder with two gunicorn workers on loopback, TEST_SETTINGS and ``settings``
    given as FLASK_ environment variables."""
    variables = {f"FLASK_{name}": json.dumps(value) for name, value in {**TEST_SETTINGS, **settings}.items()}
    with gunicorn(blog_environment(instance_path, **variables), workers=2) as url:
        yield BlogServer(url)


class Tab:
    """One browser context (its own cookies) with one page, and a record of what it saw that none of
    our pages should cause: a dialog, a CSP violation, an uncaught script error, a request off loopback."""

    def __init__(self, context, server: BlogServer):
        self.context = context
        self.server = server
        self.dialogs, self.csp_violations, self.script_errors, self.offsite_requests = [], [], [], []
        self._hidden_fields = {}
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_REPORTER)
        context.on("dialog", self._on_dialog)
        context.on("console", self._on_console)
        context.on("request", self._on_request)
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}({dialog.message!r}) on {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    def _on_console(self, message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            self.csp_violations.append(f"{text} ({message.page.url if message.page else '?'})")

    def _on_request(self, request):
        url = request.url
        if not url.startswith(self.server.url + "/") and urlsplit(url).scheme not in {"data", "about", "blob"}:
            self.offsite_requests.append(url)

    def goto(self, path: str):
        """Open a page of the blog; it must be served."""
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.ok, (path, response and response.status)
        return response

    def assert_quiet(self):
        """Nothing ran that the blog did not send as a file, and nothing left loopback."""
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"
        assert self.script_errors == [], f"script errors: {self.script_errors}"
        assert self.offsite_requests == [], f"requests off loopback: {self.offsite_requests}"

    # Setting the scene over HTTP, with this tab's cookies: faster than typing, the same server checks.

    def send_comment(self, path=POST_PATH, **fields):
        """POST the comment form the way the page would (its hidden fields read once, as a page open in a
        tab keeps them), with sensible defaults for the fields not given; the response, not followed."""
        if path not in self._hidden_fields:
            page = self.context.request.get(self.server.url + path)
            assert page.ok, page.status
            html = page.text()
            self._hidden_fields[path] = {"csrf_token": CSRF_TOKEN.search(html).group(1),
                                         "issued": FORM_STAMP.search(html).group(1)}
        data = {"author": "Ann Reader", "email": "ann@example.org", "url": "", "comment": "Thank you!",
                "parent": "0", **self._hidden_fields[path], **fields}
        return self.context.request.post(self.server.url + path + "comments", form=data, max_redirects=0)

    def post_comment(self, path=POST_PATH, **fields) -> int | None:
        """Post a comment the form takes (303); its id when it was approved at once, None when it is held."""
        response = self.send_comment(path, **fields)
        assert response.status == 303, (response.status, fields)
        return approved_comment_id(response)

    def sign_in_over_http(self):
        """Sign in as the admin through the sign-in form's POST."""
        self._hidden_fields.clear()  # signing in starts a new session, with a new CSRF token
        html = self.context.request.get(self.server.url + "/admin/login").text()
        response = self.context.request.post(self.server.url + "/admin/login", max_redirects=0, form={
            "username": ADMIN_NAME, "password": ADMIN_PASSWORD, "csrf_token": CSRF_TOKEN.search(html).group(1)})
        assert response.status == 303, response.status

    def admin_post(self, path: str, **data):
        """An admin's POST (a moderation button, a reply), with the CSRF token of the queue page."""
        html = self.context.request.get(self.server.url + "/admin/comments").text()
        data.setdefault("csrf_token", CSRF_TOKEN.search(html).group(1))
        response = self.context.request.post(self.server.url + path, form=data, max_redirects=0)
        assert response.status == 303, (path, response.status)

    def queue_ids(self, search: str, status="pending") -> list[int]:
        """The ids of the comments the moderation queue finds for ``search``."""
        response = self.context.request.get(self.server.url + "/admin/comments",
                                            params={"status": status, "q": search})
        return [int(number) for number in QUEUE_ROW.findall(response.text())]


def post_in_place(page, name="Post Comment"):
    """Press the comment form's button with scripts on, where embed.js sends it in the background (through
    the API on another site, as the form on ours) and shows the answer in the page, without a reload;
    return once it is shown (the form is busy till then)."""
    with page.expect_response(lambda response: response.request.method == "POST" and (
            "/api/v1/threads/comments" in response.url or urlsplit(response.url).path.endswith("/comments"))):
        page.get_by_role("button", name=name, exact=True).click()
    expect(page.locator("#commentform")).not_to_have_attribute("aria-busy", "true")


def assert_errors_beside_fields(page, errors: dict):
    """Each field's message (``errors``: field id → text) right after its field, which is marked invalid
    and described by it."""
    for field, message in errors.items():
        error = page.locator(f"#{field}-error")
        expect(error).to_have_text(message)
        assert error.evaluate("node => node.previousElementSibling.id") == field, "the message follows its field"
        control = page.locator(f"#{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{field}-error\b"))


def approved_comment_id(response) -> int | None:
    """The comment a 303 after posting points at (/<slug>/#comment-<id>); None for a held one."""
    match = COMMENT_LOCATION.search(response.headers["location"])
    return int(match.group(1)) if match else None


@contextlib.contextmanager
def open_tab(browser, server: BlogServer, **context_options):
    """A fresh context (English unless told otherwise) with one page; closed afterwards."""
    context_options.setdefault("locale", "en-US")
    context = browser.new_context(**context_options)
    try:
        yield Tab(context, server)
    finally:
        context.close()


def axe_violations(page, impacts=("serious", "critical"), rules=None) -> list[str]:
    """axe-core's violations of the given impacts on the page as it stands (of only ``rules``, a list of
    rule ids, when given), one line each."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate("""async (rules) => {
        const options = {resultTypes: ["violations"]};
        if (rules) {
            options.runOnly = {type: "rule", values: rules};
        }
        const results = await axe.run(document, options);
        return results.violations.map((violation) => ({
            id: violation.id, impact: violation.impact, help: violation.help,
            nodes: violation.nodes.map((node) => node.target.join(" ")),
        }));
    }""", rules)
    return [f"{violation['impact']}: {violation['id']} ({violation['help']}) at {violation['nodes'][:5]}"
            for violation in violations if violation["impact"] in impacts]


def unlabelled_fields(page) -> list[str]:
    """Form fields a person can reach that have no label: no <label>, aria-label or aria-labelledby."""
    return page.evaluate("""() => [...document.querySelectorAll("input, textarea, select")]
        .filter((field) => field.type !== "hidden")
        .filter((field) => !(field.labels.length || field.getAttribute("aria-label")
                             || field.getAttribute("aria-labelledby")))
        .map((field) => field.outerHTML)""")


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing sticks out)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
