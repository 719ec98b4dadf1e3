/* On-screen signatures for the key handover form, with the vendored
 * signature_pad (static/vendor/signature_pad, from npm; see scripts/vendor.sh).
 *
 * <canvas data-signature="input-id"> becomes a pad; after every stroke its
 * PNG data URL goes into the hidden input, so the form (htmx or plain) sends
 * it like any field and the server checks it (server/handover/signatures.py).
 * A value already in the input (the form came back with an error) is drawn
 * again, so nobody has to sign twice. [data-clear="input-id"] empties a pad.
 *
 * The canvas is sized to its box times devicePixelRatio (sharp lines on a
 * phone) and re-sized when the phone turns, keeping what was drawn. */
(function () {
  "use strict";

  var SIGNED = "sigpad_signed"; // on the .sigpad box once it holds a signature (hides "Sign here")

  function fit(canvas, pad) {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(data); // redraw the strokes at the new size
  }

  function setUp(canvas) {
    if (canvas.signaturePad || !window.SignaturePad) return;
    var input = document.getElementById(canvas.dataset.signature);
    var box = canvas.closest(".sigpad");
    // Transparent background: the server counts drawn pixels by their alpha.
    var pad = new SignaturePad(canvas, { penColor: "#111", minWidth: 1, maxWidth: 3 });
    canvas.signaturePad = pad;
    fit(canvas, pad);
    if (input.value) {
      pad.fromDataURL(input.value, { ratio: 1, width: canvas.offsetWidth, height: canvas.offsetHeight });
      box.classList.add(SIGNED);
    }
    pad.addEventListener("endStroke", function () {
      input.value = pad.toDataURL("image/png");
      box.classList.add(SIGNED);
    });
    window.addEventListener("resize", function () {
      // Phones also resize on scroll (the address bar): only a new width needs a new canvas.
      if (canvas.width === canvas.offsetWidth * Math.max(window.devicePixelRatio || 1, 1)) return;
      fit(canvas, pad); // strokes drawn here come back by themselves
      if (!pad.toData().length && input.value) {
        // A signature kept from an earlier submit exists only as an image: draw it again.
        pad.fromDataURL(input.value, { ratio: 1, width: canvas.offsetWidth, height: canvas.offsetHeight });
      }
    });
  }

  function init(root) {
    root.querySelectorAll("canvas[data-signature]").forEach(setUp);
  }

  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-clear]");
    if (!btn) return;
    var input = document.getElementById(btn.dataset.clear);
    var canvas = document.querySelector("canvas[data-signature='" + btn.dataset.clear + "']");
    canvas.signaturePad.clear();
    input.value = "";
    canvas.closest(".sigpad").classList.remove(SIGNED);
  });

  init(document);
  document.addEventListener("htmx:load", function (evt) { init(evt.detail.elt); });
})();
