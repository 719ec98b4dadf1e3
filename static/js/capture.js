/* The unit page and defect capture (templates/inspections/inspection.html,
 * _capture_form.html). Loaded after htmx and app.js; plain ES5, no build.
 *
 * 1. Rooms as tabs: switch without a reload, remember the room in the URL.
 * 2. The capture sheet: the camera button and each item's 有问题 open it,
 *    pre-filled with the open room (and the item's category); the camera
 *    button opens the camera at once (the tap is the user gesture it needs).
 * 3. The form: photos from camera and gallery kept in a list (previews, remove),
 *    the first photo's time as captured_at, quick phrases, the construction
 *    unit following the category until changed by hand, a pin on the floor plan.
 * 4. Photos downscaled in the browser before they are kept or sent.
 * 5. Saving always goes through the outbox (static/js/outbox.js, sent by
 *    offline.js with the X-CSRFToken header), under a client_id made when
 *    the form opens, so a double tap or a retry never records twice. The
 *    server's messages go beside their fields; nothing typed or chosen is lost.
 * 6. A refused record opened from the outbox (?outbox=<client_id>) to fix. */
(function () {
  "use strict";

  var body = document.body;

  // ------------------------------------------------------------ helpers

  function pick(form, name, value) {
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
      input.checked = input.value === value;
    });
  }

  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  // ------------------------------------------------------------ 1. room tabs
  var tabs = document.querySelector("[data-room-tabs]");
  function currentRoom() {
    var on = tabs && tabs.querySelector('[aria-selected="true"]');
    return on ? on.dataset.room : "";
  }
  if (tabs) {
    tabs.addEventListener("click", function (evt) {
      var tab = evt.target.closest("[role=tab]");
      if (!tab) return;
      evt.preventDefault();
      tabs.querySelectorAll("[role=tab]").forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      });
      tab.scrollIntoView({ block: "nearest", inline: "center" });
      var url = new URL(location.href);
      url.searchParams.set("room", tab.dataset.room);
      history.replaceState(history.state, "", url.pathname + url.search + "#checklist");
    });
  }

  var form = document.querySelector("form[data-capture]");
  if (!form) return;

  // ------------------------------------------------------------ 2. the sheet
  var sheet = document.getElementById("capture-sheet");
  var camera = form.querySelector("[data-camera]");
  var gallery = form.querySelector("[data-gallery]");

  function ensureClientId() {
    if (!form.elements.client_id.value) form.elements.client_id.value = Outbox.uuid();
  }
  ensureClientId(); // the page of its own: the form is open now

  function openSheet(trigger) {
    ensureClientId();
    var room = trigger.dataset.room || currentRoom();
    if (room) pick(form, "room", room);
    var note = form.querySelector("[data-item-note]");
    if (trigger.dataset.item) {
      form.elements.checklist_item_id.value = trigger.dataset.item;
      note.querySelector("[data-item-title]").textContent = trigger.dataset.itemTitle || "";
      note.hidden = false;
      if (trigger.dataset.category) { pick(form, "category", trigger.dataset.category); followCategory(); }
    } else {
      form.elements.checklist_item_id.value = "";
      note.hidden = true;
    }
    if (sheet.hidden) {
      sheet.hidden = false;
      body.classList.add("sheet-open");
      history.pushState({ captureSheet: true }, "");  // the phone's back button closes the sheet
    }
  }

  function closeSheet(fromHistory) {
    if (sheet.hidden) return;
    sheet.hidden = true;
    body.classList.remove("sheet-open");
    if (!fromHistory && history.state && history.state.captureSheet) history.back();
  }

  if (sheet) {
    document.addEventListener("click", function (evt) {
      var trigger = evt.target.closest("[data-capture-open]");
      if (!trigger) return;
      evt.preventDefault();
      openSheet(trigger);
      // Still inside the tap: the browser lets us open the camera now.
      if (trigger.hasAttribute("data-camera")) camera.click();
    });
    sheet.querySelector("[data-capture-close]").addEventListener("click", function () { closeSheet(false); });
    window.addEventListener("popstate", function () { closeSheet(true); });
  }

  // ------------------------------------------------------------ 3. photos
  var chosen = [];  // File objects, in the order taken
  var shots = form.querySelector("[data-shots]");
  var firstAdd = shots.querySelector(".shot-add");

  function renderShots() { if (window.OfflineUi) OfflineUi.previews(shots, firstAdd, chosen, form.dataset); }

  // A picked file that is not a photo is refused at once, by name (HEIC may come without a type).
  var PHOTO_NAME = /\.(jpe?g|png|webp|hei[cf])$/i;
  function isPhoto(file) {
    return file.type ? /^image\/(jpeg|png|webp|hei[cf])$/.test(file.type) : PHOTO_NAME.test(file.name || "");
  }
  function fieldError(name, text) {
    var slot = form.querySelector('[data-error-for="' + name + '"]');
    slot.textContent = text;
    slot.hidden = !text;
    var field = form.elements[name];
    if (field && field.setAttribute) {
      if (text) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
    }
    return slot;
  }

  function addFiles(evt) {
    var refused = [];
    Array.prototype.forEach.call(evt.target.files || [], function (file) {
      if (isPhoto(file)) chosen.push(file); else refused.push(form.dataset.notImageText.replace("{name}", file.name));
    });
    fieldError("photos", refused.join(" "));
    evt.target.value = "";  // the same photo may be chosen again later
    // When the photo was taken, by the device's clock (the server keeps EXIF too).
    if (chosen.length && !form.elements.captured_at.value) {
      form.elements.captured_at.value = new Date(chosen[0].lastModified || Date.now()).toISOString();
    }
    renderShots();
    if (sheet && sheet.hidden && chosen.length) openSheet(document.querySelector(".fab") || form);
  }
  camera.addEventListener("change", addFiles);
  gallery.addEventListener("change", addFiles);

  // ------------------------------------------------------------ 3. phrases, construction unit
  var description = form.elements.description;
  form.querySelectorAll("[data-phrase]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = description.value.replace(/\s+$/, "");
      var start = text ? text.length + 1 : 0;
      description.value = (text ? text + "，" : "") + button.dataset.phrase;
      // "墙面空鼓约 __ cm²": select the blank so the next keystrokes fill it.
      var blank = description.value.indexOf("__", start);
      description.focus();
      if (blank >= 0) description.setSelectionRange(blank, blank + 2);
    });
  });

  // The description: a phrase's blank must be filled, and over the limit is refused
  // with the limit shown (never cut, as a maxlength would).
  var maxLength = Number(description.dataset.maxLength) || 2000;
  function descriptionProblem() {
    var text = description.value.trim();
    if (text.indexOf("__") >= 0) return form.dataset.blankText;
    if (text.length > maxLength) {
      return form.dataset.tooLongText.replace("{n}", maxLength).replace("{count}", text.length);
    }
    return "";
  }
  description.addEventListener("input", function () {
    var slot = form.querySelector('[data-error-for="description"]');
    if (!slot.hidden || description.value.trim().length > maxLength) fieldError("description", descriptionProblem());
  });

  var partySelect = form.elements.construction_unit_id;
  var defaults = JSON.parse(form.dataset.defaultParties || "{}");
  var partyChosenByHand = false;
  partySelect.addEventListener("change", function () { partyChosenByHand = true; });
  var hints = form.querySelectorAll("[data-party-hint]");
  function followCategory() {
    var category = checked(form, "category");
    var party = defaults[category];
    if (!partyChosenByHand) partySelect.value = party ? String(party) : "";
    // None assigned for this building and category: ask, and offer to remember the choice.
    var assigned = !category || Boolean(party);
    hints.forEach(function (hint) { hint.hidden = (hint.dataset.partyHint === "assigned") !== assigned; });
    if (assigned && form.elements.remember_party) form.elements.remember_party.checked = false;
  }
  form.querySelectorAll('input[name="category"]').forEach(function (input) {
    input.addEventListener("change", followCategory);
  });

  // ------------------------------------------------------------ 3. pin on the floor plan
  var pinSheet = form.querySelector("[data-pin-sheet]");
  if (pinSheet) {
    var plan = pinSheet.querySelector("[data-pin-plan]");
    var pin = pinSheet.querySelector("[data-pin]");
    var status = form.querySelector("[data-pin-status]");
    var showPin = function () {
      var x = form.elements.pin_x.value, y = form.elements.pin_y.value;
      pin.hidden = x === "";
      if (x !== "") { pin.style.left = (x * 100) + "%"; pin.style.top = (y * 100) + "%"; }
      status.textContent = x === "" ? status.dataset.emptyText : status.dataset.setText;
    };
    form.querySelector("[data-pin-open]").addEventListener("click", function () { pinSheet.hidden = false; });
    pinSheet.querySelector("[data-pin-done]").addEventListener("click", function () { pinSheet.hidden = true; });
    pinSheet.querySelector("[data-pin-clear]").addEventListener("click", function () {
      form.elements.pin_x.value = form.elements.pin_y.value = "";
      showPin();
    });
    plan.addEventListener("click", function (evt) {
      var box = plan.querySelector("img").getBoundingClientRect();
      var clamp = function (v) { return Math.min(1, Math.max(0, v)).toFixed(4); };
      form.elements.pin_x.value = clamp((evt.clientX - box.left) / box.width);
      form.elements.pin_y.value = clamp((evt.clientY - box.top) / box.height);
      showPin();
    });
  }

  // ------------------------------------------------------------ 4. downscaling
  // OfflineUi.shrink (static/js/offline.js): at most 2560 px, JPEG 0.85, upright.
  function shrink(file) { return window.OfflineUi ? OfflineUi.shrink(file) : Promise.resolve(file); }

  // ------------------------------------------------------------ 5. saving: always through the outbox
  // The defect goes into the outbox on the phone first (static/js/outbox.js),
  // then we try to send it at once. Accepted: to the unit page, the new
  // defect on top. Refused: the server's messages beside the fields, the
  // record kept; saving again sends the same client_id. No signal: it waits
  // ("waiting to sync" in the top bar) and the form is ready for the next one.
  var save = form.querySelector("[data-save]");
  var progress = form.querySelector("[data-progress]");
  var messageBox = form.querySelector("[data-form-message]");
  var inspectionId = Number((form.getAttribute("action").match(/inspections\/(\d+)/) || [])[1]);
  var FIELDS = ["room", "category", "severity", "description", "construction_unit_id", "pin_x", "pin_y",
                "captured_at", "checklist_item_id", "remember_party"];
  var editing = null;  // the outbox record this form was opened to fix

  function setProgress(percent) {
    progress.hidden = false;
    form.querySelector("[data-progress-fill]").style.width = percent + "%";
    form.querySelector("[data-progress-text]").textContent = percent + "%";
    progress.querySelector("[role=progressbar]").setAttribute("aria-valuenow", percent);
  }

  function showMessage(text) { OfflineUi.showErrors(form, messageBox, null, text); }

  // The server's messages (from the outbox record) beside their fields.
  function showErrors(errors, message) { OfflineUi.showErrors(form, messageBox, errors || {}, message); }

  function label(fields) {
    var category = form.querySelector('input[name="category"]:checked');
    var name = category ? category.parentNode.textContent.trim() : "";
    return [form.dataset.unit, fields.room, name, (fields.description || "").slice(0, 40)].filter(Boolean).join(" · ");
  }

  function buildRecord() {
    var data = new FormData(form);
    var fields = {};
    FIELDS.forEach(function (name) { fields[name] = data.get(name) || ""; });
    if (!fields.captured_at) fields.captured_at = new Date().toISOString();
    return Promise.all(chosen.map(function (file) {
      if (file.outboxPhoto) return file.outboxPhoto;  // shrunk and named already (saved before)
      return shrink(file).then(function (blob) {
        var name = blob === file ? (file.name || "photo.jpg") : (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
        file.outboxPhoto = { client_id: Outbox.uuid(), blob: blob, name: name, sent: false, original_size: file.size,
                             captured_at: new Date(file.lastModified || Date.now()).toISOString() };
        return file.outboxPhoto;
      });
    })).then(function (photos) {
      return {
        client_id: form.elements.client_id.value, user_id: Number(body.dataset.userId) || null,
        inspection_id: inspectionId, created_at: editing ? editing.created_at : new Date().toISOString(),
        fields: fields, photos: photos, defect_id: editing ? editing.defect_id : null,
        state: "waiting", message: "", errors: {}, label: label(fields)
      };
    });
  }

  function clearForNext() {
    form.reset();
    ["client_id", "captured_at", "pin_x", "pin_y", "checklist_item_id"].forEach(function (n) { form.elements[n].value = ""; });
    var note = form.querySelector("[data-item-note]");
    if (note) note.hidden = true;
    var status = form.querySelector("[data-pin-status]");
    if (status) { status.textContent = status.dataset.emptyText; form.querySelector("[data-pin]").hidden = true; }
    chosen = [];
    renderShots();
    partyChosenByHand = false;
    followCategory();
    editing = null;
    showErrors({}, "");
    ensureClientId();
  }

  function unitUrl(record, defectId) {
    return "/inspections/" + record.inspection_id + "?room=" + encodeURIComponent(record.fields.room) +
      (defectId ? "#defect-" + defectId : "");
  }

  if (window.Outbox) Outbox.on(function (event) {
    if (sending && event.type === "progress") setProgress(Math.min(99, Math.round(100 * event.fraction)));
  });

  var sending = false;
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (sending || !window.Outbox || !window.OfflineUi) return;  // a double tap: one save at a time
    var problem = descriptionProblem();
    if (problem) {
      fieldError("description", problem);
      description.focus();
      var blank = description.value.indexOf("__");
      if (blank >= 0) description.setSelectionRange(blank, blank + 2);
      return;
    }
    ensureClientId();
    sending = true;
    save.disabled = true;
    showErrors({}, "");
    setProgress(0);
    OfflineUi.keepAndSend(buildRecord()).then(function (result) {
      var record = result.record, left = result.left;
      sending = false;
      save.disabled = false;
      progress.hidden = true;
      if (!left) {  // accepted
        setProgress(100);
        save.textContent = form.dataset.savingText;
        save.disabled = true;  // leaving: the unit page shows the new defect on top
        location.assign(unitUrl(record, OfflineUi.sent[record.client_id]));
      } else if (left.state === "refused") {
        editing = left;
        showErrors(left.errors, left.message);
      } else {
        clearForNext();
        if (sheet) closeSheet(false);
        OfflineUi.toast(OfflineUi.text.saved_offline);
      }
    }).catch(function () {
      sending = false;
      save.disabled = false;
      progress.hidden = true;
      showMessage(body.dataset.errorText);
    });
  });

  // ------------------------------------------------------------ 6. fixing a refused record
  // ?outbox=<client_id>: the record comes back into the form with the
  // server's messages; saving sends it again under the same client_id.
  var fixing = new URLSearchParams(location.search).get("outbox");
  if (fixing && window.Outbox) {
    Outbox.get(fixing).then(function (record) {
      if (!record) return;
      if (sheet && sheet.hidden) openSheet(form);
      editing = record;
      form.elements.client_id.value = record.client_id;
      FIELDS.forEach(function (name) {
        var field = form.elements[name];
        if (!field) return;
        if (field.length && field[0] && field[0].type === "radio") pick(form, name, record.fields[name]);
        else if (field.type === "checkbox") field.checked = Boolean(record.fields[name]);
        else field.value = record.fields[name] || "";
      });
      partyChosenByHand = true;
      followCategory();
      chosen = record.photos.filter(function (p) { return !p.sent && p.blob; }).map(function (p) {
        var blob = p.blob;
        blob.outboxPhoto = p;
        return blob;
      });
      renderShots();
      var status = form.querySelector("[data-pin-status]");
      if (status && record.fields.pin_x) status.textContent = status.dataset.setText;
      showErrors(record.errors, record.message);
    });
  }
})();
