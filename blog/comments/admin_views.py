"""The moderation desk at /admin/comments: the queue per status, actions one by one and in bulk,
edits and replies. Every view is guarded by the host's ``moderator_required`` hook."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from blog.comments.forms import (
    AUTHOR_MAX,
    BulkModerationForm,
    EditCommentForm,
    ModerationForm,
    ModeratorReplyForm,
    PrivacyRequestForm,
    UndoForm,
    normalize,
)
from blog.comments.models import (
    TARGET_KEY_MAX,
    Comment,
    CommentStatus,
    ModerationAction,
    commented_targets,
    comments_by_id,
    comments_in_status,
    log_entries,
    queue_filters,
    status_counts,
)
from blog.comments.moderation import TRANSITIONS, apply_action, can_apply, edit_comment, undo_moves
from blog.comments.privacy import erase_person, erasure_preview, export_person
from blog.comments.section import requested_page
from blog.comments.signals import comment_posted, commit_and_send, send_after_commit
from blog.comments.submission import reply_as_moderator
from blog.comments.translation import gettext as _
from blog.comments.translation import ngettext
from blog.comments.undo import remember_moves, take_moves, undo_token
from blog.extensions import URL_ID, db

bp = Blueprint("comments_admin", __name__, url_prefix="/admin/comments", template_folder="templates")

QUEUE_STATUSES = [status.value for status in CommentStatus]
# The queue's "All": as WordPress's, every comment but spam and trash.
ALL, ALL_STATUSES = "all", [CommentStatus.PENDING, CommentStatus.APPROVED]
# The most threads the queue's filter by thread lists.
TARGETS_LISTED = 500
# The categories of the desk's flashed messages (comments/admin/_messages.html): done, done with an Undo
# button, and refused or left undone.
MESSAGE_DONE, MESSAGE_UNDO, MESSAGE_ERROR = "comments.done", "comments.undo", "comments.error"
# What each action's message says, for one comment or several.
MOVED_MESSAGES = {
    ModerationAction.APPROVE: lambda count: ngettext("Comment approved.", "%(num)d comments approved.", count),
    ModerationAction.UNAPPROVE: lambda count: ngettext("Comment unapproved.", "%(num)d comments unapproved.", count),
    ModerationAction.SPAM: lambda count: ngettext("Comment marked as spam.", "%(num)d comments marked as spam.",
                                                  count),
    ModerationAction.TRASH: lambda count: ngettext("Comment moved to the Trash.",
                                                   "%(num)d comments moved to the Trash.", count),
    ModerationAction.RESTORE: lambda count: ngettext("Comment restored.", "%(num)d comments restored.", count),
    ModerationAction.DELETE: lambda count: ngettext("Comment deleted permanently.",
                                                    "%(num)d comments deleted permanently.", count),
}


@bp.before_request
def guard():
    """Only moderators: the host's check answers everyone else (a redirect to sign in)."""
    return current_app.extensions["comments"].check_moderator()


@bp.after_request
def never_store(response):
    """The desk shows commenters' addresses and IPs, and the privacy export all of a person's data:
    no browser or proxy keeps a copy."""
    response.cache_control.no_store = True
    return response


def _moderator() -> str:
    return current_app.extensions["comments"].moderator_name()


def _back_to_queue():
    """Back where the moderator came from: the queue page named by ``next``, if it is one of ours."""
    target = request.args.get("next", "")
    queue = url_for("comments_admin.queue")
    return redirect(target if target.startswith(queue) and "//" not in target else queue, code=303)


