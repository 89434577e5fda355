/* Merchant forms: bank and branch pickers (ARIA combobox over the htmx search results) and showing the
   controls that only work with JavaScript. Without JavaScript the code fields are plain inputs. */
(function () {
  "use strict";

  function pickerOf(el) { return el.closest("[data-picker]"); }
  function inputOf(picker) { return picker.querySelector("[data-picker-input]"); }
  function listOf(picker) { return picker.querySelector("[role='listbox']"); }
  function optionsOf(picker) {
    var list = listOf(picker);
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role='option']")) : [];
  }

  function announce(picker, text) {
    var status = picker.querySelector("[data-picker-status]");
    if (status) { status.textContent = text; }
  }

  function close(picker) {
    var input = inputOf(picker);
    var list = listOf(picker);
    if (list) { list.remove(); }
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    input.removeAttribute("aria-controls");
  }

  function setActive(picker, index) {
    var options = optionsOf(picker);
    var input = inputOf(picker);
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function activeIndex(picker) {
    return optionsOf(picker).findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
  }

  function choose(picker, option) {
    var codeInput = document.getElementById(picker.dataset.codeInput);
    var input = inputOf(picker);
    var changed = codeInput.value !== option.dataset.code;
    codeInput.value = option.dataset.code;
    codeInput.dispatchEvent(new Event("change", { bubbles: true }));
    input.value = option.dataset.name || option.textContent.trim();
    // A new bank makes the branch code meaningless.
    if (changed && picker.dataset.clears) {
      var dependent = document.getElementById(picker.dataset.clears);
      if (dependent) { dependent.value = ""; }
    }
    close(picker);
    var choice = option.dataset.code + " " + (option.dataset.name || "");
    announce(picker, (picker.dataset.msgChosen || "%(choice)s").replace("%(choice)s", choice));
  }

  // The search box has no name (it must not be posted with the form): send its text as q, and the bank
  // code along with a branch search.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches || !elt.matches("[data-picker-input]")) { return; }
    event.detail.parameters.q = elt.value;
    if (elt.dataset.bankFrom) {
      var bank = document.getElementById(elt.dataset.bankFrom);
      event.detail.parameters.bank = bank ? bank.value.trim() : "";
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var picker = pickerOf(event.detail.target);
    if (!picker) { return; }
    var input = inputOf(picker);
    var list = listOf(picker);
    var options = optionsOf(picker);
    if (!list || options.length === 0) {
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-controls");
      announce(picker, event.detail.target.textContent.trim());
      return;
    }
    if (!list.id) { list.id = input.id + "-listbox"; }
    if (!list.hasAttribute("aria-label") && !list.hasAttribute("aria-labelledby")) {
      list.setAttribute("aria-labelledby", input.id + "-label");
    }
    options.forEach(function (option, i) {
      if (!option.id) { option.id = list.id + "-" + i; }
      option.setAttribute("aria-selected", "false");
    });
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "true");
    announce(picker, (picker.dataset.msgFound || "%(count)s").replace("%(count)s", String(options.length)));
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-picker-input]")) { return; }
    var picker = pickerOf(input);
    var options = optionsOf(picker);
    var index = activeIndex(picker);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      setActive(picker, Math.min(index + 1, options.length - 1));
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      setActive(picker, Math.max(index - 1, 0));
    } else if (event.key === "Enter") {
      // Never submit the whole form from a search box.
      event.preventDefault();
      if (options.length) { choose(picker, options[index >= 0 ? index : 0]); }
    } else if (event.key === "Escape" && options.length) {
      event.preventDefault();
      close(picker);
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-picker] [role='option']");
    if (option) { choose(pickerOf(option), option); }
  });

  function showScripted() {
    document.querySelectorAll("[data-js-only][hidden]").forEach(function (el) { el.hidden = false; });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showScripted);
  } else {
    showScripted();
  }
})();
