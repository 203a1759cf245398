"""``flask blog …`` commands through the CLI runner."""

from sqlalchemy import func, select

from blog.extensions import db
from blog.posts.models import Post


def test_seed_command_is_idempotent(app, runner):
    first = runner.invoke(args=["blog", "seed"])
    second = runner.invoke(args=["blog", "seed"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output == "Imported the seed post /how-ketamine-works/.\n"
    assert "nothing changed" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_resanitize_rebuilds_stored_html(app, runner):
    from blog.comments import Comment
    from tests.factories import make_comment

    with app.app_context():
        fresh = make_comment("post-1", body_raw="fine <b>text</b>")
        stale = make_comment("post-1", body_raw="see https://example.org")
        stale.body_html = "<p>old policy <script>x</script></p>"
        db.session.commit()
        ids = (fresh.id, stale.id)
    result = runner.invoke(args=["blog", "resanitize"])
    assert result.exit_code == 0
    assert result.output == "Resanitized 2 comments; 1 changed.\n"
    with app.app_context():
        assert db.session.get(Comment, ids[1]).body_html == (
            '<p>see <a href="https://example.org" rel="nofollow ugc">https://example.org</a></p>')
        assert db.session.get(Comment, ids[0]).body_html == "<p>fine <b>text</b></p>"


# blog create-admin NAME [--password P]

import re  # noqa: E402 (this part was appended to the file)

import pytest  # noqa: E402

NEW_PASSWORD = "a brand new long passphrase"
OLD_PASSWORD = "the old long passphrase"


def admins(app) -> dict[str, str]:
    """Every admin's name and password hash."""
    from blog.auth.models import Admin

    with app.app_context():
        return dict(db.session.execute(select(Admin.username, Admin.password_hash)).all())


def sign_in_status(app, username, password) -> int:
    """The status of signing in through the form with these credentials, in a fresh browser."""
    browser = app.test_client()
    with browser.get("/admin/login") as page:
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page.get_data(as_text=True)).group(1)
    with browser.post("/admin/login", data={"username": username, "password": password,
                                            "csrf_token": token}) as response:
        return response.status_code


def test_create_admin_creates_an_admin_who_can_sign_in(app, runner):
    result = runner.invoke(args=["blog", "create-admin", "boss", "--password", NEW_PASSWORD])
    assert result.exit_code == 0
    assert result.output == "Created admin boss.\n"
    stored = admins(app)
    assert list(stored) == ["boss"]
    assert stored["boss"].startswith("scrypt:") and NEW_PASSWORD not in stored["boss"]
    assert sign_in_status(app, "boss", NEW_PASSWORD) == 303


def test_create_admin_again_sets_a_new_password(app, runner):
    assert runner.invoke(args=["blog", "create-admin", "boss", "--password", OLD_PASSWORD]).exit_code == 0
    result = runner.invoke(args=["blog", "create-admin", "boss", "--password", NEW_PASSWORD])
    assert result.exit_code == 0
    assert result.output == "Set a new password for admin boss.\n"
    assert list(admins(app)) == ["boss"]
    assert sign_in_status(app, "boss", OLD_PASSWORD) == 401
    assert sign_in_status(app, "boss", NEW_PASSWORD) == 303


def test_create_admin_prompts_for_the_password_twice(app, runner):
    result = runner.invoke(args=["blog", "create-admin", "boss"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert NEW_PASSWORD not in result.output
    assert result.output.endswith("Created admin boss.\n")
    assert sign_in_status(app, "boss", NEW_PASSWORD) == 303


def test_create_admin_prompt_that_does_not_match_creates_nothing(app, runner):
    result = runner.invoke(args=["blog", "create-admin", "boss"], input=f"{NEW_PASSWORD}\n{OLD_PASSWORD}\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert admins(app) == {}


@pytest.mark.parametrize("how", ["option", "prompt"])
def test_create_admin_refuses_a_short_password(app, runner, how):
    short = "eleven char"
    arguments = ["blog", "create-admin", "boss"] + (["--password", short] if how == "option" else [])
    result = runner.invoke(args=arguments, input=None if how == "option" else f"{short}\n{short}\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert admins(app) == {}


def test_create_admin_with_a_short_password_keeps_the_old_one(app, runner):
    assert runner.invoke(args=["blog", "create-admin", "boss", "--password", OLD_PASSWORD]).exit_code == 0
    before = admins(app)
    result = runner.invoke(args=["blog", "create-admin", "boss", "--password", "short"])
    assert result.exit_code != 0
    assert admins(app) == before
    assert sign_in_status(app, "boss", OLD_PASSWORD) == 303


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\nname"])
def test_create_admin_refuses_a_bad_name(app, runner, name):
    result = runner.invoke(args=["blog", "create-admin", name, "--password", NEW_PASSWORD])
    assert result.exit_code != 0
    assert "NAME" in result.output and "1 to 100 printable characters" in result.output
    assert admins(app) == {}


def test_wxr_commands_are_part_of_the_blog_group(app, runner, tmp_path):
    runner.invoke(args=["blog", "seed"])
    target = tmp_path / "export.xml"
    exported = runner.invoke(args=["blog", "export-wxr", str(target)])
    assert exported.exit_code == 0
    assert exported.output.startswith("Exported 1 post")
    imported = runner.invoke(args=["blog", "import-wxr", str(target)])
    assert imported.exit_code == 0 and "already present" in imported.output
