"""The ``flask blog`` command group (DESIGN.md section 9)."""

import click
from flask.cli import AppGroup

from blog.comments.cli import commands as comment_commands
from blog.extensions import db
from blog.posts.seed import import_seed

blog_cli = AppGroup("blog", help="Manage the blog.")


@blog_cli.command("seed")
def seed():
    """Import the seed article as a published post; running it again changes nothing."""
    post, is_added = import_seed()
    db.session.commit()
    if is_added:
        click.echo(f"Imported the seed post /{post.slug}/.")
    else:
        click.echo(f"The seed post /{post.slug}/ is already there; nothing changed.")


for command in comment_commands:
    blog_cli.add_command(command)
