"""Signals: comment_posted fires once per stored comment, with the comment and its target."""

from blog.comments import CommentStatus, comment_posted


def test_comment_posted_fires_once_with_comment_and_target(app, reader, post):
    received = []

    def record(sender, comment, target):
        received.append((sender, comment.id, comment.status, target.key, target.title))

    with comment_posted.connected_to(record):
        reader.post()
        reader.post(author="")  # refused: no signal
    assert received == [(app, 1, CommentStatus.PENDING, post, "Hello world")]
