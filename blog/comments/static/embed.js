// The comments of a page on any site: `<div id="comments" data-uri="/post/"></div>` and this script
// (defer) show the thread and the form from the blog's JSON API (/api/v1/). On the blog's own post page
// the same script sends the server-rendered form#commentform in the background and puts the comments
// section the server answers with in the page, so posting needs no reload there; without JavaScript that
// form works as it always did. Nothing inline: elements are made here, text is
// set as text, the look comes from comments.css and embed.css on the blog, so a host page's CSP stays
// strict. The form's Reply/Cancel moves are reply.js's, the same file the blog's own pages use.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.Promise || !("content" in document.createElement("template"))) {
    return;
  }
  // The blog's address: the script is /comments/embed.js there (our own pages: /comments/static/embed.js?v=…).
  var base = script.src.replace(/\/comments\/(static\/)?embed\.js([?#].*)?$/, "");
  var api = base + "/api/v1/";
  var isDutch = /^nl(-|$)/i.test(document.documentElement.lang || "");
  var language = isDutch ? "nl" : "en";
  // The server's wording (blog/comments/translations/nl/LC_MESSAGES/comments.po), so both read alike.
  var text = isDutch ? {
    comments: "Reacties", one: "Eén reactie op “{title}”", many: "{num} reacties op “{title}”",
    loading: "Reacties worden geladen…", failed: "De reacties konden niet worden geladen.",
    says: "{name} schreef:", at: "{date} om {time}", held: "Uw reactie is in afwachting van moderatie.",
    inbox: "Controleer uw inbox: volg de link in onze bevestigingsmail om e-mails over reacties te ontvangen.",
    reply: "Beantwoorden", replyTo: "Beantwoorden – antwoord op {name}", navigation: "Reactienavigatie",
    older: "Oudere reacties", newer: "Nieuwere reacties", closed: "Reacties zijn gesloten.",
    title: "Laat een reactie achter", titleTo: "Laat een reactie achter op {name}", cancelReply: "Reactie annuleren",
    notes: "Uw e-mailadres wordt niet gepubliceerd.", required: "Vereiste velden zijn gemarkeerd met {star}",
    comment: "Reactie", author: "Naam", email: "E-mail", url: "Site", homepage: "Laat dit veld leeg",
    notify: "Stuur mij een e-mail bij reacties op mijn reactie.", post: "Reactie plaatsen",
    unsent: "Uw reactie kon niet worden verzonden. Probeer het alstublieft opnieuw.",
    edit: "Bewerken", remove: "Verwijderen", save: "Opslaan", cancel: "Annuleren",
    editLabel: "Uw reactie bewerken", removed: "Uw reactie is verwijderd.",
    preview: "Voorbeeld", previewTitle: "Zo ziet uw reactie eruit:"
  } : {
    comments: "Comments", one: "One thought on “{title}”", many: "{num} thoughts on “{title}”",
    loading: "Loading comments…", failed: "Comments could not be loaded.",
    says: "{name} says:", at: "{date} at {time}", held: "Your comment is awaiting moderation.",
    inbox: "Check your inbox: follow the link in our confirmation mail to get mail about replies.",
    reply: "Reply", replyTo: "Reply to {name}", navigation: "Comments navigation",
    older: "Older Comments", newer: "Newer Comments", closed: "Comments are closed.",
    title: "Leave a Reply", titleTo: "Leave a Reply to {name}", cancelReply: "Cancel reply",
    notes: "Your email address will not be published.", required: "Required fields are marked {star}",
    comment: "Comment", author: "Name", email: "Email", url: "Website", homepage: "Leave this field empty",
    notify: "Notify me of replies by email.", post: "Post Comment",
    unsent: "Your comment could not be sent. Please try again.",
    edit: "Edit", remove: "Delete", save: "Save", cancel: "Cancel",
    editLabel: "Edit your comment", removed: "Your comment was deleted.",
    preview: "Preview", previewTitle: "Your comment will look like this:"
  };
  // The fields whose errors stand beside them, in the order the form shows them.
  var FIELDS = ["comment", "author", "email", "url"];
  var dates = new Intl.DateTimeFormat(language, {dateStyle: "long"});
  var times = new Intl.DateTimeFormat(language, {timeStyle: "short"});

  // Building blocks.

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined) {
      node.textContent = content;
    }
    return node;
  }

  function attributes(node, values) {
    Object.keys(values).forEach(function (name) {
      node.setAttribute(name, values[name]);
    });
    return node;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return values[name];
    });
  }

  // A sentence with nodes in it ("{name} says:" with the author's link): text stays text.
  function sentence(template, nodes) {
    var parts = template.split(/\{(\w+)\}/);
    return parts.map(function (part, index) {
      return index % 2 ? nodes[part] : document.createTextNode(part);
    });
  }

  function append(parent, children) {
    children.forEach(function (child) {
      if (child) {
        parent.appendChild(child);
      }
    });
    return parent;
  }

  function request(path, options) {
    options = options || {};
    options.credentials = "omit";  // the API reads no cookie: another site's page lends it none
    options.mode = "cors";
    // The API's messages in the page's language, not the browser's (a safelisted header: no preflight).
    options.headers = Object.assign({"Accept-Language": language}, options.headers);
    return fetch(api + path, options).then(function (response) {
      if (response.status === 204) {
        return {status: 204, data: {}};
      }
      return response.json().then(function (data) {
        return {status: response.status, data: data};
      });
    });
  }

  // A token of the API's for this origin, with a form stamp of the moment it was given.
  function freshToken() {
    return request("token", {cache: "no-store"}).then(function (answer) {
      if (answer.status !== 200) {
        throw new Error("no token");
      }
      return answer.data;
    });
  }

  function threadPath(uri, page) {
    return "threads/comments?uri=" + encodeURIComponent(uri) + (page ? "&page=" + page : "");
  }

  // A commenter's own comments: the edit token the API gave with each, kept for this tab's session.

  var kept = {};

  function ownKey(id) {
    return "comments-own:" + base + ":" + id;
  }

  function ownComment(id) {
    var key = ownKey(id);
    try {
      var stored = window.sessionStorage.getItem(key);
      return stored ? JSON.parse(stored) : kept[key];
    } catch (error) {  // storage refused (a sandboxed or third-party frame): this page's memory only
      return kept[key];
    }
  }

  function keepOwn(id, own) {
    kept[ownKey(id)] = own;
    try {
      window.sessionStorage.setItem(ownKey(id), JSON.stringify(own));
    } catch (error) {
      // Kept in memory only.
    }
  }

  function forgetOwn(id) {
    delete kept[ownKey(id)];
    try {
      window.sessionStorage.removeItem(ownKey(id));
    } catch (error) {
      // Nothing was stored.
    }
  }

  // Errors: the server form's markup, so its stylesheet and a screen reader treat both alike.

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (error) {
      var control = form.querySelector("[aria-describedby~='" + error.id + "']");
      if (control) {
        var described = control.getAttribute("aria-describedby").split(" ").filter(function (id) {
          return id !== error.id;
        });
        if (described.length) {
          control.setAttribute("aria-describedby", described.join(" "));
        } else {
          control.removeAttribute("aria-describedby");
        }
        control.removeAttribute("aria-invalid");
      }
      error.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll(".form-error"), function (error) {
      error.remove();
    });
  }

  function markInvalid(control, message) {
    var error = element("span", "field-error", message);
    error.id = control.id + "-error";
    control.parentNode.insertBefore(error, control.nextSibling);
    var described = control.getAttribute("aria-describedby");
    control.setAttribute("aria-describedby", (described ? described + " " : "") + error.id);
    control.setAttribute("aria-invalid", "true");
  }

  // A whole-form message in an alert box that takes the focus, above the fields (after the notes).
  function showAlert(form, message) {
    var alert = attributes(element("p", "form-error", message), {role: "alert", tabindex: "-1"});
    if (form.id === "commentform") {
      alert.id = "form-error";
    }
    var notes = form.querySelector(".comment-notes");
    form.insertBefore(alert, notes ? notes.nextSibling : form.firstChild);
    alert.focus();
  }

  function firstMessage(messages) {
    return Array.isArray(messages) ? messages[0] : String(messages);
  }

  // The API's {"errors": {field: [message]}}: each beside its field, the rest in the alert box.
  function showErrors(form, errors) {
    var others = [];
    var first = null;
    Object.keys(errors).forEach(function (name) {
      if (FIELDS.indexOf(name) < 0 || !form.elements[name]) {
        others.push(firstMessage(errors[name]));
      }
    });
    FIELDS.forEach(function (name) {
      var control = form.elements[name];
      if (errors[name] && control) {
        markInvalid(control, firstMessage(errors[name]));
        first = first || control;
      }
    });
    if (others.length) {
      showAlert(form, others[0]);
    } else if (first) {
      first.scrollIntoView({block: "center"});
      first.focus({preventScroll: true});
    }
  }

  // One comment as the server renders it (comments/_comment.html), from the API's JSON.

  function commentItem(comment, isHeld, isOpen) {
    var item = element("li", "comment depth-" + (comment.depth + 1) + (isHeld ? " comment-held" : ""));
    item.id = "comment-" + comment.id;
    var body = element("article", "comment-body");
    body.id = "div-comment-" + comment.id;
    var author = element("div", "comment-author");
    var name;
    if (comment.url && /^https?:\/\//i.test(comment.url)) {
      name = attributes(element("a", "url", comment.author), {href: comment.url, rel: "external nofollow ugc"});
    } else {
      name = element("b", "fn", comment.author);
    }
    append(author, sentence(text.says, {name: name}));
    var created = new Date(comment.created);
    var time = attributes(element("time", "", format(text.at, {date: dates.format(created), time: times.format(created)})),
                          {datetime: comment.created});
    var link = attributes(element("a"), {href: "#comment-" + comment.id});
    link.appendChild(time);
    var meta = element("footer", "comment-meta");
    if (comment.avatar) {  // beside the author's name, not in it, as the server's markup has it
      meta.appendChild(attributes(element("img", "avatar"), {
        src: comment.avatar, alt: "", width: "40", height: "40", loading: "lazy", decoding: "async"
      }));
    }
    append(meta, [author, append(element("div", "comment-metadata"), [link])]);
    if (isHeld) {
      meta.appendChild(element("p", "comment-awaiting-moderation", text.held));
    }
    var content = element("div", "comment-content");
    setContent(content, comment.html);
    append(item, [append(body, [meta, content])]);
    if (isOpen && !isHeld) {
      body.appendChild(append(element("div", "reply"), [replyLink(comment)]));
    }
    addOwnActions(item, comment.id);
    if (comment.replies && comment.replies.length) {
      append(item, [append(element("ol", "children"), comment.replies.map(function (reply) {
        return commentItem(reply, false, isOpen);
      }))]);
    }
    return item;
  }

  // The stored HTML the server sanitized (blog.sanitize), parsed inert in a template and inserted: the
  // one place markup from the API becomes nodes. Everything else from it is set as text or attributes.
  function setContent(content, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    content.textContent = "";
    content.appendChild(template.content);
  }

  // reply.js reads these data attributes, as on the server's own Reply links.
  function replyLink(comment) {
    var link = element("a", "comment-reply-link", text.reply);
    return attributes(link, {
      href: "#respond", rel: "nofollow", "data-comment-id": String(comment.id),
      "data-reply-title": format(text.titleTo, {name: comment.author}),
      "aria-label": format(text.replyTo, {name: comment.author})
    });
  }

  // Edit and delete, while the token the API gave the poster lasts (the server says when it is over).

  function addOwnActions(item, id) {
    var own = ownComment(id);
    if (!own || !(Date.parse(own.until) > Date.now())) {
      return;
    }
    var actions = element("div", "comment-own-actions");
    var edit = attributes(element("button", "comment-edit-button", text.edit), {type: "button"});
    var remove = attributes(element("button", "comment-delete-button", text.remove), {type: "button"});
    edit.addEventListener("click", function () {
      openEditor(item, id, actions);
    });
    remove.addEventListener("click", function () {
      removeOwn(item, id, actions);
    });
    item.querySelector(".comment-body").appendChild(append(actions, [edit, remove]));
  }

  function ownRequest(id, method, body) {
    var headers = {"X-Comments-Edit-Token": ownComment(id).token};
    if (body) {
      headers["Content-Type"] = "application/json";
    }
    return request("comments/" + id, {method: method, headers: headers, body: body && JSON.stringify(body)});
  }

  // A refusal of the token (forged, or the window over): the buttons go, and so does the token.
  function isRefusal(answer) {
    return answer.status === 403 || answer.status === 404;
  }

  function openEditor(item, id, actions) {
    var content = item.querySelector(".comment-content");
    var editor = element("form", "comment-edit-form");
    var field = attributes(element("textarea"), {id: "comment-edit-" + id, name: "comment", rows: "6",
                                                 maxlength: "65525", required: "", "aria-required": "true"});
    field.value = ownComment(id).text;
    var label = attributes(element("label", "", text.editLabel), {for: field.id});
    var save = attributes(element("button", "submit", text.save), {type: "submit"});
    var cancel = attributes(element("button", "comment-edit-cancel", text.cancel), {type: "button"});
    append(editor, [append(element("p"), [label, field]), append(element("p", "form-submit"), [save, cancel])]);
    content.hidden = actions.hidden = true;
    content.parentNode.insertBefore(editor, content.nextSibling);
    field.focus();

    function close() {
      editor.remove();
      content.hidden = actions.hidden = false;
    }

    cancel.addEventListener("click", function () {
      close();
      actions.querySelector("button").focus();
    });
    editor.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(editor);
      save.disabled = true;
      ownRequest(id, "PUT", {comment: field.value}).then(function (answer) {
        save.disabled = false;
        if (answer.status === 200) {
          var own = ownComment(id);
          own.text = field.value;
          keepOwn(id, own);
          setContent(content, answer.data.comment.html);
          markHeld(item, answer.data.status !== "approved");
          close();
          content.setAttribute("tabindex", "-1");
          content.focus();
        } else {
          showErrors(editor, answer.data.errors || {form: [text.unsent]});
          if (isRefusal(answer)) {
            forgetOwn(id);
            save.remove();
          }
        }
      }).catch(function () {
        save.disabled = false;
        showAlert(editor, text.unsent);
      });
    });
  }

  function markHeld(item, isHeld) {
    var notice = item.querySelector(".comment-awaiting-moderation");
    item.classList.toggle("comment-held", isHeld);
    if (isHeld && !notice) {
      item.querySelector(".comment-meta").appendChild(element("p", "comment-awaiting-moderation", text.held));
    } else if (!isHeld && notice) {
      notice.remove();
    }
  }

  function removeOwn(item, id, actions) {
    Array.prototype.forEach.call(actions.querySelectorAll(".form-error"), function (error) {
      error.remove();
    });
    ownRequest(id, "DELETE").then(function (answer) {
      if (answer.status === 204) {
        var section = item.closest(".comments");
        forgetOwn(id);
        item.remove();
        announce(section, text.removed);
        refreshCount(section);
      } else {
        showAlert(actions, firstMessage((answer.data.errors || {}).form || text.unsent));
        if (isRefusal(answer)) {
          forgetOwn(id);
          Array.prototype.forEach.call(actions.querySelectorAll("button"), function (button) {
            button.remove();
          });
        }
      }
    }).catch(function () {
      showAlert(actions, text.unsent);
    });
  }

  // A short message for a screen reader where the focus can rest, once what it was on has gone.
  function announce(section, message) {
    var status = section.querySelector(".comments-status");
    if (!status) {
      status = attributes(element("p", "comments-status"), {role: "status", tabindex: "-1"});
      section.appendChild(status);
    }
    status.textContent = message;
    status.focus();
  }

  // The thread: the count heading, one page of comments, the page links.

  function countHeading(section, total, title) {
    var heading = section.querySelector(".comments-title");
    if (!total) {
      if (heading) {
        heading.remove();
      }
      return;
    }
    if (!heading) {
      heading = element("h2", "comments-title");
      section.insertBefore(heading, section.firstChild);
    }
    heading.textContent = format(total === 1 ? text.one : text.many, {num: total, title: title});
  }

  // After a comment is shown or removed: the count as the server now has it (revalidated, not cached).
  function refreshCount(section) {
    request(threadPath(section.dataset.uri), {cache: "no-cache"}).then(function (answer) {
      if (answer.status === 200) {
        countHeading(section, answer.data.total, answer.data.title);
      }
    }).catch(function () {
      // The heading keeps the count it had.
    });
  }

  // Where the thread's parts stand in the section: before the form (or its place while it is moved).
  function threadEnd(section) {
    return section.querySelector(":scope > .comment-navigation, :scope > #respond-home, :scope > #respond, "
                                 + ":scope > .no-comments, :scope > .comments-status");
  }

  function commentList(section) {
    var list = section.querySelector(".comment-list");
    if (!list) {
      list = element("ol", "comment-list");
      section.insertBefore(list, threadEnd(section));
    }
    return list;
  }

  function showPage(section, thread, onPage) {
    Array.prototype.forEach.call(section.querySelectorAll(":scope > .comment-list, :scope > .comment-navigation"),
                                 function (node) {
                                   node.remove();
                                 });
    countHeading(section, thread.total, thread.title);
    if (thread.comments.length) {
      append(commentList(section), thread.comments.map(function (comment) {
        return commentItem(comment, false, thread.open);
      }));
    }
    if (thread.pages > 1) {
      var navigation = attributes(element("nav", "comment-navigation"), {"aria-label": text.navigation});
      if (thread.page > 1) {
        navigation.appendChild(pageLink(text.older, "prev", thread.page - 1, onPage));
      }
      if (thread.page < thread.pages) {
        navigation.appendChild(pageLink(text.newer, "next", thread.page + 1, onPage));
      }
      section.insertBefore(navigation, threadEnd(section));
    }
  }

  function pageLink(label, rel, page, onPage) {
    var link = attributes(element("a", "", label), {href: "#comments", rel: rel});
    link.addEventListener("click", function (event) {
      event.preventDefault();
      onPage(page);
    });
    return link;
  }

  // The form: the server's (comments/_form.html), field for field.

  function field(kind, name, label, isRequired, extra) {
    var control = element(kind === "textarea" ? "textarea" : "input");
    control.id = control.name = name;
    if (kind !== "textarea") {
      control.type = kind;
    }
    attributes(control, extra);
    if (isRequired) {
      attributes(control, {required: "", "aria-required": "true"});
    }
    var caption = attributes(element("label", "", label), {for: name});
    if (isRequired) {
      append(caption, [document.createTextNode(" "), element("span", "required", "*")]);
    }
    return append(element("p", "comment-form-" + name), [caption, control]);
  }

  function checkbox(name, label) {
    var control = attributes(element("input"), {id: name, name: name, type: "checkbox", value: "y"});
    return append(element("p", "comment-form-" + name), [control, document.createTextNode(" "),
                                                          attributes(element("label", "", label), {for: name})]);
  }

  function hidden(id, name, value) {
    return attributes(element("input"), {id: id, name: name, type: "hidden", value: value});
  }

  function buildForm() {
    var title = attributes(element("span", "", text.title), {id: "reply-title-text", "data-default": text.title});
    var cancel = attributes(element("a", "", text.cancelReply), {id: "cancel-comment-reply-link", href: "#respond",
                                                                rel: "nofollow"});
    cancel.hidden = true;
    var heading = attributes(element("h2", "comment-reply-title"), {id: "reply-title"});
    append(heading, [title, document.createTextNode(" "), append(element("small"), [cancel])]);
    var notes = append(element("p", "comment-notes"), [
      attributes(element("span", "", text.notes), {id: "email-notes"}), document.createTextNode(" "),
      append(element("span", "required-field-message"), sentence(text.required, {star: element("span", "required", "*")}))
    ]);
    var honeypot = field("text", "homepage", text.homepage, false, {tabindex: "-1", autocomplete: "off"});
    honeypot.setAttribute("aria-hidden", "true");
    var submit = attributes(element("button", "submit", text.post), {type: "submit", id: "submit"});
    var form = attributes(element("form", "comment-form"), {id: "commentform"});
    append(form, [
      notes,
      field("textarea", "comment", text.comment, true, {cols: "45", rows: "8", maxlength: "65525"}),
      field("text", "author", text.author, true, {size: "30", maxlength: "245", autocomplete: "name"}),
      field("email", "email", text.email, true, {size: "30", maxlength: "100", autocomplete: "email",
                                                 "aria-describedby": "email-notes"}),
      field("url", "url", text.url, false, {size: "30", maxlength: "200", autocomplete: "url"}),
      honeypot,
      checkbox("notify", text.notify),
      append(element("p", "form-submit"), [submit, hidden("comment_parent", "parent", "0"), hidden("issued", "issued", "")])
    ]);
    return append(attributes(element("div", "comment-respond"), {id: "respond"}), [heading, form]);
  }

  // The form posts through the API: the comment, its held notice or its errors appear in place.

  function takeOverForm(section, form) {
    var token = null;
    var sending = false;

    // A token for this origin from the API, with a form stamp of this moment (the form-time trap counts
    // from it): the form's only one.
    function fetchToken() {
      if (!token) {
        token = freshToken().then(function (given) {
          form.elements.issued.value = given.issued;
          return given.token;
        });
        token.catch(function () {
          token = null;  // the next try asks again
        });
      }
      return token;
    }

    form.addEventListener("focusin", function first() {
      form.removeEventListener("focusin", first);
      fetchToken();
    });

    function cancelReply() {
      var cancel = document.getElementById("cancel-comment-reply-link");
      if (cancel && !cancel.hidden) {
        cancel.click();  // reply.js puts the form back
      }
    }

    function shown(answer, sent) {
      var comment = answer.data.comment;
      var isHeld = answer.data.status !== "approved";
      if (answer.data.edit_token) {
        keepOwn(comment.id, {token: answer.data.edit_token, until: answer.data.edit_until, text: sent.comment});
      }
      cancelReply();
      var parent = comment.parent && document.getElementById("comment-" + comment.parent);
      var list = parent ? parent.querySelector(":scope > .children") : commentList(section);
      if (!list) {
        list = parent.appendChild(element("ol", "children"));
      }
      var item = list.appendChild(commentItem(comment, isHeld, true));
      if (sent.notify) {  // beside the held notice, as the blog's own page tells its poster
        item.querySelector(".comment-meta").appendChild(element("p", "comment-notice-confirmation", text.inbox));
      }
      form.elements.comment.value = "";
      var body = item.querySelector(".comment-body");
      body.setAttribute("tabindex", "-1");
      body.scrollIntoView({block: "center"});
      body.focus({preventScroll: true});
      if (!isHeld) {
        refreshCount(section);
      }
    }

    function send() {
      var elements = form.elements;
      var sent = {
        author: elements.author.value, email: elements.email.value, url: elements.url.value,
        comment: elements.comment.value, parent: parseInt(elements.parent.value, 10) || 0,
        notify: Boolean(elements.notify && elements.notify.checked), homepage: elements.homepage.value
      };
      sending = true;
      form.setAttribute("aria-busy", "true");
      clearErrors(form);
      return fetchToken().then(function (apiToken) {
        sent.token = apiToken;
        sent.issued = elements.issued.value;
        return request(threadPath(section.dataset.uri), {
          method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(sent)
        });
      }).then(function (answer) {
        if (answer.status === 201 || answer.status === 202) {
          shown(answer, sent);
        } else {
          var errors = answer.data.errors || {form: [text.unsent]};
          if (errors.form) {
            // An expired token, or a stamp too vague to judge: the next try gets fresh ones.
            token = null;
            fetchToken();
          }
          showErrors(form, errors);
        }
      }, function () {
        showAlert(form, text.unsent);
      }).then(finish, function (error) {
        finish();
        throw error;
      });
    }

    function finish() {
      sending = false;
      form.removeAttribute("aria-busy");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!sending) {
        send();
      }
    });
  }

  // The live preview: a "Preview" button beside the comment field shows the text as the server renders and
  // sanitizes it for storing (POST /api/v1/preview, the same on our pages and on another site's), and keeps it
  // up to date a moment after the reader stops typing. Without this script there is no button, and nothing
  // else changes.
  var PREVIEW_DELAY = 400;

  function addPreview(form) {
    var field = form.elements.comment;
    if (!field || form.querySelector(".comment-preview-button")) {
      return;
    }
    var button = attributes(element("button", "comment-preview-button", text.preview),
                            {type: "button", id: "comment-preview-button", "aria-expanded": "false",
                             "aria-controls": "comment-preview"});
    var content = element("div", "comment-content");
    var panel = attributes(element("div", "comment-preview"), {id: "comment-preview", "aria-live": "polite"});
    append(panel, [element("p", "comment-preview-title", text.previewTitle), content]);
    panel.hidden = true;
    field.parentNode.appendChild(button);
    field.parentNode.parentNode.insertBefore(panel, field.parentNode.nextSibling);
    var token = null;
    var timer = null;
    var asked = 0;  // the latest text asked for: an older answer arriving late is dropped

    function previewToken() {
      if (!token) {
        token = freshToken().then(function (given) {
          return given.token;
        });
        token.catch(function () {
          token = null;
        });
      }
      return token;
    }

    function refresh() {
      var value = field.value;
      var number = ++asked;
      if (!value.trim()) {
        content.textContent = "";
        return;
      }
      previewToken().then(function (apiToken) {
        return request("preview", {method: "POST", headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify({comment: value, token: apiToken})});
      }).then(function (answer) {
        if (number !== asked) {
          return;
        }
        if (answer.status === 200) {
          setContent(content, answer.data.html);
          return;
        }
        var errors = answer.data.errors || {};
        if (errors.form) {
          token = null;  // expired: the next keystroke asks for a fresh one
        }
        content.textContent = firstMessage(errors.comment || errors.form || text.unsent);
      }).catch(function () {
        if (number === asked) {
          content.textContent = text.unsent;
        }
      });
    }

    button.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      button.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) {
        refresh();
      }
    });
    field.addEventListener("input", function () {
      if (!panel.hidden) {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, PREVIEW_DELAY);
      }
    });
  }

  // The blog's own page: the form is the server's, and so is every answer to it. The form goes in the
  // background, and the comments section of the page the server answers with (the page its 303 leads to,
  // or the form again with its messages) takes this one's place: the same cookies (a held comment,
  // remembered details, the edit window), the same page a reload would show, without the reload.
  function enhancePage(section) {
    var form = section.querySelector("#commentform");
    if (!form || !window.DOMParser) {
      return;
    }
    addPreview(form);
    var sending = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) {
        return;
      }
      sending = true;
      form.setAttribute("aria-busy", "true");
      var known = commentIds(document);
      fetch(form.action, {
        method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin"
      }).then(function (response) {
        return response.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("comments-thread");
          if (!fresh) {
            throw new Error("no comments section in the answer");
          }
          return {url: response.url, isRedirected: response.redirected, section: document.importNode(fresh, true)};
        });
      }).then(function (answer) {
        section.replaceWith(answer.section);
        enhancePage(answer.section);
        var target = land(answer.section, known);
        if (answer.isRedirected && target && target.matches("li.comment")) {
          // The address the form's 303 leads to, at the comment, as without JavaScript: a reload lands there
          // again. The page again with a message keeps the page's own address (not the form's action).
          window.history.replaceState(null, "", answer.url.split("#")[0] + "#" + target.id);
        }
      }, function () {
        form.submit();  // an error page, or no answer: the browser's own way shows what the server says
      });
    });
  }

  function commentIds(root) {
    return Array.prototype.map.call(root.querySelectorAll("li.comment[id]"), function (item) {
      return item.id;
    });
  }

  // Where the reader's eyes go after the answer, as the server's fragment takes them without JavaScript:
  // the form's message (#form-error), else its first wrong field (the one with autofocus), else their new
  // comment (#comment-<id>, with its notices). Returns the element focused.
  function land(section, known) {
    var fresh = commentIds(section).filter(function (id) {
      return known.indexOf(id) < 0;
    });
    var item = fresh.length && document.getElementById(fresh[fresh.length - 1]);
    var target = section.querySelector("#form-error, #commentform .form-error, #commentform [aria-invalid=true]")
      || item || section.querySelector("#commentform");
    if (!target) {
      return null;
    }
    if (!target.matches("input, textarea, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.scrollIntoView({block: "center"});
    target.focus({preventScroll: true});
    return target;
  }

  // A page opened at one of the section's own places (#comment-<id> after posting, #form-error): the
  // browser scrolls there; the focus goes there too, where a browser does not move it itself.
  function arrive(section) {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    if (target && section.contains(target) && target.matches("[tabindex='-1']")
        && (document.activeElement === document.body || !document.activeElement)) {
      target.focus({preventScroll: true});
    }
  }

  function loadStylesheet(name) {
    document.head.appendChild(attributes(element("link"), {rel: "stylesheet", href: base + "/comments/embed/" + name}));
  }

  // Another site's page: the whole section, from the API.
  function embed(container) {
    loadStylesheet("comments.css");
    loadStylesheet("embed.css");
    container.classList.add("comments-embed");
    var section = attributes(element("div", "comments"), {id: "comments-thread", "data-uri": container.dataset.uri
                                                          || window.location.pathname});
    var status = attributes(element("p", "comments-status", text.loading), {role: "status", tabindex: "-1"});
    container.textContent = "";
    container.appendChild(append(section, [status]));
    if (!container.hasAttribute("aria-label")) {
      container.setAttribute("aria-label", text.comments);
      container.setAttribute("role", "region");
    }

    function load(page) {
      return request(threadPath(section.dataset.uri, page)).then(function (answer) {
        if (answer.status !== 200) {
          throw new Error("thread not loaded");
        }
        return answer.data;
      });
    }

    function turnTo(page) {
      load(page).then(function (thread) {
        var cancel = document.getElementById("cancel-comment-reply-link");
        if (cancel && !cancel.hidden) {
          cancel.click();  // the form leaves the page of comments it stood in
        }
        showPage(section, thread, turnTo);
        var target = section.querySelector(".comments-title") || section;
        target.setAttribute("tabindex", "-1");
        target.focus();
      }).catch(function () {
        announce(section, text.failed);
      });
    }

    load(1).then(function (thread) {
      status.remove();
      showPage(section, thread, turnTo);
      if (thread.open) {
        var respond = buildForm();
        section.appendChild(respond);
        takeOverForm(section, respond.querySelector("form"), false);
        addPreview(respond.querySelector("form"));
        var reply = attributes(element("script"), {src: base + "/comments/embed/reply.js"});
        document.head.appendChild(reply);
      } else {
        section.appendChild(element("p", "no-comments", text.closed));
      }
    }).catch(function () {
      status.textContent = text.failed;
      status.setAttribute("role", "alert");
    });
  }

  var ownSection = document.getElementById("comments-thread");
  var container = document.getElementById("comments");
  if (ownSection && ownSection.dataset.uri) {
    enhancePage(ownSection);
    arrive(ownSection);
  } else if (container && !ownSection) {
    embed(container);
  }
})();
