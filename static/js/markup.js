/* Drawing on a defect photo to circle the problem (templates/inspections/markup.html).
 *
 * The photo's display image is drawn on a <canvas> at its own size; each
 * stroke (a freehand pen line or a circle dragged out) is kept in a list so
 * "undo" can drop the last one and redraw. "Save" flattens photo + strokes
 * into a new JPEG and uploads it as another photo of the defect: the
 * original photo is never changed. Same upload rules as capture.js: the
 * X-CSRFToken header (not the form field) and a client_id so a retry never
 * adds the picture twice. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-markup]");
  if (!form) return;
  var canvas = form.querySelector("[data-canvas]");
  var ctx = canvas.getContext("2d");
  var undo = form.querySelector("[data-undo]");
  var save = form.querySelector("[data-save]");
  var RED = "#e02020";
  var strokes = [];   // {tool: "pen", points: [[x, y], ...]} or {tool: "circle", from: [x, y], to: [x, y]}
  var current = null;
  var clientId = Outbox.uuid();  // one per markup: a retried save makes one photo
  var photo = new Image();

  function lineWidth() { return Math.max(4, Math.round(canvas.width / 110)); }

  function drawStroke(s) {
    ctx.strokeStyle = RED;
    ctx.lineWidth = lineWidth();
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    if (s.tool === "pen") {
      s.points.forEach(function (p, i) { if (i) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); });
    } else {
      // The ellipse that fits the dragged box.
      var cx = (s.from[0] + s.to[0]) / 2, cy = (s.from[1] + s.to[1]) / 2;
      var rx = Math.abs(s.to[0] - s.from[0]) / 2, ry = Math.abs(s.to[1] - s.from[1]) / 2;
      ctx.ellipse(cx, cy, Math.max(rx, 1), Math.max(ry, 1), 0, 0, 2 * Math.PI);
    }
    ctx.stroke();
  }

  function redraw() {
    ctx.drawImage(photo, 0, 0, canvas.width, canvas.height);
    strokes.forEach(drawStroke);
    if (current) drawStroke(current);
    undo.disabled = !strokes.length;
    save.disabled = !strokes.length;
  }

  photo.onload = function () {
    canvas.width = photo.naturalWidth;
    canvas.height = photo.naturalHeight;
    redraw();
  };
  photo.src = form.dataset.image;  // same origin: the canvas stays exportable

  // Pointer position in the canvas's own pixels (it is shown scaled down).
  function at(evt) {
    var box = canvas.getBoundingClientRect();
    return [(evt.clientX - box.left) * canvas.width / box.width, (evt.clientY - box.top) * canvas.height / box.height];
  }
  function tool() { return form.querySelector('input[name="tool"]:checked').value; }

  canvas.addEventListener("pointerdown", function (evt) {
    canvas.setPointerCapture(evt.pointerId);
    var p = at(evt);
    current = tool() === "pen" ? { tool: "pen", points: [p] } : { tool: "circle", from: p, to: p };
  });
  canvas.addEventListener("pointermove", function (evt) {
    if (!current) return;
    if (current.tool === "pen") current.points.push(at(evt)); else current.to = at(evt);
    redraw();
  });
  function finish() {
    if (!current) return;
    strokes.push(current);
    current = null;
    redraw();
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  undo.addEventListener("click", function () { strokes.pop(); redraw(); });

  var progress = form.querySelector("[data-progress]");
  var messageBox = form.querySelector("[data-form-message]");
  function setProgress(percent) {
    progress.hidden = false;
    form.querySelector("[data-progress-fill]").style.width = percent + "%";
    form.querySelector("[data-progress-text]").textContent = percent + "%";
  }
  function showMessage(text) {
    messageBox.innerHTML = "";
    if (!text) return;
    var box = document.createElement("div");
    box.className = "form-message";
    box.textContent = text;
    messageBox.appendChild(box);
  }

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (save.disabled) return;
    save.disabled = true;
    showMessage("");
    canvas.toBlob(function (blob) {
      var data = new FormData();
      data.append("photos", blob, "markup.jpg");
      if (clientId) data.append("client_id", clientId);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", App.csrfToken());
      xhr.setRequestHeader("HX-Request", "true");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) setProgress(Math.min(99, Math.round(100 * e.loaded / e.total)));
      };
      xhr.onload = function () {
        var target = xhr.getResponseHeader("HX-Redirect");
        if (xhr.status < 300 && target) { setProgress(100); location.assign(target); return; }
        progress.hidden = true;
        save.disabled = false;
        showMessage(form.dataset.errorText);
      };
      xhr.onerror = function () {
        progress.hidden = true;
        save.disabled = false;
        showMessage(document.body.dataset.offlineText);
      };
      xhr.send(data);
    }, "image/jpeg", 0.9);
  });
})();
