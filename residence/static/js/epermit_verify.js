// The public verification page (/verify/): a picture of a QR code or the camera, read here with jsQR (served from
// this site), and a pasted code; each is checked through POST /api/v1/permits/verify and the answer shown big.
// Without JavaScript the paste form posts to the page itself.
(function () {
  "use strict";
  var result = document.getElementById("verify-result");
  if (!result || typeof jsQR !== "function") return;
  var d = result.dataset;
  var words = JSON.parse(document.getElementById("verify-words").textContent);
  var advice = JSON.parse(document.getElementById("verify-advice").textContent);
  var canvas = document.getElementById("qr-canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function say(text, cls) {
    result.replaceChildren(el("p", "msg " + (cls || ""), text));
  }
  function when(iso) {
    if (!iso) return "";
    var t = new Date(iso), p = function (n) { return String(n).padStart(2, "0"); };
    return t.getFullYear() + "-" + p(t.getMonth() + 1) + "-" + p(t.getDate()) + " " + p(t.getHours()) + ":" + p(t.getMinutes());
  }
  function show(answer) {
    var box = el("div", "verdict verdict-" + answer.result);
    box.dataset.result = answer.result;
    box.appendChild(el("p", "verdict-word", words[answer.result] || answer.result));
    box.appendChild(el("p", "verdict-advice", advice[answer.result] || ""));
    if (answer.permit) {
      var dl = el("dl", "facts");
      [[d.labelName, answer.permit.name, "verdict-name"], [d.labelNumber, answer.permit.number, "verdict-number"],
       [d.labelExpires, when(answer.expires_at), ""]].forEach(function (row) {
        if (!row[1]) return;
        dl.appendChild(el("dt", "", row[0]));
        dl.appendChild(el("dd", row[2], row[1]));
      });
      box.appendChild(dl);
    }
    if (answer.reason) box.appendChild(el("p", "verdict-reason", answer.reason));
    box.appendChild(el("p", "hint", (d.checked || "").replace("{at}", when(answer.checked_at))));
    result.replaceChildren(box);
    result.scrollIntoView({ behavior: "smooth", block: "start" });
  }
  function check(token) {
    say(d.checking);
    fetch(d.api, { method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
                   body: JSON.stringify({ token: token.trim().slice(0, 4096) }) })
      .then(function (r) {
        return r.json().then(function (body) {
          if (r.ok) show(body); else say(body.message || d.failed, "error");
        });
      })
      .catch(function () { say(d.failed, "error"); });
  }
  // the largest side read is 1600 px: a phone's photo is scaled down, a small screenshot scaled up a little
  function decode(source, w, h) {
    var scale = Math.min(1600 / Math.max(w, h), 2);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
    return code && code.data ? code.data : "";
  }

  // a picture: chosen from the gallery or taken now
  var file = document.getElementById("qr-file");
  file.addEventListener("change", function () {
    var f = file.files && file.files[0];
    if (!f) return;
    say(d.checking);
    createImageBitmap(f).then(function (bmp) {
      var text = decode(bmp, bmp.width, bmp.height);
      if (text) check(text); else say(d.noCode, "error");
    }).catch(function () { say(d.notImage, "error"); })
      .finally(function () { file.value = ""; });
  });

  // the camera: frames read until a code is found
  var start = document.getElementById("camera-start");
  var video = document.getElementById("camera-video");
  var note = document.getElementById("camera-note");
  var stream = null;
  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    start.textContent = start.dataset.start;
  }
  function scan() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var text = decode(video, video.videoWidth, video.videoHeight);
      if (text) { stop(); check(text); return; }
    }
    requestAnimationFrame(scan);
  }
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) note.textContent = note.dataset.unavailable;
  start.addEventListener("click", function () {
    if (stream) { stop(); return; }
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) { note.textContent = note.dataset.unavailable; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      start.textContent = start.dataset.stop;
      note.textContent = note.dataset.aim;
      return video.play().then(scan);
    }).catch(function (e) {
      stop();
      note.textContent = e && e.name === "NotAllowedError" ? note.dataset.denied : note.dataset.unavailable;
    });
  });

  // a pasted code: through the API too (the form posts to the page without JavaScript)
  document.getElementById("paste-form").addEventListener("submit", function (e) {
    e.preventDefault();
    check(document.getElementById("token").value);
  });
})();
