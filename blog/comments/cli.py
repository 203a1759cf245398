"""Commands of the comments plugin; the host attaches them to its own group (``flask blog …``)."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from blog.comments.models import Comment
from blog.comments.thread_cache import touch_thread
from blog.extensions import db
from blog.sanitize import clean_comment

# Comments are rebuilt this many at a time, so a large site never holds them all in memory.
BATCH_SIZE = 500


@click.command("resanitize")
@with_appcontext
def resanitize():
    """Rebuild every comment's stored HTML from its raw text, after the sanitizing policy changed."""
    changed = total = 0
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Comment).where(Comment.id > last_id).order_by(Comment.id).limit(BATCH_SIZE)
        ).all()
        if not batch:
            break
        changed_threads = set()
        for comment in batch:
            html = clean_comment(comment.body_raw)
            if html != comment.body_html:
                comment.body_html = html
                changed_threads.add(comment.target_key)
                changed += 1
        for target_key in changed_threads:
            touch_thread(target_key)
        total += len(batch)
        last_id = batch[-1].id
        db.session.commit()
    click.echo(f"Resanitized {total} comments; {changed} changed.")


commands = [resanitize]
