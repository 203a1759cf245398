// The shared page's form carries a stamp of the minute it was rendered, the same for every reader, so
// the server cannot tell from it alone how long a reader took. When the reader starts on the form, this
// asks for a stamp of that moment (GET, no cookie) and puts it in the form. Without this script, a form
// sent within a minute or so of the page is shown again once, with the text kept, to be sent again.
(function () {
  "use strict";
  var form = document.getElementById("commentform");
  var stamp = document.getElementById("issued");
  if (!form || !stamp || !stamp.dataset.renew || !window.fetch) {
    return;
  }
  form.addEventListener("focusin", function renew() {
    form.removeEventListener("focusin", renew);
    fetch(stamp.dataset.renew, {credentials: "omit", cache: "no-store"}).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (fresh) {
      if (fresh) {
        stamp.value = fresh;
      }
    }).catch(function () {
      // The window's stamp stays: at worst the form is shown once more.
    });
  });
})();
