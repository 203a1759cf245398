"""The ``blog import-wxr`` and ``blog export-wxr`` commands, which the host's ``flask blog`` group attaches."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from blog.extensions import db
from blog.wxr.exporter import export_wxr
from blog.wxr.importer import import_wxr
from blog.wxr.reader import WXRError, counted


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_wxr_command(file):
    """Import posts and their comments from a WordPress export (WXR); running it again adds nothing."""
    try:
        summary = import_wxr(file)
        db.session.commit()
    except WXRError as error:
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}. Nothing was imported.") from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo(str(summary))


@click.command("export-wxr")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_wxr_command(file):
    """Write every post and all its comments as a WordPress export (WXR), to FILE or standard output."""
    # A file is written beside its place and moved there when complete: a failed export leaves no half file.
    try:
        with click.open_file(str(file) if file is not None else "-", "wb", atomic=file is not None) as stream:
            summary = export_wxr(stream)
    except OSError as error:
        raise click.ClickException(f"cannot write {file or 'standard output'}: {error.strerror or error}") from None
    line = (f"Exported {counted(summary.posts, 'post')} and {counted(summary.comments, 'comment')}"
            f" to {file if file is not None else 'standard output'}.")
    if not summary.has_absolute_links:
        line = line[:-1] + "; links are relative, as BLOG_URL is not set."
    click.echo(line, err=file is None)
