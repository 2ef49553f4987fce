/* The meeting page: say when a note box is not saved yet, when saving failed, and ask before leaving with
 * unsaved text. The saving itself is htmx (hx-* attributes in the templates); words come from
 * #meeting-messages, translated by the server. */
(function () {
  "use strict";

  const words = document.getElementById("meeting-messages");
  if (!words || typeof htmx === "undefined") return;

  function statusOf(elt) {
    const form = elt && elt.closest ? elt.closest("form[data-note]") : null;
    return form ? form.querySelector(".note-status") : null;
  }

  function say(status, state, text, cls) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
    status.classList.remove("text-success", "text-danger", "text-body-secondary");
    status.classList.add(cls);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("form[data-note] textarea")) {
      say(statusOf(event.target), "dirty", words.dataset.dirty, "text-body-secondary");
    }
  });

  function failed(event) {
    say(statusOf(event.detail.elt), "failed", words.dataset.failed, "text-danger");
  }
  htmx.on("htmx:sendError", failed);
  htmx.on("htmx:responseError", failed);

  window.addEventListener("beforeunload", function (event) {
    const pending = document.querySelector('.note-status[data-state="dirty"], .note-status[data-state="failed"]');
    if (pending) {
      event.preventDefault();
      event.returnValue = words.dataset.leave;
    }
  });
})();