@bp.get("")
def queue():
    """Comments in one status (pending by default) or all but spam and trash, newest first, a page at a
    time; searchable, and filtered by thread and by commenter, with every status's count for the filters."""
    status = request.args.get("status", CommentStatus.PENDING.value)
    if status not in QUEUE_STATUSES and status != ALL:
        abort(404)
    shown = ALL_STATUSES if status == ALL else [CommentStatus(status)]
    filters = {"q": normalize(request.args.get("q", ""))[:200],
               "author": normalize(request.args.get("author", ""))[:AUTHOR_MAX],
               "target": request.args.get("target", "")[:TARGET_KEY_MAX]}
    conditions = queue_filters(filters["q"], filters["target"], filters["author"])
    pagination = db.paginate(comments_in_status(shown, *conditions), page=requested_page("page"),
                             per_page=current_app.config["COMMENTS_ADMIN_PER_PAGE"], error_out=False)
    counts = {name: 0 for name in QUEUE_STATUSES} | {
        counted.value: count for counted, count in db.session.execute(status_counts(*conditions))}
    counts[ALL] = sum(counts[counted.value] for counted in ALL_STATUSES)
    ids = [comment.id for comment in pagination.items]
    history = {}
    for entry in db.session.scalars(log_entries(ids)) if ids else ():
        history.setdefault(entry.comment_id, []).append(entry)
    parent_ids = {comment.parent_id for comment in pagination.items} - {None}
    parents = {parent.id: parent for parent in db.session.scalars(comments_by_id(parent_ids))} if parent_ids else {}
    extension = current_app.extensions["comments"]
    thread_keys = db.session.scalars(commented_targets(TARGETS_LISTED)).all()
    targets = extension.resolve_targets({comment.target_key for comment in pagination.items} | set(thread_keys))
    threads = sorted(((key, targets[key].title if key in targets else key) for key in thread_keys),
                     key=lambda thread: thread[1].casefold())
    return render_template(
        "comments/admin/queue.html", status=status, statuses=[*QUEUE_STATUSES, ALL], counts=counts,
        filters={"status": status, **{name: value or None for name, value in filters.items()}},
        pagination=pagination, history=history, parents=parents, targets=targets, threads=threads,
        transitions=TRANSITIONS,
        bulk_actions=[action for action, (starts, _) in TRANSITIONS.items() if starts & set(shown)],
        can_apply=can_apply, action_form=ModerationForm(), bulk_form=BulkModerationForm())


@bp.post(f"/<{URL_ID}:comment_id>/<action>")
def moderate(comment_id, action):
    """One action on one comment; an action the comment's status does not allow is refused (409)."""
    if action not in TRANSITIONS:
        abort(404)
    if not ModerationForm().validate_on_submit():
        abort(400)
    comment = db.get_or_404(Comment, comment_id)
    before = comment.status
    if not apply_action(ModerationAction(action), comment, _moderator()):
        abort(409, _("A comment in this status cannot be moved that way."))
    commit_and_send()
    _report_moves(ModerationAction(action), [(comment_id, before, TRANSITIONS[action][1])])
    return _back_to_queue()


@bp.post("/bulk")
def bulk():
    """One action on every ticked comment; those whose status does not allow it are left as they are."""
    form = BulkModerationForm()
    if not form.validate_on_submit():
        abort(400)
    moderator, action = _moderator(), form.action.data
    ticked = db.session.scalars(comments_by_id(form.ids.data[:1000])).all()
    moves = []
    for comment in ticked:
        comment_id, before = comment.id, comment.status
        if apply_action(action, comment, moderator):
            moves.append((comment_id, before, TRANSITIONS[action][1]))
    commit_and_send()
    if not form.ids.data:
        flash(_("Tick the comments to act on first."), MESSAGE_ERROR)
    elif moves:
        _report_moves(action, moves)
    if len(ticked) > len(moves):
        flash(ngettext("%(num)d ticked comment was left as it was: its status does not allow that.",
                       "%(num)d ticked comments were left as they were: their status does not allow that.",
                       len(ticked) - len(moves)), MESSAGE_ERROR)
    return _back_to_queue()


@bp.post("/undo")
def undo():
    """Put the comments the session's last action moved back where they were (blog.comments.undo); a token
    that is not that action's (forged, another admin's, or used already) changes nothing."""
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    moves = take_moves(form.token.data)
    if moves is None:
        flash(_("Nothing to undo: that action was undone already, or a newer one took its place."), MESSAGE_ERROR)
        return _back_to_queue()
    restored, changed = undo_moves(moves, _moderator())
    commit_and_send()
    if restored:
        flash(ngettext("Undone: the comment is back where it was.",
                       "Undone: %(num)d comments are back where they were.", restored), MESSAGE_DONE)
    if changed:
        flash(ngettext("%(num)d comment was moved again or deleted since, and is left as it is.",
                       "%(num)d comments were moved again or deleted since, and are left as they are.", changed),
              MESSAGE_ERROR)
    return _back_to_queue()


