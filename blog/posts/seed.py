"""The first article, shipped in the package and imported once by ``flask blog seed``."""

from pathlib import Path

from sqlalchemy import select

from blog.extensions import db
from blog.posts.models import Post

SEED_ARTICLE = Path(__file__).parent / "content" / "how-ketamine-works.md"


def read_article(path: Path) -> tuple[dict[str, str], str]:
    """Split an article file into its ``Key: value`` header and its Markdown body."""
    header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in header.splitlines())
    return fields, body


def import_seed(path: Path = SEED_ARTICLE) -> tuple[Post, bool]:
    """Add the seed article as a published post unless its slug exists; say whether it was added."""
    fields, body = read_article(path)
    existing = db.session.scalar(select(Post).where(Post.slug == fields["Slug"]))
    if existing is not None:
        return existing, False
    post = Post(slug=fields["Slug"], title=fields["Title"])
    post.set_body(body)
    post.publish()
    db.session.add(post)
    return post, True
