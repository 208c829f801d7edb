// Fills a code field from the camera, where the browser can read QR codes itself.
//
// A field marked `data-scan="<button text>"` (ui::input's `scan`) gets a button beside it that
// opens the back camera and reads the first QR code it sees into the field. Only where the
// browser has the Barcode Detection API and a camera; everywhere else (and without JavaScript)
// nothing is added and the code is typed. Nothing leaves the device: the frames are read here.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) {
    return;
  }

  function attach(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button scan-button";
    button.textContent = input.getAttribute("data-scan");
    input.insertAdjacentElement("afterend", button);

    var video = null;
    var stream = null;

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      if (video) {
        video.remove();
      }
      stream = null;
      video = null;
    }

    button.addEventListener("click", function () {
      if (stream) {
        stop();
        return;
      }
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (media) {
          stream = media;
          video = document.createElement("video");
          video.className = "scan-video";
          video.setAttribute("playsinline", "");
          video.muted = true;
          video.srcObject = media;
          button.insertAdjacentElement("afterend", video);
          return video.play();
        })
        .then(function look() {
          if (!video) {
            return null;
          }
          return detector.detect(video).then(function (codes) {
            if (codes.length > 0) {
              input.value = codes[0].rawValue;
              stop();
              input.focus();
            } else {
              window.requestAnimationFrame(look);
            }
          });
        })
        .catch(function () {
          // No permission, no camera: the field stays, to be typed.
          stop();
        });
    });
  }

  document.querySelectorAll("input[data-scan]").forEach(attach);
})();
