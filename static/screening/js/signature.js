// Finger signatures with signature_pad (vendored). Each <canvas data-signature="ID"> writes a
// PNG data URL into the hidden input #ID when its form is submitted; the server validates it.
(function () {
  "use strict";
  function setUp(canvas) {
    var input = document.getElementById(canvas.getAttribute("data-signature"));
    var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(data);
    }
    window.addEventListener("resize", resize);
    resize();
    var clear = document.querySelector('[data-clear-signature="' + canvas.getAttribute("data-signature") + '"]');
    if (clear) {
      clear.addEventListener("click", function () { pad.clear(); input.value = ""; });
    }
    input.form.addEventListener("submit", function () {
      input.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-signature]").forEach(setUp);
  });
})();
