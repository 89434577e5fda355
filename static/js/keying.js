/* Keying unreadable tickets by hand (settlement intake). Progressive enhancement of a plain textarea form:
   each code is checked as it is entered (21 digits, Damm check digit — the same table as vouchers/serials.py),
   listed with a running count per denomination, and can be removed before submitting. Without JavaScript the
   textarea posts as it is and the server checks every line. */
(function () {
  "use strict";
  var DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]
  ];
  function dammOk(digits) {
    var state = 0;
    for (var i = 0; i < digits.length; i++) { state = DAMM[state][digits.charCodeAt(i) - 48]; }
    return state === 0;
  }
  function normalize(text) {
    // Full-width digits to ASCII; spaces, hyphens and the long-vowel mark are separators.
    return text.replace(/[０-９]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/[\s\-‐－ー−]/g, "");
  }
  function message(id, n) { return document.getElementById(id).innerHTML.replace("{n}", n); }

  var box = document.getElementById("keying");
  var form = document.getElementById("keying-form");
  if (!box || !form) { return; }
  var textarea = form.querySelector("textarea[name=codes]");
  var input = document.getElementById("code-input");
  var feedback = document.getElementById("code-feedback");
  var list = document.getElementById("keyed-list");
  var prefix = box.dataset.prefix;
  var codes = textarea.value.split(/\r?\n/).map(normalize).filter(function (c) { return c; });

  function render() {
    textarea.value = codes.join("\n");
    list.innerHTML = "";
    var counts = {};
    codes.forEach(function (code, index) {
      var li = document.createElement("li");
      var span = document.createElement("span");
      span.textContent = code;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary button--small";
      button.textContent = document.getElementById("remove-label").innerHTML;
      button.setAttribute("aria-label", button.textContent + " " + code);
      button.addEventListener("click", function () { codes.splice(index, 1); render(); input.focus(); });
      li.appendChild(span);
      li.appendChild(button);
      list.appendChild(li);
      counts[code.charAt(2)] = (counts[code.charAt(2)] || 0) + 1;
    });
    box.querySelectorAll("[data-denomination]").forEach(function (el) {
      el.textContent = counts[el.dataset.denomination] || 0;
    });
    box.querySelector("[data-testid=keyed-total]").textContent = codes.length;
  }

  function accept() {
    var code = normalize(input.value);
    if (!code) { return true; }
    var problem = "";
    if (!/^[0-9]+$/.test(code)) { problem = message("msg-digits"); }
    else if (code.length !== 21) { problem = message("msg-length", code.length); }
    else if (!dammOk(code)) { problem = message("msg-typo"); }
    else if (code.slice(0, 2) !== prefix) { problem = message("msg-campaign"); }
    else if (codes.indexOf(code) !== -1) { problem = message("msg-twice"); }
    if (problem) {
      feedback.textContent = problem;
      input.setAttribute("aria-invalid", "true");
      input.select();
      return false;
    }
    feedback.textContent = "";
    input.removeAttribute("aria-invalid");
    codes.push(code);
    input.value = "";
    render();
    return true;
  }

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); accept(); }
  });
  form.addEventListener("submit", function (event) {
    if (!accept()) { event.preventDefault(); input.focus(); return; }
    textarea.value = codes.join("\n");
  });
  // The list replaces the textarea for keyboard entry; the textarea stays in the form to carry the codes.
  textarea.closest(".field").hidden = true;
  box.hidden = false;
  render();
  input.focus();
})();
