/* Offline on every page (templates/_outbox.html): loaded after outbox.js.
 *
 * 1. The outbox's state: the count in the top bar, the sync bar with its
 *    progress, the list of what is waiting (a refused record with the
 *    server's message, a link to fix it and a button to discard it).
 * 2. Sync: at every page load, on the `online` event, when the tab comes
 *    back, and after a failure again and again with exponential backoff
 *    (2 s, 4 s, 8 s ... at most 5 min). Background Sync is asked for too
 *    where the browser has it (not Safari), so the service worker sends the
 *    outbox even after the page is closed. Uploads from here use XHR, for the
 *    progress bar; the logic is outbox.js's, shared with the service worker.
 * 3. "Download for offline": [data-offline-card] on the unit page and
 *    [data-offline-all] on the task list store the bundle
 *    (GET /api/v1/inspections/{id}/offline) and the pages and images it
 *    names in the "offline-data" cache; the card says so and can remove it.
 * Everything it says comes translated from the page (#offline-text). */
(function () {
  "use strict";

  if (!window.Outbox || !window.indexedDB) return;
  var body = document.body;
  var textEl = document.getElementById("offline-text");
  var T = textEl ? JSON.parse(textEl.textContent) : {};
  function fmt(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? values[k] : m; });
  }

  // ------------------------------------------------------------ toasts (app.js's element)
  // Passive: no mask, taps go through, so the next defect can be taken at once.
  function toast(message) {
    var el = document.getElementById("app-toast");
    if (!el) return;
    el.querySelector(".weui-toast__content").textContent = message;
    el.classList.add("app-toast_passive");
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; el.classList.remove("app-toast_passive"); }, 3500);
  }

  // ------------------------------------------------------------ 1. state
  var badge = document.querySelector("[data-outbox-open]");
  var bar = document.querySelector("[data-sync-bar]");
  var sheet = document.getElementById("outbox-sheet");
  var state = { syncing: false, signin: false, offline: false, fraction: 0, done: 0, total: 0 };
  var thumbs = [];

  // Progress events come many times a second during an upload: they repaint from
  // the records last read, not from IndexedDB again (each read holds the photos).
  var lastRecords = null;
  function render() {
    return Outbox.all().then(paint);
  }
  function paint(records) {
    paintBar(records);
    if (sheet && !sheet.hidden) renderList(records);
    return records;
  }
  function paintBar(records) {
    lastRecords = records;
    var n = records.length;
    if (badge) {
      badge.hidden = n === 0;
      badge.querySelector("[data-outbox-count]").textContent = fmt(T.count, { num: n });
    }
    if (!bar) return;
    var onLogin = location.pathname === "/login";
    bar.hidden = n === 0 || onLogin;
    var text = fmt(T.count, { num: n });
    if (state.signin) text = T.signin;
    else if (state.syncing && state.total) text = fmt(T.syncing, { done: Math.min(state.done + 1, state.total), total: state.total });
    else if (state.offline) text = T.offline + " " + text;
    bar.querySelector("[data-sync-text]").textContent = text;
    var signin = bar.querySelector("[data-signin]");
    signin.hidden = !state.signin;
    signin.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    var progress = bar.querySelector("[data-sync-progress]");
    progress.hidden = !state.syncing;
    var percent = Math.round(100 * state.fraction);
    bar.querySelector("[data-sync-fill]").style.width = percent + "%";
    progress.setAttribute("aria-valuenow", percent);
  }

  function renderList(records) {
    var list = sheet.querySelector("[data-outbox-list]");
    thumbs.forEach(URL.revokeObjectURL);
    thumbs = [];
    list.innerHTML = "";
    if (!records.length) {
      var empty = document.createElement("li");
      empty.className = "outbox__empty";
      empty.textContent = T.empty;
      list.appendChild(empty);
    }
    var me = Number(body.dataset.userId || 0);
    records.forEach(function (record) {
      var li = document.createElement("li");
      li.className = "outbox__item" + (record.state === "refused" ? " outbox__item_refused" : "");
      li.dataset.outboxRecord = record.client_id;
      var photo = record.photos.filter(function (p) { return p.blob; })[0];
      if (photo) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(photo.blob);
        thumbs.push(img.src);
        li.appendChild(img);
      }
      var box = document.createElement("div");
      box.className = "outbox__body";
      var what = document.createElement("div");
      what.className = "outbox__what";
      what.textContent = record.label || record.fields.description || record.fields.room;
      var status = document.createElement("div");
      status.className = "outbox__state";
      status.dataset.outboxState = record.state;
      var photos = fmt(T.photos, { num: record.photos.length });
      if (record.state === "refused") {
        var details = Object.keys(record.errors || {}).map(function (k) { return record.errors[k]; });
        status.textContent = [T.refused, record.message].concat(details).join(" ");
      } else if (me && record.user_id && record.user_id !== me) {
        status.textContent = T.other_user;
      } else {
        status.textContent = T.waiting + " · " + photos;
      }
      box.appendChild(what);
      box.appendChild(status);
      if (record.state === "refused") {
        var actions = document.createElement("div");
        actions.className = "outbox__actions";
        var fix = document.createElement("a");
        fix.href = (record.kind === "repair" ? "/owner/units/" + record.unit_id + "/repairs/new" :
          "/inspections/" + record.inspection_id + "/defects/new") + "?outbox=" + encodeURIComponent(record.client_id);
        fix.textContent = T.fix;
        fix.dataset.outboxFix = "";
        // Discarding asks once, in words (app.js's dialog answers a form's data-confirm).
        var discard = document.createElement("form");
        discard.dataset.confirm = T.discard_question;
        discard.innerHTML = '<button type="submit" data-outbox-discard></button>';
        discard.querySelector("button").textContent = T.discard;
        discard.addEventListener("submit", function (evt) {
          evt.preventDefault();
          Outbox.remove(record.client_id);
        });
        actions.appendChild(fix);
        actions.appendChild(discard);
        box.appendChild(actions);
      }
      li.appendChild(box);
      list.appendChild(li);
    });
  }

  if (badge && sheet) {
    badge.addEventListener("click", function () { sheet.hidden = false; render(); });
    sheet.querySelector("[data-outbox-close]").addEventListener("click", function () { sheet.hidden = true; });
    sheet.querySelector("[data-outbox-retry]").addEventListener("click", function () { failures = 0; sync(); });
    // (the warning and export button: section 5)
  }

  var sent = {};  // client_id -> defect id, for the capture page to go to the new defect
  Outbox.on(function (event) {
    if (event.type === "progress") {
      state.syncing = true;
      state.fraction = event.fraction; state.done = event.done; state.total = event.total;
    } else if (event.type === "signin") {
      state.signin = true;
    } else if (event.type === "sent") {
      sent[event.client_id] = event.defect_id;
    } else if (event.type === "idle") {
      state.syncing = false;
    }
    if (event.type === "progress" && lastRecords) paintBar(lastRecords);
    else render();
  });

  // ------------------------------------------------------------ 2. sync
  function xhrSend(url, form, token, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 5 * 60 * 1000;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded); };
      xhr.onload = function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        resolve({ status: xhr.status, body: answer });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve({ status: 0, body: null }); };
      xhr.send(form);
    });
  }

  var failures = 0;
  var timer = null;
  function sync() {
    clearTimeout(timer);
    return Outbox.sync({ send: xhrSend }).then(function (result) {
      state.syncing = false;
      state.signin = result.state === "signin";
      state.offline = result.state === "retry" || result.state === "offline";
      if (state.offline) {
        failures += 1;
        var delay = Math.min(300000, 2000 * Math.pow(2, failures - 1)) * (0.75 + Math.random() / 2);
        timer = setTimeout(sync, delay);
      } else {
        failures = 0;
      }
      render();
      return result;
    }, function () {
      state.syncing = false;
      render();
      return { state: "offline" };
    });
  }

  // Ask the service worker to send it later, too (Chrome; Safari has no Background Sync).
  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("outbox");
    }).catch(function () { /* not allowed here: the page syncs on its own */ });
  }

  // Sends now (the capture form waits for this); runs again once if records
  // came in while an earlier run was already going.
  function sendNow() {
    failures = 0;
    askBackgroundSync();
    return sync().then(function (result) { return result.state === "done" ? sync() : result; });
  }

  // A form's save (capture.js, repair.js): the record into the outbox first, where
  // it cannot be lost, then sent at once; {record, left}: left is what is still in
  // the outbox (undefined once accepted, else waiting or refused with the messages).
  function keepAndSend(built) {
    var record = null;
    return built.then(function (made) {
      record = made;
      return Outbox.put(record);
    }).then(sendNow).then(function () {
      return Outbox.get(record.client_id);
    }).then(function (left) { return { record: record, left: left }; });
  }

  window.addEventListener("online", function () { failures = 0; state.offline = false; sync(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden && !state.syncing) sync(); });

  // ------------------------------------------------------------ 3. downloads
  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }

  function downloadOne(id) {
    return fetchJson("/api/v1/inspections/" + id + "/offline").then(function (bundle) {
      var urls = bundle.pages.concat(bundle.assets);
      return caches.open(Outbox.DATA_CACHE).then(function (cache) {
        return Promise.all(urls.map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (!response.ok || response.redirected) throw new Error(url + ": " + response.status);
            return cache.put(url, response);
          });
        }));
      }).then(function () {
        return Outbox.putDownload({ inspection_id: id, urls: urls, bundle: bundle, at: new Date().toISOString() });
      });
    });
  }

  // A floor plan can serve several units: keep what another download still names.
  function removeOne(id) {
    return Promise.all([Outbox.download(id), Outbox.downloads()]).then(function (found) {
      var mine = found[0];
      if (!mine) return;
      var kept = {};
      found[1].forEach(function (d) { if (d.inspection_id !== id) d.urls.forEach(function (u) { kept[u] = true; }); });
      return caches.open(Outbox.DATA_CACHE).then(function (cache) {
        return Promise.all(mine.urls.filter(function (u) { return !kept[u]; }).map(function (u) { return cache.delete(u); }));
      }).then(function () { return Outbox.removeDownload(id); });
    });
  }

  function localTime(iso) {
    var d = new Date(iso);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function showCard(card) {
    var id = Number(card.dataset.inspectionId);
    var label = card.querySelector("[data-offline-state]");
    var get = card.querySelector("[data-offline-download]");
    var remove = card.querySelector("[data-offline-remove]");
    return Outbox.download(id).then(function (row) {
      label.textContent = row ? fmt(T.available, { time: localTime(row.at) }) : "";
      label.classList.toggle("offline-card__state_on", !!row);
      card.dataset.offlineReady = row ? "yes" : "no";
      get.hidden = !!row;
      remove.hidden = !row;
    });
  }

  document.querySelectorAll("[data-offline-card]").forEach(function (card) {
    if (!window.caches) { card.hidden = true; return; }
    var label = card.querySelector("[data-offline-state]");
    var get = card.querySelector("[data-offline-download]");
    get.textContent = T.download;
    card.querySelector("[data-offline-remove]").textContent = T.remove;
    get.addEventListener("click", function () {
      get.disabled = true;
      label.textContent = T.downloading;
      downloadOne(Number(card.dataset.inspectionId)).catch(function () { toast(T.download_failed); })
        .then(function () { get.disabled = false; return showCard(card); });
    });
    card.querySelector("[data-offline-remove]").addEventListener("click", function () {
      removeOne(Number(card.dataset.inspectionId)).then(function () { showCard(card); });
    });
    card.hidden = false;
    showCard(card);
  });

  document.querySelectorAll("[data-offline-all]").forEach(function (button) {
    if (!window.caches) return;
    button.hidden = false;
    button.textContent = T.download;
    button.addEventListener("click", function () {
      var ids = button.dataset.offlineAll.split(",").filter(Boolean).map(Number);
      var status = document.querySelector(button.dataset.statusTarget || "[data-offline-all-state]");
      var done = 0;
      button.disabled = true;
      var next = function (i) {
        if (i >= ids.length) return Promise.resolve();
        return downloadOne(ids[i]).then(function () {
          done += 1;
          if (status) status.textContent = fmt(T.downloaded_some, { done: done, total: ids.length });
        }).then(function () { return next(i + 1); });
      };
      if (status) status.textContent = T.downloading;
      next(0).catch(function () { toast(T.download_failed); }).then(function () { button.disabled = false; });
    });
  });

  // ------------------------------------------------------------ a form's messages (capture.js, repair.js)
  // The server's messages beside their fields (slots [data-error-for], always present)
  // and the form's message in `messageBox`; `errors` null leaves the fields alone.
  function showErrors(form, messageBox, errors, message) {
    var first = null;
    if (errors) form.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var text = errors[slot.dataset.errorFor] || "";
      slot.textContent = text;
      slot.hidden = !text;
      var field = form.elements[slot.dataset.errorFor];
      if (field && field.setAttribute) {
        if (text) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
      }
      if (text && !first) first = slot;
    });
    messageBox.innerHTML = "";
    if (message) {
      var box = document.createElement("div");
      box.className = "form-message";
      box.textContent = message;
      messageBox.appendChild(box);
    }
    if (errors && (message || first)) (first || messageBox).scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // ------------------------------------------------------------ photo previews (capture.js, repair.js)
  // The chosen files as thumbnails before `before` in `shots`, each with a remove
  // button; removing one takes it out of `files` and draws the list again.
  function previews(shots, before, files, labels) {
    shots.querySelectorAll(".shot").forEach(function (el) {
      URL.revokeObjectURL(el.dataset.url);
      el.remove();
    });
    files.forEach(function (file, index) {
      var url = URL.createObjectURL(file);
      var el = document.createElement("div");
      el.className = "shot";
      el.dataset.url = url;
      el.innerHTML = '<img alt=""><button type="button" class="shot__remove"><span aria-hidden="true">×</span></button>';
      el.querySelector("img").src = url;
      el.querySelector("img").alt = labels.photoLabel + " " + (index + 1);
      var remove = el.querySelector("button");
      remove.setAttribute("aria-label", labels.removeLabel + " " + (index + 1));
      remove.addEventListener("click", function () { files.splice(index, 1); previews(shots, before, files, labels); });
      shots.insertBefore(el, before);
    });
  }

  // ------------------------------------------------------------ downscaling (capture.js, repair.js)
  // At most 2560 px on the long side, JPEG 0.85, upright (the browser applies
  // EXIF orientation when decoding): a 4 MB phone photo becomes well under
  // 1 MB. The canvas drops EXIF, so the capture time travels as a field. A
  // photo the browser cannot decode (HEIC on Android) goes as it is.
  var MAX_SIDE = 2560, QUALITY = 0.85;
  // Decoded upright: createImageBitmap where it takes the orientation option;
  // else (WebKit before Safari 17: "TypeError") an <img>, which WebKit turns by EXIF.
  function decodeUpright(file) {
    var viaImage = function () {
      return new Promise(function (resolve, reject) {
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () {
          URL.revokeObjectURL(url);
          resolve({ width: img.naturalWidth, height: img.naturalHeight, image: img, close: function () {} });
        };
        img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("not decodable")); };
        img.src = url;
      });
    };
    if (!window.createImageBitmap) return viaImage();
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      bitmap.image = bitmap;
      return bitmap;
    }, viaImage);
  }

  // A canvas that cannot write JPEG (WebKit's Linux build writes PNG whatever it is
  // asked) would spend seconds on a PNG bigger than the photo: the photo goes as taken.
  var writesJpeg = null;
  function canvasWritesJpeg() {
    if (writesJpeg === null) {
      var probe = document.createElement("canvas");
      probe.width = probe.height = 1;
      writesJpeg = probe.toDataURL("image/jpeg").indexOf("data:image/jpeg") === 0;
    }
    return writesJpeg;
  }

  function shrink(file) {
    if (!canvasWritesJpeg()) return Promise.resolve(file);
    return decodeUpright(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size <= 1024 * 1024) {
        bitmap.close();
        return file;  // small already: keep it untouched, EXIF and all
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap.image, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  // ------------------------------------------------------------ 5. keeping it safe
  // Safari has no Background Sync: a page that is open sends what waits every
  // minute too, so an inspector who opens the app after lunch sees the count fall.
  var RETRY_OPEN_MS = 60 * 1000;
  setInterval(function () {
    if (document.hidden || state.syncing) return;
    Outbox.all().then(function (records) {
      if (records.some(function (r) { return r.state !== "refused"; })) sync();
    });
  }, RETRY_OPEN_MS);

  // Ask the browser not to evict the outbox under storage pressure (or, in
  // Safari, after seven days without a visit). Where it cannot promise that,
  // or a record has waited more than a day, the outbox says so plainly.
  var persistent = null;  // unknown until asked
  var DAY_MS = 24 * 60 * 60 * 1000;
  function askToPersist() {
    if (!navigator.storage || !navigator.storage.persist) { persistent = false; return Promise.resolve(false); }
    return navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    }).then(function (granted) { persistent = !!granted; return persistent; }, function () { persistent = false; return false; });
  }
  function warnIfAtRisk(records) {
    var warning = sheet && sheet.querySelector("[data-outbox-warning]");
    if (!warning) return;
    var oldest = records.reduce(function (t, r) { return Math.min(t, Date.parse(r.created_at) || Date.now()); }, Date.now());
    var atRisk = records.length > 0 && (persistent === false || Date.now() - oldest > DAY_MS);
    warning.hidden = !atRisk;
    sheet.querySelector("[data-outbox-export]").hidden = records.length === 0;
  }
  Outbox.on(function (event) { if (event.type === "changed" && sheet && !sheet.hidden) Outbox.all().then(warnIfAtRisk); });
  if (badge && sheet) badge.addEventListener("click", function () { Outbox.all().then(warnIfAtRisk); });
  Outbox.all().then(function (records) { if (records.length) askToPersist(); });

  // Export: everything in the outbox, photos included, as one file to hand to CS.
  if (sheet) sheet.querySelector("[data-outbox-export]").addEventListener("click", function () {
    Outbox.exportFile().then(function (file) {
      var link = document.createElement("a");
      var stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
      link.href = URL.createObjectURL(file);
      link.download = "outbox-" + stamp + ".json";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
      toast(T.exported);
    });
  });

  // iPhone: no install prompt, so a one-line hint in Safari's tab (not in the
  // installed app), until dismissed. Installed apps are spared Safari's eviction.
  var hint = document.querySelector("[data-ios-install]");
  var iOS = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var standalone = navigator.standalone === true || (window.matchMedia && matchMedia("(display-mode: standalone)").matches);
  if (hint && iOS && !standalone && localStorage.getItem("ios-install-hint") !== "dismissed") {
    hint.hidden = false;
    hint.querySelector("[data-ios-install-close]").addEventListener("click", function () {
      hint.hidden = true;
      localStorage.setItem("ios-install-hint", "dismissed");
    });
  }

  window.OfflineUi = { sendNow: sendNow, sync: sync, render: render, toast: toast, text: T, sent: sent, shrink: shrink,
                      previews: previews, keepAndSend: keepAndSend,
                      showErrors: showErrors };

  render();
  sync();  // app start: whatever is waiting goes now if it can
})();
