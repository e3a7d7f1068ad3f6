// The holder's e-permit on their own page: the QR code and the status proof renew while the page is open (every
// data-refresh-seconds, when the page comes back into view, and on "Renew now"), from the holder's JSON endpoint.
(function () {
  "use strict";
  var box = document.getElementById("epermit");
  if (!box) return;
  var url = box.dataset.refreshUrl, every = Number(box.dataset.refreshSeconds || 240) * 1000;
  var note = document.getElementById("epermit-note"), last = Date.now();
  function set(id, text) { var e = document.getElementById(id); if (e) e.textContent = text; }
  function renew() {
    last = Date.now();
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (j) {
        document.getElementById("epermit-code").innerHTML = j.svg;  // our own server's SVG (segno)
        set("epermit-expires", j.expires_text);
        set("epermit-proof-expires", j.proof_expires_text);
        var word = document.getElementById("epermit-word");
        word.textContent = j.proof_word;
        word.className = "badge epermit-word verdict-" + j.proof_status;
        document.getElementById("epermit-token").value = j.token;
        document.getElementById("epermit-proof").value = j.proof;
        box.dataset.renewed = String((Number(box.dataset.renewed) || 0) + 1);
        note.textContent = "";
      })
      .catch(function () { note.textContent = box.dataset.offline; });
  }
  setInterval(function () { if (!document.hidden) renew(); }, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() - last > 60000) renew();
  });
  document.getElementById("epermit-renew").addEventListener("click", renew);
})();
