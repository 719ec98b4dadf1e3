/* Small behaviours of the rectification, check, recheck and handover pages
 * (after static/js/app.js; htmx does the requests).
 *
 * 1. Client ids: an empty <input data-client-id> gets a UUID made here, once,
 *    so a form sent twice (a retry on a bad network) records one thing.
 * 2. Photo pickers: <input type=file data-preview="list-id"> shows what was
 *    chosen as thumbnails (nothing is sent until the form is).
 * 3. Upload progress: a form's .upload-progress follows htmx's xhr progress.
 * 4. Filters: <form data-autosubmit> reloads on change; a <select
 *    data-resets="name"> empties that field first (a building of another project).
 * 5. Steppers: [data-stepper] [data-step="±1"] buttons move the number input.
 * 6. Meter photos: <input type=file data-upload-url data-stage data-upload-target>
 *    uploads at once (multipart, X-CSRFToken header) and keeps the photo id.
 * 7. [data-show-if="to=cs_center"] is shown only while that radio is chosen.
 * 8. A [data-sticky-for="form-id"] bottom bar shows while that form is off
 *    screen; choosing photos from it scrolls the form (previews, note) into view. */
(function () {
  "use strict";


  function init(root) {
    root.querySelectorAll("input[data-client-id]").forEach(function (input) {
      if (!input.value) input.value = Outbox.uuid();
    });
    root.querySelectorAll("[data-show-if]").forEach(function (box) { showIf(box); });
    watchBars();
  }

  // ------------------------------------------------------------ 8. bottom bars
  var watcher = null;
  function watchBars() {
    if (!window.IntersectionObserver) return;
    if (watcher) watcher.disconnect(); // a swapped form is a new element to watch
    watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var bar = document.querySelector("[data-sticky-for='" + entry.target.id + "']");
        if (bar) bar.hidden = entry.isIntersecting;
      });
    });
    document.querySelectorAll("[data-sticky-for]").forEach(function (bar) {
      var form = document.getElementById(bar.dataset.stickyFor);
      if (form) watcher.observe(form);
    });
  }

  // ------------------------------------------------------------ 7. show-if
  function showIf(box) {
    var rule = box.dataset.showIf.split("="), form = box.closest("form");
    var chosen = form && form.querySelector("input[name='" + rule[0] + "']:checked");
    box.hidden = !chosen || chosen.value !== rule[1];
  }

  document.addEventListener("change", function (evt) {
    var el = evt.target;
    // 7. a radio that others depend on
    if (el.type === "radio" && el.form) el.form.querySelectorAll("[data-show-if]").forEach(showIf);
    // 2. previews of the chosen photos
    if (el.type === "file" && el.dataset.preview) {
      var list = document.getElementById(el.dataset.preview);
      list.textContent = "";
      Array.prototype.forEach.call(el.files, function (file) {
        var li = document.createElement("li"), img = document.createElement("img");
        img.src = URL.createObjectURL(file); img.alt = file.name;
        li.appendChild(img); list.appendChild(li);
      });
      if (el.form && el.files.length) el.form.scrollIntoView({ behavior: "smooth", block: "start" });
      if (el.files.length) {
        var count = document.createElement("li");
        count.className = "thumbs__none";
        count.textContent = list.dataset.countText.replace("{n}", el.files.length);
        list.appendChild(count);
      }
    }
    // 6. a meter photo
    if (el.type === "file" && el.dataset.uploadUrl && el.files.length) upload(el);
    // 4. filters
    var form = el.form;
    if (form && form.hasAttribute("data-autosubmit")) {
      if (el.dataset.resets && form.elements[el.dataset.resets]) form.elements[el.dataset.resets].value = "";
      form.submit();
    }
  });

  // ------------------------------------------------------------ 5. steppers
  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-step]");
    if (!btn) return;
    var input = btn.closest("[data-stepper]").querySelector("input[type=number]");
    var value = (parseInt(input.value, 10) || 0) + parseInt(btn.dataset.step, 10);
    input.value = Math.max(+input.min || 0, Math.min(+input.max || 99, value));
  });

  // ------------------------------------------------------------ 3. upload progress
  function progressOf(elt) {
    var form = elt.closest ? elt.closest("form") : null;
    return form && form.querySelector(".upload-progress");
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var box = progressOf(evt.target);
    if (!box || !evt.target.querySelector("input[type=file]")) return;
    box.hidden = false;
    box.querySelector("progress").value = 0;
    box.querySelector("span").textContent = "0%";
  });
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var box = progressOf(evt.target);
    if (!box || !evt.detail.total) return;
    var pct = Math.round(evt.detail.loaded * 100 / evt.detail.total);
    box.querySelector("progress").value = pct;
    box.querySelector("span").textContent = pct + "%";
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var box = progressOf(evt.target);
    if (box && !evt.detail.successful) box.hidden = true;
  });

  // ------------------------------------------------------------ 6. instant upload (meter photos)
  function upload(input) {
    var label = document.querySelector("label[for='" + input.id + "']");
    var target = document.getElementById(input.dataset.uploadTarget);
    var file = input.files[0], data = new FormData(), xhr = new XMLHttpRequest();
    data.append("stage", input.dataset.stage);
    data.append("client_id", Outbox.uuid());
    data.append("photos", file);
    var error = label.parentNode.querySelector(".meter__error");
    if (error) error.remove();
    label.classList.add("meter__btn_busy");
    xhr.open("POST", input.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", App.csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      label.classList.remove("meter__btn_busy");
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: generic message below */ }
      if (xhr.status >= 200 && xhr.status < 300 && body.photo_id) {
        target.value = body.photo_id;
        label.classList.add("meter__btn_done");
        var img = label.querySelector("img") || document.createElement("img");
        img.src = URL.createObjectURL(file); img.alt = "";
        label.querySelectorAll(".icon").forEach(function (i) { i.remove(); });
        label.insertBefore(img, label.firstChild);
      } else {
        fail(body.detail || document.body.dataset.errorText);
      }
    };
    xhr.onerror = function () { label.classList.remove("meter__btn_busy"); fail(document.body.dataset.offlineText); };
    function fail(message) {
      var span = document.createElement("span");
      span.className = "meter__error"; span.setAttribute("role", "alert"); span.textContent = message;
      label.parentNode.appendChild(span);
    }
    xhr.send(data);
  }

  init(document);
  document.addEventListener("htmx:load", function (evt) { init(evt.detail.elt); });
})();
