// "Reply" moves the form under the comment; "Cancel reply" puts it back. Without this script the
// same links reload the page with ?replytocom=<id>, which the server understands.
(function () {
  "use strict";

  // The form's parts, looked up at each click: embed.js may have put a new comments section in the
  // page since it loaded. Null when the page has no form.
  function parts() {
    var found = {
      respond: document.getElementById("respond"),
      parent: document.getElementById("comment_parent"),
      cancel: document.getElementById("cancel-comment-reply-link"),
      title: document.getElementById("reply-title-text")
    };
    return found.respond && found.parent && found.cancel && found.title ? found : null;
  }

  // Where the form stands when it answers no comment: marked before it first moves.
  function home(respond) {
    var marker = document.getElementById("respond-home");
    if (!marker) {
      marker = document.createElement("div");
      marker.id = "respond-home";
      marker.hidden = true;
      respond.parentNode.insertBefore(marker, respond);
    }
    return marker;
  }

  function replyTo(link, form) {
    var body = document.getElementById("div-comment-" + link.dataset.commentId);
    if (!body) {
      return false;
    }
    home(form.respond);
    body.parentNode.insertBefore(form.respond, body.nextSibling);
    form.parent.value = link.dataset.commentId;
    form.title.textContent = link.dataset.replyTitle;
    form.cancel.hidden = false;
    document.getElementById("comment").focus();
    return true;
  }

  function cancelReply(form) {
    var marker = home(form.respond);
    marker.parentNode.insertBefore(form.respond, marker);
    form.parent.value = "0";
    form.title.textContent = form.title.dataset.default;
    form.cancel.hidden = true;
    document.getElementById("comment").focus();
  }

  document.addEventListener("click", function (event) {
    var form = parts();
    if (!form) {
      return;
    }
    var link = event.target.closest(".comment-reply-link");
    if (link && replyTo(link, form)) {
      event.preventDefault();
    } else if (event.target.closest("#cancel-comment-reply-link")) {
      event.preventDefault();
      cancelReply(form);
    }
  });
})();
