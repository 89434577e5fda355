// The declare form's running total: tickets and yen as the merchant types. The server computes the amount
// again; this is only so the number on the slip can be compared with the tickets in hand.
(function () {
  "use strict";
  function count(value) {
    var text = (value || "").normalize("NFKC").replace(/[,\s]/g, "");
    if (text === "") { return 0; }
    return /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-testid=declare-form]");
    var box = document.querySelector("[data-testid=live-total]");
    if (!form || !box) { return; }
    var inputs = form.querySelectorAll("input.input--count");
    var tickets = document.getElementById("total-tickets");
    var amount = document.getElementById("total-amount");
    function update() {
      var n = 0, yen = 0, bad = false;
      inputs.forEach(function (input) {
        var c = count(input.value);
        if (isNaN(c)) { bad = true; return; }
        n += c;
        yen += c * parseInt(input.dataset.faceValue, 10);
      });
      tickets.textContent = bad ? "—" : n.toLocaleString("ja-JP");
      amount.textContent = bad ? "—" : yen.toLocaleString("ja-JP");
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    box.hidden = false;
    update();
  });
})();
