/* The outbox: defects recorded on this phone that the server has not yet
 * accepted, and the inspections downloaded for offline use. Kept in
 * IndexedDB, so it survives reloads, closing the browser and a restart.
 *
 * One implementation of the upload for everyone: the pages load this file
 * (offline.js shows it, capture.js fills it) and the service worker imports
 * it (sw.js, for Background Sync). No DOM here. ES2017: every browser with a
 * service worker has async functions.
 *
 * A record is one defect: {client_id, user_id, inspection_id, created_at,
 * fields, photos: [{client_id, blob, name, captured_at, sent}], defect_id,
 * state: "waiting" | "refused", message, errors}. Sending one is a few steps,
 * each idempotent because the server deduplicates by client_id:
 *   1. the defect with its first photo (POST /api/v1/inspections/{id}/defects);
 *   2. each further photo (POST /api/v1/defects/{defect_id}/photos).
 * A record of kind "repair" (an owner's repair request, static/js/repair.js:
 * {kind: "repair", client_id, user_id, unit_id, fields, photos, repair_id, ...})
 * is one step: the request with all its photos (POST /api/v1/units/{id}/repairs).
 * A step's success is written down before the next starts; the record is
 * deleted only when every step has had a 2xx. A lost answer means the step is
 * sent again and the server answers 200 with what it already has.
 *
 * How an answer is taken:
 *   2xx                 -> the step is done;
 *   no answer, 408, 429, 5xx -> stop, try again later (backoff: the caller);
 *   401, 403 "csrf"     -> stop, ask the inspector to sign in again;
 *   any other 4xx       -> the record is "refused" with the server's message
 *                          (already in the user's language) and stays until
 *                          fixed and sent again, or discarded by hand.
 */
