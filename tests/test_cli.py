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
