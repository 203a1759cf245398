"""The ``flask blog`` command group (DESIGN.md section 9)."""

import click
from flask.cli import AppGroup

from blog.auth.models import Admin, admin_named
from blog.commenting import comments
from blog.extensions import db
from blog.posts.seed import import_seed
from blog.wxr import export_wxr_command, import_wxr_command

MIN_PASSWORD_LENGTH = 12

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



@blog_cli.command("create-admin")
@click.argument("name")
@click.option("--password", help="The password; asked for (twice, hidden) when left out.")
def create_admin(name, password):
    """Create an admin, or give an existing one a new password (which signs them out everywhere)."""
    name = name.strip()
    if not name or len(name) > 100 or any(not character.isprintable() for character in name):
        raise click.BadParameter("give a name of 1 to 100 printable characters", param_hint="NAME")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password")
    admin = db.session.scalar(admin_named(name))
    is_new = admin is None
    if is_new:
        admin = Admin(username=name)
        db.session.add(admin)
    admin.set_password(password)
    db.session.commit()
    click.echo(f"Created admin {name}." if is_new else f"Set a new password for admin {name}.")


for command in [*comments.commands, import_wxr_command, export_wxr_command]:
    blog_cli.add_command(command)
