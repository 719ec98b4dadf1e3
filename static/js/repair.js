/* The owner's repair form (templates/repairs/owner_form.html). Plain ES5, no build.
 *
 * Like the defect capture (capture.js): photos from camera and gallery kept
 * in a list (previews, remove), downscaled in the browser (OfflineUi.shrink),
 * and saving always goes through the outbox (static/js/outbox.js, a record of
 * kind "repair") under a client_id made when the form opens, so a request
 * made in a basement without signal is sent once when the signal returns.
 * Accepted: to the request's page. Refused: the server's messages beside the
 * fields, nothing typed or chosen lost. A refused record opened from the
 * outbox (?outbox=<client_id>) comes back into the form to fix. */
(function () {
  "use strict";
  var form = document.querySelector("[data-repair-form]");
  if (!form || !window.Outbox) return;
  var body = document.body;
  var shots = form.querySelector("[data-shots]");
  var firstAdd = shots.querySelector(".shot-add");
  var save = form.querySelector("[data-save]");
  var progress = form.querySelector("[data-progress]");
  var messageBox = form.querySelector("[data-form-message]");
  var FIELDS = ["component", "location", "description", "preferred_times"];
  var chosen = [];
  var editing = null;

  // The file inputs are for the page without JavaScript; here the list is ours.
  form.querySelectorAll('input[type="file"]').forEach(function (input) { input.removeAttribute("name"); });
  if (!form.elements.client_id.value) form.elements.client_id.value = Outbox.uuid();

  function renderShots() { if (window.OfflineUi) OfflineUi.previews(shots, firstAdd, chosen, form.dataset); }
  form.querySelectorAll("[data-camera], [data-gallery]").forEach(function (input) {
    input.addEventListener("change", function (evt) {
      Array.prototype.forEach.call(evt.target.files || [], function (file) { chosen.push(file); });
      evt.target.value = "";
      renderShots();
    });
  });

  function showErrors(errors, message) { OfflineUi.showErrors(form, messageBox, errors || {}, message); }

  function buildRecord() {
    var data = new FormData(form);
    var fields = {};
    FIELDS.forEach(function (name) { fields[name] = data.get(name) || ""; });
    return Promise.all(chosen.map(function (file) {
      if (file.outboxPhoto) return file.outboxPhoto;
      return OfflineUi.shrink(file).then(function (blob) {
        var name = blob === file ? (file.name || "photo.jpg") : (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
        file.outboxPhoto = { client_id: Outbox.uuid(), blob: blob, name: name, sent: false,
                             captured_at: new Date(file.lastModified || Date.now()).toISOString() };
        return file.outboxPhoto;
      });
    })).then(function (photos) {
      return {
        kind: "repair", client_id: form.elements.client_id.value, user_id: Number(body.dataset.userId) || null,
        unit_id: Number(form.dataset.unitId), created_at: editing ? editing.created_at : new Date().toISOString(),
        fields: fields, photos: photos, repair_id: null, state: "waiting", message: "", errors: {},
        label: [form.dataset.unit, fields.location, (fields.description || "").slice(0, 40)].filter(Boolean).join(" · ")
      };
    });
  }

  var sending = false;
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (sending || !window.OfflineUi) return;
    sending = true;
    save.disabled = true;
    showErrors({}, "");
    progress.hidden = false;
    OfflineUi.keepAndSend(buildRecord()).then(function (result) {
      var record = result.record, left = result.left;
      sending = false;
      save.disabled = false;
      progress.hidden = true;
      if (!left) {
        location.assign("/owner/repairs/" + OfflineUi.sent[record.client_id]);
      } else if (left.state === "refused") {
        editing = left;
        showErrors(left.errors, left.message);
      } else {
        OfflineUi.toast(form.dataset.savedText);
        save.disabled = true;  // waiting in the outbox: the same request is not made twice
      }
    }).catch(function () {
      sending = false;
      save.disabled = false;
      progress.hidden = true;
      showErrors({}, body.dataset.errorText);
    });
  });

  var fixing = new URLSearchParams(location.search).get("outbox");
  if (fixing) {
    Outbox.get(fixing).then(function (record) {
      if (!record) return;
      editing = record;
      form.elements.client_id.value = record.client_id;
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        if (!field) return;
        if (field.length && field[0] && field[0].type === "radio") {
          Array.prototype.forEach.call(field, function (input) { input.checked = input.value === record.fields[name]; });
        } else {
          field.value = record.fields[name] || "";
        }
      });
      chosen = record.photos.filter(function (p) { return p.blob; }).map(function (p) {
        var blob = p.blob;
        blob.outboxPhoto = p;
        return blob;
      });
      renderShots();
      showErrors(record.errors, record.message);
    });
  }
})();
