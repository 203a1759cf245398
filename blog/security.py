"""Security headers on every response (DESIGN.md section 8b), and forms whose bytes are not text refused."""

from urllib.parse import unquote_to_bytes

from flask import abort, request

# Our scripts are files and our styles stylesheets: nothing inline runs. Images may come from any
# https host, since a post's Markdown can embed one; nothing may frame the site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https: data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# A year, as browsers' preload lists expect; sent only over HTTPS, where it means something.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def add_security_headers(response):
    """Set the headers a view has not set itself."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def refuse_undecodable_forms():
    """400 for a form body that is not UTF-8 (broken bytes, lone surrogates) before any view reads it:
    Werkzeug would keep such escapes as literal text, and the site would store what nobody wrote."""
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        try:
            unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            abort(400)
