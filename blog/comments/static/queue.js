// The moderation queue, enhanced: a box that ticks every comment of the page for the bulk form, and the
// Edit and Reply links opening their page's form inside the comment's row. Without this file each of them
// still works: the boxes one by one, the links as pages of their own.
(function () {
  "use strict";
  var table = document.querySelector("table.queue");
  if (!table) {
    return;
  }

  var all = document.getElementById("select-all");
  function boxes() {
    return Array.prototype.slice.call(table.querySelectorAll('tbody input[name="ids"]'));
  }
  function showSelection() {
    var ticked = boxes().filter(function (box) { return box.checked; }).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  }
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    table.addEventListener("change", function (event) {
      if (event.target.name === "ids") {
        showSelection();
      }
    });
    showSelection();
  }

  // The form of the linked page, its ids made the row's own so that two open forms never share one.
  function formOf(html, prefix) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var form = page.querySelector('main form[method="post"]');
    if (!form) {
      return null;
    }
    form = document.importNode(form, true);
    form.querySelectorAll("[id]").forEach(function (element) { element.id = prefix + element.id; });
    form.querySelectorAll("label[for]").forEach(function (label) { label.htmlFor = prefix + label.htmlFor; });
    form.querySelectorAll("[aria-describedby]").forEach(function (element) {
      element.setAttribute("aria-describedby", prefix + element.getAttribute("aria-describedby"));
    });
    form.querySelectorAll("a").forEach(function (link) { link.remove(); });
    return form;
  }

  function close(slot, link) {
    slot.hidden = true;
    slot.replaceChildren();
    delete slot.dataset.from;
    link.focus();
  }

  function open(link) {
    var row = link.closest("tr");
    var slot = row.querySelector(".queue-inline");
    if (slot.dataset.from === link.href) {
      close(slot, link);
      return;
    }
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var form = formOf(html, slot.id + "-");
        if (!form) {
          throw new Error("no form");
        }
        var cancel = document.createElement("button");
        cancel.type = "button";
        cancel.textContent = table.dataset.cancel;
        cancel.addEventListener("click", function () { close(slot, link); });
        form.querySelector('button[type="submit"]').after(cancel);
        slot.replaceChildren(form);
        slot.dataset.from = link.href;
        slot.hidden = false;
        form.querySelector("textarea").focus();
      })
      .catch(function () {
        window.location.href = link.href;
      });
  }

  table.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-inline]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    open(link);
  });
})();
