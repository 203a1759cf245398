"""WordPress export files (WXR 1.2) in and out: posts, their comments, threads and statuses.

WXR is the RSS document WordPress's Tools → Export writes, each post an ``<item>`` holding its
comments; WordPress, Isso and Remark42 read and write it, so it is how a blog's comments move here
and away. ``blog import-wxr FILE`` and ``blog export-wxr [FILE]`` (``cli``) run the two directions.

What the importer decides: it reads and checks the whole file first (``reader``), so a file that is
wrong anywhere changes nothing; what the file holds that the blog's own forms would refuse is cleaned
or left out by the forms' own rules, and only posts and their real comments come in (the list is in
``reader``). It then writes in one savepoint and adds only what is not here yet, so running it again
adds nothing (``importer``). ``exporter`` writes every post and comment, comments as their sanitized
HTML, with the blog's own sources as meta the reader takes back.
"""

from blog.wxr.cli import export_wxr_command, import_wxr_command
from blog.wxr.reader import COMMENT_SOURCE_META, NAMESPACES, WP

# The two commands the host's CLI group attaches, and the names of the format that tests build files with.
__all__ = ["import_wxr_command", "export_wxr_command", "NAMESPACES", "WP", "COMMENT_SOURCE_META"]
