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
 * 4. Sending: multipart over XHR (for upload progress) with the X-CSRFToken
 *    header - never the _csrf_token field, which would make the CSRF
 *    middleware read the whole upload into memory - and a client_id made
 *    when the form opens, so a double tap or a retry never records twice.
 *    A 400's messages go beside their fields; nothing typed or chosen is lost. */
(function () {
  "use strict";

  var body = document.body;

  // ------------------------------------------------------------ helpers
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

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
    if (!form.elements.client_id.value) form.elements.client_id.value = newUuid();
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

  function renderShots() {
    shots.querySelectorAll(".shot").forEach(function (el) {
      URL.revokeObjectURL(el.dataset.url);
      el.remove();
    });
    chosen.forEach(function (file, index) {
      var url = URL.createObjectURL(file);
      var el = document.createElement("div");
      el.className = "shot";
      el.dataset.url = url;
      el.innerHTML = '<img alt=""><button type="button" class="shot__remove"><span aria-hidden="true">×</span></button>';
      el.querySelector("img").src = url;
      el.querySelector("img").alt = form.dataset.photoLabel + " " + (index + 1);
      var remove = el.querySelector("button");
      remove.setAttribute("aria-label", form.dataset.removeLabel + " " + (index + 1));
      remove.addEventListener("click", function () { chosen.splice(index, 1); renderShots(); });
      shots.insertBefore(el, firstAdd);
    });
  }

  function addFiles(evt) {
    Array.prototype.forEach.call(evt.target.files || [], function (file) { chosen.push(file); });
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

  var partySelect = form.elements.construction_unit_id;
  var defaults = JSON.parse(form.dataset.defaultParties || "{}");
  var partyChosenByHand = false;
  partySelect.addEventListener("change", function () { partyChosenByHand = true; });
  function followCategory() {
    var party = defaults[checked(form, "category")];
    if (!partyChosenByHand) partySelect.value = party ? String(party) : "";
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

  // ------------------------------------------------------------ 4. sending
  var save = form.querySelector("[data-save]");
  var progress = form.querySelector("[data-progress]");
  var messageBox = form.querySelector("[data-form-message]");

  function setProgress(percent) {
    progress.hidden = false;
    form.querySelector("[data-progress-fill]").style.width = percent + "%";
    form.querySelector("[data-progress-text]").textContent = percent + "%";
    progress.querySelector("[role=progressbar]").setAttribute("aria-valuenow", percent);
  }

  function showMessage(text) {
    messageBox.innerHTML = "";
    if (!text) return;
    var box = document.createElement("div");
    box.className = "form-message";
    box.textContent = text;
    messageBox.appendChild(box);
  }

  // The server re-rendered the form with its messages: copy them beside our
  // live fields (which still hold what was typed, and the photos).
  function showErrors(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var first = null;
    form.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var theirs = doc.querySelector('[data-error-for="' + slot.dataset.errorFor + '"]');
      var text = theirs && !theirs.hidden ? theirs.textContent.trim() : "";
      slot.textContent = text;
      slot.hidden = !text;
      var field = form.elements[slot.dataset.errorFor];
      if (field && field.setAttribute) {
        if (text) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
      }
      if (text && !first) first = slot;
    });
    var theirMessage = doc.querySelector("[data-form-message]");
    showMessage(theirMessage ? theirMessage.textContent.trim() : body.dataset.errorText);
    (first || messageBox).scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function errorText(xhr) {
    try {
      var el = new DOMParser().parseFromString(xhr.responseText || "", "text/html").querySelector("[data-error-message]");
      if (el && el.textContent.trim()) return el.textContent.trim();
    } catch (e) { /* the generic text below */ }
    return body.dataset.errorText;
  }

  var sending = false;
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (sending) return;  // a double tap; the client_id would protect us anyway
    ensureClientId();
    var data = new FormData(form);  // the file inputs have no name: photos come from `chosen`
    chosen.forEach(function (file) { data.append("photos", file, file.name || "photo.jpg"); });

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) setProgress(Math.min(99, Math.round(100 * e.loaded / e.total)));
    };
    xhr.onload = function () {
      sending = false;
      save.disabled = false;
      var target = xhr.getResponseHeader("HX-Redirect");
      if (xhr.status < 300 && target) {
        setProgress(100);
        save.textContent = form.dataset.savingText;
        save.disabled = true;  // leaving: the unit page shows the new defect on top
        location.assign(target);
        return;
      }
      progress.hidden = true;
      if (xhr.status === 400) showErrors(xhr.responseText);
      else showMessage(errorText(xhr));
    };
    xhr.onerror = xhr.ontimeout = function () {
      sending = false;
      save.disabled = false;
      progress.hidden = true;
      showMessage(body.dataset.offlineText);
    };
    sending = true;
    save.disabled = true;
    showMessage("");
    setProgress(0);
    xhr.send(data);
  });
})();
