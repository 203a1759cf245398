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
