// Fills a code field from the camera, where the browser can read QR codes itself.
//
// A field marked `data-scan="<button text>"` (ui::input's `scan`) gets a button after the field
// (and its notes) that opens the back camera and reads the first QR code it sees into the
// field; pressed again, it closes the camera. Only where the browser has the Barcode Detection
// API with QR codes and a camera; everywhere else (and without JavaScript) nothing is added and
// the code is typed. Nothing leaves the device: the frames are read here.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) {
    return;
  }

  function attach(input) {
    var label = input.getAttribute("data-scan");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button scan-button";
    button.textContent = label;
    button.setAttribute("aria-pressed", "false");
    // After the field's hint and error notes, which belong right under it.
    var after = input;
    while (after.nextElementSibling && after.nextElementSibling.tagName === "SMALL") {
      after = after.nextElementSibling;
    }
    after.insertAdjacentElement("afterend", button);

    var video = null;
    var stream = null;
    var busy = false;

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      if (video) {
        video.remove();
      }
      stream = null;
      video = null;
      busy = false;
      button.setAttribute("aria-pressed", "false");
    }

    function look(detector) {
      if (!video) {
        return;
      }
      detector.detect(video).then(function (codes) {
        if (!video) {
          return;
        }
        if (codes.length > 0) {
          input.value = codes[0].rawValue;
          stop();
          input.focus();
        } else {
          window.requestAnimationFrame(function () { look(detector); });
        }
      }).catch(stop);
    }

    button.addEventListener("click", function () {
      if (busy) {
        stop();
        return;
      }
      busy = true;
      button.setAttribute("aria-pressed", "true");
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (media) {
          if (!busy) {
            // Pressed again while the camera was starting.
            media.getTracks().forEach(function (track) { track.stop(); });
            return;
          }
          stream = media;
          video = document.createElement("video");
          video.className = "scan-video";
          video.setAttribute("playsinline", "");
          video.setAttribute("aria-label", label);
          video.muted = true;
          video.srcObject = media;
          button.insertAdjacentElement("afterend", video);
          return video.play().then(function () { look(detector); });
        })
        .catch(stop); // No permission, no camera: the field stays, to be typed.
    });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") !== -1) {
      document.querySelectorAll("input[data-scan]").forEach(attach);
    }
  }).catch(function () {});
})();