def _report_moves(action: ModerationAction, moves):
    """The message of an action that moved these comments, with its Undo when it can be undone."""
    count = len(moves)
    if action is ModerationAction.RESTORE and all(before is CommentStatus.SPAM for _, before, _ in moves):
        message = ngettext("Comment marked as not spam.", "%(num)d comments marked as not spam.", count)
    else:
        message = MOVED_MESSAGES[action](count)
    flash(message, MESSAGE_UNDO if remember_moves(moves) else MESSAGE_DONE)


def undo_form() -> UndoForm | None:
    """The Undo button's form for the session's last action, or None when there is nothing to undo."""
    token = undo_token()
    return UndoForm(formdata=None, token=token) if token else None


@bp.route(f"/<{URL_ID}:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id):
    """Correct a comment's author, email, url or text, through the same checks as a reader's form."""
    comment = db.get_or_404(Comment, comment_id)
    form = EditCommentForm(obj=comment, comment=comment.body_raw)
    if comment.is_moderator_reply:
        del form.email  # the site's own reply has no reader's address to correct
    if form.validate_on_submit():
        email = form.email.data if "email" in form else comment.email
        edit_comment(comment, form.author.data, email, form.url.data or "", form.comment.data, _moderator())
        commit_and_send()
        flash(_("Comment saved."), MESSAGE_DONE)
        return _back_to_queue()
    status = 400 if form.is_submitted() else 200
    return render_template("comments/admin/edit.html", comment=comment, form=form), status


@bp.route(f"/<{URL_ID}:comment_id>/reply", methods=["GET", "POST"])
def reply(comment_id):
    """Answer a comment as the site, on a page that shows the comment (the queue's Reply without JavaScript;
    with it, the queue opens this page's form in the comment's row): the reply is approved at once, and so
    is the comment it answers."""
    comment = db.get_or_404(Comment, comment_id)
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        abort(409, _("A comment in this status cannot be moved that way."))
    form = ModeratorReplyForm()
    target = current_app.extensions["comments"].resolve_targets({comment.target_key}).get(comment.target_key)
    if not form.validate_on_submit():
        return render_template("comments/admin/reply.html", comment=comment, form=form, target=target), (
            400 if form.is_submitted() else 200)
    moderator = _moderator()
    was_pending = comment.status is CommentStatus.PENDING
    if was_pending:
        apply_action(ModerationAction.APPROVE, comment, moderator)
    reply = reply_as_moderator(comment, form.comment.data, moderator)
    if target is not None:  # the reader who asked for reply notices hears of it
        send_after_commit(comment_posted, comment=reply, target=target)
    commit_and_send()
    flash(_("Reply posted, and the comment it answers approved.") if was_pending else _("Reply posted."),
          MESSAGE_DONE)
    return _back_to_queue()


@bp.route("/privacy", methods=["GET", "POST"])
def privacy():
    """The privacy tools: export a person's comments as JSON, or anonymize them, by email address. Erasing
    cannot be undone, so its button first shows what it would change and asks; only the answer erases."""
    form = PrivacyRequestForm()
    if form.validate_on_submit():
        if form.confirm_erase.data:
            count = erase_person(form.email.data)
            commit_and_send()
            return redirect(url_for("comments_admin.privacy", erased=count), code=303)
        if form.erase.data:
            return render_template("comments/admin/privacy.html", form=form, to_erase=erasure_preview(form.email.data))
        response = jsonify(export_person(form.email.data))
        response.headers["Content-Disposition"] = "attachment; filename=comments-export.json"
        return response
    erased = request.args.get("erased", type=int)
    return render_template("comments/admin/privacy.html", form=form, erased=erased), 400 if form.is_submitted() else 200
