"""The plugin's own Babel domain, "comments", so its catalogs travel with it (Flask-Security's pattern)."""

from datetime import datetime
from pathlib import Path

from flask_babel import Domain, format_date, format_time
from markupsafe import Markup, escape

domain = Domain(translation_directories=[str(Path(__file__).parent / "translations")], domain="comments")
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext


def markup_gettext(string: str, **variables):
    """gettext for templates (``_c``): the translation is escaped text; variables are escaped unless Markup,
    so a template can pass a link into "%(name)s says:"."""
    translated = escape(domain.get_translations().ugettext(string))
    return translated % variables if variables else translated


def markup_ngettext(singular: str, plural: str, num: int, **variables):
    """ngettext for templates (``_cn``), with ``num`` available as in Flask-Babel."""
    variables.setdefault("num", num)
    return escape(domain.get_translations().ungettext(singular, plural, num)) % variables


def moment_markup(moment: datetime) -> Markup:
    """The ``comments_time`` filter: a moment as every admin page shows one, a ``<time>`` element with its
    date and time in the reader's language ("Dec 4, 2026 at 1:04 AM", "4 dec 2026 om 01:04")."""
    label = markup_gettext("%(date)s at %(time)s", date=format_date(moment, "medium"),
                           time=format_time(moment, "short"))
    return Markup('<time datetime="{}">{}</time>').format(moment.isoformat(timespec="seconds"), label)
