// Inline check of a citizen ID number (GB 11643) as one types, in every field marked data-idnumber: the length,
// the birth date and the check character (ISO 7064 MOD 11-2). The server checks again; this only saves a round
// trip. The words come from the page: <body data-id-*> (base.html), in the page's language.
(function () {
  "use strict";
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], C = "10X98765432";
  var words = document.body ? document.body.dataset : {};
  function verdict(raw) {
    var v = raw.replace(/[\s-]/g, "").toUpperCase();
    if (!v) return ["", ""];
    if (!/^[0-9]{17}[0-9X]?$/.test(v)) return ["bad", words.idChars];
    if (v.length < 18) return ["", (words.idLength || "").replace("{n}", 18 - v.length)];
    var y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14), born = new Date(y, m - 1, d);
    if (born.getFullYear() !== y || born.getMonth() !== m - 1 || born.getDate() !== d || born > new Date() || y < 1900)
      return ["bad", words.idDate];
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (+v[i]) * W[i];
    if (C[sum % 11] !== v[17]) return ["bad", words.idCheck];
    return ["ok", words.idOk];
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-idnumber")) return;
    var box = field.nextElementSibling;
    if (!box || !box.classList.contains("idcheck")) return;
    var r = verdict(field.value);
    box.className = "hint idcheck " + r[0];
    box.textContent = r[1] || "";
  }, true);
})();
