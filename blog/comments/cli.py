"""Commands of the comments plugin; the host attaches them to its own group (``flask blog …``)."""

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from blog.comments.markup import render_comment
from blog.comments.models import Comment
from blog.comments.privacy import erase_person, export_person, purge
from blog.comments.signals import commit_and_send
from blog.comments.thread_cache import touch_thread
from blog.extensions import db

# Comments are rebuilt this many at a time, so a large site never holds them all in memory.
BATCH_SIZE = 500


@click.command("resanitize")
@with_appcontext
def resanitize():
    """Rebuild every comment's stored HTML from its raw text, in the markup it was written in, after the
    sanitizing policy changed."""
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
            html = render_comment(comment.body_raw, comment.body_markup)
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


@click.command("purge")
@with_appcontext
def purge_command():
    """Delete spam and trash past their age and clear IPs past their retention."""
    deleted, cleared = purge()
    commit_and_send()
    click.echo(f"Deleted {deleted} old spam and trash comments; cleared the IP of {cleared} comments.")


@click.group("privacy")
def privacy():
    """A person's data, by email address: export or erase."""


def _email(context, parameter, value: str) -> str:
    """An email address, or a clear refusal (nothing is looked up for a malformed one)."""
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not (local and at and domain) or len(value) > 100 or any(character.isspace() for character in value):
        raise click.BadParameter(f"{value!r} is not an email address", param_hint="EMAIL")
    return value


@privacy.command("export")
@click.argument("email", callback=_email)
@with_appcontext
def privacy_export(email):
    """Print everything stored with EMAIL as JSON."""
    data = export_person(email)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    click.echo(f"Exported {len(data['comments'])} comments of {data['email']}.", err=True)


@privacy.command("erase")
@click.argument("email", callback=_email)
@with_appcontext
def privacy_erase(email):
    """Anonymize every comment of EMAIL: name "Anonymous", no email, url, IP or browser; text kept."""
    count = erase_person(email)
    commit_and_send()
    click.echo(f"Erased {email} from {count} comments.")


commands = [resanitize, purge_command, privacy]
