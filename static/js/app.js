/* The little script every page loads after htmx (static/vendor/htmx).
 *
 * 1. htmx set-up: the CSRF header comes from <body hx-headers> (base.html);
 *    a form that comes back 400/422 (field errors) is swapped in like a 200,
 *    and a history-cache miss reloads the whole page, not a fragment.
 * 2. Errors: a response with `HX-Trigger: app:error` (server/web/errors.py),
 *    a failed request or no network shows a toast in the user's language;
 *    a form swapped back with errors gets the cursor in its first bad field;
 *    a page with a refusal marked data-scroll-here opens scrolled to it.
 * 3. Confirmation: a form or button with data-confirm="question" asks once,
 *    in words, in a WeUI dialog (htmx's hx-confirm uses the same dialog).
 * 4. App.csrfToken(): the CSRF token for scripts that post by themselves
 *    (client ids for them come from Outbox.uuid(), static/js/outbox.js).
 * Pages work without this file: forms post normally, links are links. */
(function () {
  "use strict";

  var body = document.body;

  // ------------------------------------------------------------ 1. htmx
  if (window.htmx) {
    htmx.config.historyRestoreAsHxRequest = false; // fragments are only for real htmx swaps
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(400|422)", swap: true, error: false }, // a form re-rendered with its errors
      { code: "[45]..", swap: false, error: true }
    ];
  }

  // ------------------------------------------------------------ 2. toasts
  var toast = document.getElementById("app-toast");
  var toastTimer = null;

  function showToast(message) {
    if (!toast) { window.alert(message); return; }
    toast.querySelector(".weui-toast__content").textContent = message;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 3500);
  }
  if (toast) toast.addEventListener("click", function () { toast.hidden = true; });

  // The message of an error page: errors/error.html marks it data-error-message.
  function messageFrom(xhr) {
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var el = doc.querySelector("[data-error-message]");
      if (el && el.textContent.trim()) return el.textContent.trim();
    } catch (e) { /* fall through to the generic text */ }
    return body.dataset.errorText;
  }

  var lastXhr = null;
  body.addEventListener("htmx:beforeOnLoad", function (evt) { lastXhr = evt.detail.xhr; });
  body.addEventListener("app:error", function () {
    showToast(lastXhr ? messageFrom(lastXhr) : body.dataset.errorText);
    lastXhr = null;
  });
  body.addEventListener("htmx:responseError", function (evt) {
    // app:error already said it (the server sets that trigger on its error pages).
    if (!evt.detail.xhr.getResponseHeader("HX-Trigger")) showToast(messageFrom(evt.detail.xhr));
  });
  body.addEventListener("htmx:sendError", function () { showToast(body.dataset.offlineText); });

  // A form that came back with errors: put the cursor in the first field to fix.
  body.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 400) {
      var bad = document.querySelector("[aria-invalid=true]");
      if (bad) bad.focus();
    }
  });

  // A page that came back with a refusal far down (data-scroll-here): show it, not the top.
  var refusal = document.querySelector("[data-scroll-here]");
  if (refusal) refusal.scrollIntoView({ block: "center" });

  // ------------------------------------------------------------ 3. confirmation
  var dialog = document.getElementById("app-confirm");

  function ask(question, onYes) {
    if (!dialog) { if (window.confirm(question)) onYes(); return; }
    dialog.querySelector(".weui-dialog__bd").textContent = question;
    dialog.hidden = false;
    var yes = dialog.querySelector("[data-answer=yes]");
    var no = dialog.querySelector("[data-answer=no]");
    function close() { dialog.hidden = true; yes.onclick = no.onclick = null; }
    yes.onclick = function () { close(); onYes(); };
    no.onclick = close;
    no.focus();
  }

  // Plain forms: <form data-confirm="..."> or <button data-confirm="...">.
  // A checkbox with data-confirm-off="..." asks only when it is being switched off.
  body.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.dataset.confirmed === "yes") { delete form.dataset.confirmed; return; }
    var question = (evt.submitter && evt.submitter.dataset.confirm) || form.dataset.confirm;
    form.querySelectorAll("input[type=checkbox][data-confirm-off]").forEach(function (box) {
      if (box.defaultChecked && !box.checked) question = box.dataset.confirmOff;
    });
    if (!question) return;
    evt.preventDefault();
    evt.stopImmediatePropagation(); // htmx waits too
    ask(question, function () {
      form.dataset.confirmed = "yes";
      if (form.requestSubmit) form.requestSubmit(evt.submitter || undefined); else form.submit();
    });
  }, true);

  // htmx's own hx-confirm uses the same dialog.
  body.addEventListener("htmx:confirm", function (evt) {
    if (!evt.detail.question) return;
    evt.preventDefault();
    ask(evt.detail.question, function () { evt.detail.issueRequest(true); });
  });

  // ------------------------------------------------------------ 4. for other scripts
  window.App = {
    csrfToken: function () {
      try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
      catch (e) { return ""; }
    }
  };
})();

// The service worker (served from /sw.js so it controls the whole site):
// it keeps the app shell and an offline page on the phone.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () { navigator.serviceWorker.register("/sw.js"); });
}
