/* /offline/import: a phone's exported outbox file into this browser's outbox,
 * then sent at once through the same steps as on the phone (offline.js's
 * sendNow). The server's client_id check makes a second import, or a record
 * that arrived meanwhile, store nothing twice. */
(function () {
  "use strict";

  var form = document.querySelector("[data-outbox-import]");
  if (!form || !window.Outbox || !window.OfflineUi) return;
  var T = JSON.parse(document.getElementById("import-text").textContent);
  var result = document.querySelector("[data-import-result]");
  var fmt = function (text, values) { return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k]; }); };

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.querySelector("[data-import-file]").files[0];
    if (!file) return;
    var button = form.querySelector("[data-import-submit]");
    button.disabled = true;
    file.text().then(function (text) {
      return Outbox.importFile(text, Number(document.body.dataset.userId));
    }).then(function (count) {
      result.textContent = fmt(T.imported, { num: count });
      return OfflineUi.sendNow().then(function () { return Outbox.all(); }).then(function (left) {
        result.textContent = left.length ? fmt(T.left, { num: left.length }) : T.done;
        result.dataset.importState = left.length ? "left" : "done";
      });
    }, function () {
      result.textContent = T.not_a_file;
      result.dataset.importState = "refused";
    }).then(function () {
      button.disabled = false;
      OfflineUi.render();
    });
  });
})();
