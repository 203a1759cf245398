// "Reply" moves the form under the comment; "Cancel reply" puts it back. Without this script the
// same links reload the page with ?replytocom=<id>, which the server understands.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  var parentInput = document.getElementById("comment_parent");
  var cancel = document.getElementById("cancel-comment-reply-link");
  var title = document.getElementById("reply-title-text");
  if (!respond || !parentInput || !cancel || !title) {
    return;
  }
  var home = document.createElement("div");
  home.id = "respond-home";
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);

  function replyTo(link) {
    var body = document.getElementById("div-comment-" + link.dataset.commentId);
    if (!body) {
      return false;
    }
    body.parentNode.insertBefore(respond, body.nextSibling);
    parentInput.value = link.dataset.commentId;
    title.textContent = link.dataset.replyTitle;
    cancel.hidden = false;
    document.getElementById("comment").focus();
    return true;
  }

  function cancelReply() {
    home.parentNode.insertBefore(respond, home);
    parentInput.value = "0";
    title.textContent = title.dataset.default;
    cancel.hidden = true;
    document.getElementById("comment").focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".comment-reply-link");
    if (link && replyTo(link)) {
      event.preventDefault();
    } else if (event.target.closest("#cancel-comment-reply-link")) {
      event.preventDefault();
      cancelReply();
    }
  });
})();