(function (global) {
  "use strict";

  var DB_NAME = "cs-offline";
  var OUTBOX = "outbox";
  var DOWNLOADS = "downloads";
  var LOCK = "outbox-sync";
  var TIMEOUT_MS = 5 * 60 * 1000;  // a whole photo over slow 3G fits; a dead socket does not hang forever

  // ------------------------------------------------------------ IndexedDB
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var d = request.result;
          if (!d.objectStoreNames.contains(OUTBOX)) d.createObjectStore(OUTBOX, { keyPath: "client_id" });
          if (!d.objectStoreNames.contains(DOWNLOADS)) d.createObjectStore(DOWNLOADS, { keyPath: "inspection_id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  async function store(name, mode, work) {
    var d = await db();
    return new Promise(function (resolve, reject) {
      var tx = d.transaction(name, mode);
      var request = work(tx.objectStore(name));
      tx.oncomplete = function () { resolve(request && request.result); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }

  // ------------------------------------------------------------ telling everyone
  // Pages and the service worker each hold their own copy of this file: a
  // BroadcastChannel carries changes and progress between them (and to other tabs).
  var listeners = [];
  var channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("outbox") : null;
  function emit(event) {
    listeners.forEach(function (fn) { try { fn(event); } catch (e) { /* a listener's bug is not ours */ } });
    if (channel) channel.postMessage(event);
  }
  if (channel) channel.onmessage = function (msg) {
    listeners.forEach(function (fn) { try { fn(msg.data); } catch (e) { /* ignore */ } });
  };

  // ------------------------------------------------------------ records
  function uuid() {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // Where IndexedDB refuses a Blob (WebKit's WPE 2.38: "DataCloneError: BlobURLs
  // are not yet supported"), photos are stored as bytes and their type instead;
  // elsewhere as Blobs, which the browser keeps by reference (copying megabytes
  // on every read would slow the outbox down). The rest of the code sees Blobs.
  var blobsRefused = false;
  async function stored(record) {
    var copy = Object.assign({}, record);
    copy.photos = [];
    for (var i = 0; i < record.photos.length; i++) {
      var photo = Object.assign({}, record.photos[i]);
      if (photo.blob) {
        photo.bytes = await photo.blob.arrayBuffer();
        photo.type = photo.blob.type;
        delete photo.blob;
      }
      copy.photos.push(photo);
    }
    return copy;
  }
  function loaded(row) {
    if (!row) return row;
    row.photos = (row.photos || []).map(function (photo) {
      if (photo.bytes) {
        photo.blob = new Blob([photo.bytes], { type: photo.type || "image/jpeg" });
        delete photo.bytes;
      }
      return photo;
    });
    return row;
  }

  async function all() {
    var rows = await store(OUTBOX, "readonly", function (s) { return s.getAll(); });
    return (rows || []).map(loaded).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
  }
  async function get(clientId) { return loaded(await store(OUTBOX, "readonly", function (s) { return s.get(clientId); })); }
  async function put(record) {
    try {
      var row = blobsRefused ? await stored(record) : record;
      await store(OUTBOX, "readwrite", function (s) { return s.put(row); });
    } catch (e) {
      if (blobsRefused || !e || e.name !== "DataCloneError") throw e;
      blobsRefused = true;
      var bytes = await stored(record);
      await store(OUTBOX, "readwrite", function (s) { return s.put(bytes); });
    }
    emit({ type: "changed" });
  }
  async function remove(clientId) {
    await store(OUTBOX, "readwrite", function (s) { return s.delete(clientId); });
    emit({ type: "changed" });
  }

  // ------------------------------------------------------------ downloads
  function downloads() { return store(DOWNLOADS, "readonly", function (s) { return s.getAll(); }); }
  function download(id) { return store(DOWNLOADS, "readonly", function (s) { return s.get(id); }); }
  function putDownload(row) { return store(DOWNLOADS, "readwrite", function (s) { return s.put(row); }); }
  function removeDownload(id) { return store(DOWNLOADS, "readwrite", function (s) { return s.delete(id); }); }

  // ------------------------------------------------------------ sending
  // send(url, form, token, onProgress) -> {status, body}; status 0 when no answer came.
  // The pages pass one built on XHR (upload progress); this one is for the service worker.
  async function fetchSend(url, form, token) {
    var abort = new AbortController();
    var timer = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
    try {
      var response = await fetch(url, { method: "POST", body: form, credentials: "same-origin", signal: abort.signal,
                                        headers: { "X-CSRFToken": token, "Accept": "application/json" } });
      var body = null;
      try { body = await response.json(); } catch (e) { /* not JSON: a proxy's page */ }
      return { status: response.status, body: body };
    } catch (e) {
      return { status: 0, body: null };
    } finally {
      clearTimeout(timer);
    }
  }

  async function session() {
    try {
      var response = await fetch("/offline/session", { credentials: "same-origin", cache: "no-store" });
      return response.ok ? await response.json() : null;
    } catch (e) {
      return null;
    }
  }

  function outcome(answer) {
    var s = answer.status;
    if (s >= 200 && s < 300) return "ok";
    if (s === 0 || s === 408 || s === 429 || s >= 500) return "retry";
    if (s === 401) return "signin";
    if (s === 403 && answer.body && answer.body.reason === "csrf") return "csrf";
    return "refused";
  }

  function defectForm(record) {
    var form = new FormData();
    form.append("client_id", record.client_id);
    Object.keys(record.fields).forEach(function (name) { form.append(name, record.fields[name] == null ? "" : record.fields[name]); });
    var first = record.photos[0];
    if (first) {
      form.append("photo_client_id", first.client_id);
      form.append("photo_captured_at", first.captured_at || "");
      form.append("photos", first.blob, first.name || "photo.jpg");
    }
    return form;
  }

  function photoForm(photo) {
    var form = new FormData();
    form.append("client_id", photo.client_id);
    form.append("stage", "found");
    form.append("captured_at", photo.captured_at || "");
    form.append("photos", photo.blob, photo.name || "photo.jpg");
    return form;
  }

  function repairForm(record) {
    var form = new FormData();
    form.append("client_id", record.client_id);
    Object.keys(record.fields).forEach(function (name) { form.append(name, record.fields[name] == null ? "" : record.fields[name]); });
    record.photos.forEach(function (photo) {
      form.append("photo_client_id", photo.client_id);
      form.append("photo_captured_at", photo.captured_at || "");
      form.append("photos", photo.blob, photo.name || "photo.jpg");
    });
    return form;
  }

  function size(record) {
    return record.photos.reduce(function (n, p) { return n + (p.sent || !p.blob ? 0 : p.blob.size); }, 1000);
  }

  // The steps of one record; "ok", "retry", "signin" or "refused".
  async function sendRecord(record, ctx) {
    var steps = [];
    if (record.kind === "repair") {
      steps.push({ url: "/api/v1/units/" + record.unit_id + "/repairs", form: function () { return repairForm(record); },
                   bytes: size(record), done: function (body) { record.repair_id = body.id; } });
    } else if (!record.defect_id) {
      steps.push({ url: "/api/v1/inspections/" + record.inspection_id + "/defects", form: function () { return defectForm(record); },
                   bytes: 1000 + (record.photos[0] ? record.photos[0].blob.size : 0),
                   done: function (body) { record.defect_id = body.id; if (record.photos[0]) { record.photos[0].sent = true; record.photos[0].blob = null; } } });
    }
    if (record.kind !== "repair") record.photos.forEach(function (photo, index) {
      if (photo.sent || (index === 0 && !record.defect_id)) return;
      steps.push({ url: function () { return "/api/v1/defects/" + record.defect_id + "/photos"; }, form: function () { return photoForm(photo); },
                   bytes: photo.blob.size, done: function () { photo.sent = true; photo.blob = null; } });
    });
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i];
      var url = typeof step.url === "function" ? step.url() : step.url;
      var answer = await ctx.send(url, step.form(), ctx.token, function (loaded) { ctx.progress(ctx.sent + Math.min(loaded, step.bytes)); });
      var result = outcome(answer);
      if (result === "csrf") {  // the token went stale (a new browser session): fetch a fresh one, once
        var fresh = await session();
        if (fresh && fresh.signed_in) {
          ctx.token = fresh.csrf_token;
          answer = await ctx.send(url, step.form(), ctx.token, function () {});
          result = outcome(answer);
        }
        if (result === "csrf") result = "signin";
      }
      if (result !== "ok") {
        if (result === "refused") {
          record.state = "refused";
          record.message = (answer.body && answer.body.detail) || ctx.refusedText || "";
          record.errors = (answer.body && answer.body.errors) || {};
          await put(record);
        }
        return result;
      }
      ctx.sent += step.bytes;
      ctx.progress(ctx.sent);
      step.done(answer.body || {});
      await put(record);  // written down before the next step: a replay starts after it
    }
    await remove(record.client_id);
    emit({ type: "sent", client_id: record.client_id, defect_id: record.defect_id || record.repair_id });
    return "ok";
  }

  // One run over everything waiting: {state: "done"|"retry"|"signin"|"offline", left}.
  async function run(options) {
    var waiting = (await all()).filter(function (r) { return r.state !== "refused"; });
    if (!waiting.length) return { state: "done", left: 0 };
    var me = await session();
    if (!me) return { state: "offline", left: waiting.length };
    if (!me.signed_in) { emit({ type: "signin" }); return { state: "signin", left: waiting.length }; }
    waiting = waiting.filter(function (r) { return !r.user_id || r.user_id === me.user_id; });
    var total = waiting.reduce(function (n, r) { return n + size(r); }, 0);
    var ctx = { send: options.send || fetchSend, token: me.csrf_token, sent: 0, refusedText: options.refusedText,
                progress: function (bytes) { emit({ type: "progress", fraction: total ? Math.min(1, bytes / total) : 1, done: index, total: waiting.length }); } };
    var index = 0;
    for (; index < waiting.length; index++) {
      ctx.progress(ctx.sent);
      var fresh = await get(waiting[index].client_id);  // edited or discarded meanwhile?
      if (!fresh || fresh.state === "refused") continue;
      var result = await sendRecord(fresh, ctx);
      if (result === "retry" || result === "signin") {
        if (result === "signin") emit({ type: "signin" });
        emit({ type: "idle", state: result });
        return { state: result, left: waiting.length - index };
      }
    }
    emit({ type: "idle", state: "done" });
    return { state: "done", left: 0 };
  }

  // One upload at a time: in this page or worker (the promise), and across
  // tabs and the service worker (a Web Lock, where the browser has them).
  var running = null;
  function sync(options) {
    if (running) return running;
    var work = function () { return run(options || {}); };
    var locked = global.navigator && navigator.locks ? navigator.locks.request(LOCK, work) : work();
    running = locked.finally(function () { running = null; });
    return running;
  }

  // ------------------------------------------------------------ export and import
  // A phone that is about to be wiped, or never gets signal again, hands its
  // outbox over as one file: every record with its photos (base64), what was
  // already sent marked as such. Imported on another browser (CS staff's,
  // /offline/import), the records go through the same steps and the server's
  // client_id check: importing a file twice, or a record that did reach the
  // server meanwhile, stores nothing twice.
  var EXPORT_FORMAT = "cs-center-outbox";

  function dataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  async function exportFile() {
    var records = await all();
    var out = [];
    for (var i = 0; i < records.length; i++) {
      var record = Object.assign({}, records[i]);
      var photos = [];
      for (var j = 0; j < record.photos.length; j++) {
        var photo = Object.assign({}, record.photos[j]);
        photo.data = photo.blob ? await dataUrl(photo.blob) : null;
        delete photo.blob;
        photos.push(photo);
      }
      record.photos = photos;
      out.push(record);
    }
    var text = JSON.stringify({ format: EXPORT_FORMAT, version: 1, exported_at: new Date().toISOString(), records: out });
    return new Blob([text], { type: "application/json" });
  }

  function blobOf(url) {
    var comma = url.indexOf(",");
    var type = url.slice(5, url.indexOf(";"));
    var bytes = atob(url.slice(comma + 1));
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type: type || "image/jpeg" });
  }

  // The records of an exported file, into this browser's outbox as the signed-in
  // user's (userId), waiting again; how many. Throws on a file that is not one.
  async function importFile(text, userId) {
    var file = JSON.parse(text);
    if (!file || file.format !== EXPORT_FORMAT || !Array.isArray(file.records)) throw new Error("not an outbox file");
    for (var i = 0; i < file.records.length; i++) {
      var record = file.records[i];
      record.photos = record.photos.map(function (photo) {
        var kept = Object.assign({}, photo, { blob: photo.data ? blobOf(photo.data) : null });
        delete kept.data;
        return kept;
      });
      record.recorded_by = record.recorded_by || record.user_id;
      record.user_id = userId;
      record.state = "waiting";
      record.message = "";
      record.errors = {};
      await put(record);
    }
    return file.records.length;
  }

  global.Outbox = {
    uuid: uuid, all: all, get: get, put: put, remove: remove, sync: sync,
    exportFile: exportFile, importFile: importFile,
    downloads: downloads, download: download, putDownload: putDownload, removeDownload: removeDownload,
    on: function (fn) { listeners.push(fn); },
    DATA_CACHE: "offline-data"
  };
})(self);
