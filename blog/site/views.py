"""Site-wide endpoints that are not pages: the health check, and what search engines read."""

from xml.etree import ElementTree

from flask import Blueprint, Response, url_for

from blog.database import is_database_up
from blog.extensions import db
from blog.posts.models import published_posts
from blog.urls import absolute_url

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not: for load balancers and monitors."""
    if is_database_up():
        return {"status": "ok"}
    return {"status": "unavailable"}, 503


@bp.get("/sitemap.xml")
def sitemap():
    """The home page and every published post, with when each last changed."""
    urlset = ElementTree.Element("urlset", xmlns=SITEMAP)
    ElementTree.SubElement(ElementTree.SubElement(urlset, "url"), "loc").text = absolute_url("posts.index")
    for post in db.session.scalars(published_posts()):
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = absolute_url("posts.detail", slug=post.slug)
        ElementTree.SubElement(url, "lastmod").text = max(post.updated_at, post.published_at).date().isoformat()
    body = ElementTree.tostring(urlset, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    """Crawlers welcome everywhere but the admin's pages; the sitemap's address."""
    lines = ["User-agent: *", f"Disallow: {url_for('admin.dashboard')}", f"Sitemap: {absolute_url('site.sitemap')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
