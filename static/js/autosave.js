/* Autosave on the plan page: never lose typing.
 *
 * Forms marked `data-autosave` post through htmx (their hx-* attributes are in the templates). This file
 * keeps the saved state honest and the text safe:
 * - typing marks the form dirty ("Unsaved changes"); a successful save marks it clean only when nothing was
 *   typed after the request left (otherwise the next save is already queued);
 * - a network or server error keeps the text, says "Not saved — retrying" and retries, waiting longer each time;
 * - 400 (form errors) and 409 (someone saved meanwhile: both versions) answers are swapped in; on a 409 the
 *   conflict panel's "yours" gets what is in the textarea now, even what was typed during the request;
 * - an answer that is the login page (the session expired) is not a save: the text stays, marked unsaved,
 *   and the save is retried until the person has logged in again (in another tab);
 * - leaving the page while a form is dirty asks first.
 * The words come from #autosave-messages, translated by the server.
 */
(function () {
  "use strict";

  const RETRY_DELAYS = [2000, 5000, 10000, 30000];
  const STATE_CLASSES = {
    saved: "text-success",
    empty: "text-body-secondary",
    dirty: "text-warning-emphasis",
    saving: "text-body-secondary",
    retrying: "text-danger",
    expired: "text-danger",
    forbidden: "text-danger",
    invalid: "text-danger",
  };
  let pendingYours = null; // the texts of a form whose save answered 409, by field name

  function formOf(elt) {
    return elt && elt.closest ? elt.closest("form[data-autosave]") : null;
  }

  function message(state) {
    const box = document.getElementById("autosave-messages");
    return box ? box.dataset[state] || "" : "";
  }

  function say(form, state) {
    const status = form.dataset.status && document.getElementById(form.dataset.status);
    if (!status) return;
    status.dataset.state = state;
    status.textContent = message(state);
    Object.values(STATE_CLASSES).forEach((cls) => status.classList.remove(cls));
    status.classList.add(STATE_CLASSES[state]);
  }

  function edits(form) {
    return form.dataset.edits || "0";
  }

  document.addEventListener("input", function (event) {
    const form = formOf(event.target);
    if (!form) return;
    form.dataset.edits = String(Number(edits(form)) + 1);
    form.classList.add("is-dirty");
    say(form, "dirty");
  });

  function csrfCookie() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  htmx.on("htmx:configRequest", function (event) {
    // Logging in again (in another tab) changes the CSRF secret: send the current one, not the page's.
    const token = csrfCookie();
    if (!token || !formOf(event.detail.elt)) return;
    event.detail.headers["X-CSRFToken"] = token;
    event.detail.parameters["csrfmiddlewaretoken"] = token;
  });

  // The form a request came from: later events are dispatched on the swap target, not on the form.
  function sourceOf(detail) {
    return (detail.xhr && detail.xhr.autosaveForm) || formOf(detail.elt);
  }

  htmx.on("htmx:beforeRequest", function (event) {
    const form = formOf(event.detail.elt);
    if (!form) return;
    event.detail.xhr.autosaveForm = form;
    form.dataset.sent = edits(form);
    if (form.classList.contains("is-dirty") && form.dataset.status) say(form, "saving");
  });

  function redirected(detail) {
    // An expired session answers the login page (after a redirect): that is not a save.
    const asked = new URL(detail.requestConfig.path, window.location.href).pathname;
    return Boolean(detail.xhr.responseURL) && new URL(detail.xhr.responseURL).pathname !== asked;
  }

  htmx.on("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    const form = sourceOf(event.detail);
    if (form && status < 300 && redirected(event.detail)) {
      event.detail.shouldSwap = false;
      form.dataset.loggedOut = "1";
      return;
    }
    // A text autosave swaps only its saved state in: a 400 there is not a form to show (the text stays).
    const showsForm = status === 400 && !(form && form.hasAttribute("hx-select"));
    if (showsForm || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    if (status === 409) {
      pendingYours = {};
      if (form) form.querySelectorAll("textarea").forEach((t) => (pendingYours[t.name] = t.value));
    }
  });

  htmx.on("htmx:afterSwap", function (event) {
    if (!pendingYours) return;
    // Put what the user has now (perhaps more than was sent) into "yours".
    document.querySelectorAll("form[data-conflict] textarea[data-conflict-yours]").forEach(function (t) {
      if (Object.prototype.hasOwnProperty.call(pendingYours, t.name)) t.value = pendingYours[t.name];
    });
    pendingYours = null;
  });

  function retry(form, state) {
    const attempt = Number(form.dataset.retries || 0);
    form.dataset.retries = String(attempt + 1);
    form.classList.add("is-dirty");
    say(form, state || "retrying");
    window.setTimeout(function () {
      if (document.body.contains(form)) htmx.trigger(form, "autosave-retry");
    }, RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)]);
  }

  htmx.on("htmx:afterRequest", function (event) {
    const form = sourceOf(event.detail);
    if (!form) return;
    const xhr = event.detail.xhr;
    const status = xhr ? xhr.status : 0;
    if (form.dataset.loggedOut) {
      delete form.dataset.loggedOut;
      retry(form, "expired");
    } else if (status >= 200 && status < 300) {
      form.dataset.retries = "0";
      if (edits(form) === form.dataset.sent) {
        form.classList.remove("is-dirty");
      } else {
        say(form, "dirty"); // typed during the save: the next one is queued
      }
    } else if (status === 0 || status >= 500) {
      retry(form);
    } else if (status === 403) {
      say(form, "forbidden");
    } else if (status !== 409 && !(status === 400 && !form.hasAttribute("hx-select"))) {
      say(form, "invalid");
    }
  });

  // A form swapped in (after a conflict is settled, say) can be typed in before htmx has bound its
  // triggers, and that typing would wait for the next keystroke: once bound, a form already dirty is saved.
  htmx.on("htmx:afterProcessNode", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("form[data-autosave]") && elt.classList.contains("is-dirty")) {
      htmx.trigger(elt, "autosave-retry");
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("form[data-autosave].is-dirty")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
