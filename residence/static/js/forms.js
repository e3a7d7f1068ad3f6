// The browser's own form hints ("Please fill out this field.") come in the browser's language, not the page's.
// This replaces them with the page's words, which base.html puts on <body data-hint-*> in the current language.
(function () {
  "use strict";
  var hints = document.body ? document.body.dataset : {};
  function hintFor(field) {
    var v = field.validity;
    if (v.valueMissing) return field.type === "checkbox" ? hints.hintCheck : (field.tagName === "SELECT" ? hints.hintSelect : hints.hintRequired);
    if (v.typeMismatch) return field.type === "email" ? hints.hintEmail : hints.hintType;
    if (v.patternMismatch) return field.title || hints.hintPattern;
    if (v.tooShort) return (hints.hintTooShort || "").replace("{n}", field.minLength);
    if (v.tooLong) return (hints.hintTooLong || "").replace("{n}", field.maxLength);
    if (v.rangeUnderflow) return (hints.hintMin || "").replace("{n}", field.min);
    if (v.rangeOverflow) return (hints.hintMax || "").replace("{n}", field.max);
    if (v.stepMismatch || v.badInput) return hints.hintType;
    return "";
  }
  document.addEventListener("invalid", function (event) {
    var field = event.target;
    if (!field.setCustomValidity) return;
    field.setCustomValidity("");
    if (!field.validity.valid) field.setCustomValidity(hintFor(field) || "");
  }, true);
  function clear(event) { if (event.target.setCustomValidity) event.target.setCustomValidity(""); }
  document.addEventListener("input", clear, true);
  document.addEventListener("change", clear, true);
})();
