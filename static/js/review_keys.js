// Keyboard shortcuts of the review workspace (templates/mentorship/review.html lists them on the page).
// They drive the form's own controls, so the live total and the autosave happen as with the mouse:
//   Alt+Shift+Down / Alt+Shift+Up     next / previous rubric criterion (focuses its picked level)
//   Alt+Shift+Right / Alt+Shift+Left  level up / down on the criterion in focus
//   Ctrl+S (Cmd+S on a Mac)           save the draft now, also while typing
//   Alt+Shift+B                       search the comment bank
// Only the save chord works while typing in a text field; the others leave typing alone.
(function () {
  "use strict";

  function form() { return document.getElementById("review-form"); }

  function criteria() {
    var f = form();
    return f ? Array.prototype.slice.call(f.querySelectorAll("fieldset.criterion")) : [];
  }

  function typing(el) {
    if (!el || !el.tagName) { return false; }
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
    return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
  }

  function radios(criterion) {
    return Array.prototype.slice.call(criterion.querySelectorAll("input.rubric-level"));
  }

  function focusCriterion(criterion) {
    var levels = radios(criterion);
    var picked = levels.filter(function (r) { return r.checked; })[0] || levels[0];
    if (picked) { picked.focus(); } else { criterion.querySelector("textarea").focus(); }
    criterion.scrollIntoView({ block: "nearest" });
  }

  var current = null;   // the criterion the mentor last worked in

  document.addEventListener("focusin", function (event) {
    var c = event.target.closest ? event.target.closest("fieldset.criterion") : null;
    if (c) { current = c; }
  });

  function move(step) {
    var all = criteria();
    if (!all.length) { return; }
    var i = current ? all.indexOf(current) : -1;
    var next = i < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, i + step));
    current = all[next];
    focusCriterion(current);
  }

  function level(step) {
    // Only on the criterion that holds the focus: a level never changes out of sight.
    var active = document.activeElement;
    var c = active && active.closest ? active.closest("fieldset.criterion") : null;
    if (!c) { return; }
    var levels = radios(c);
    if (!levels.length) { return; }
    var i = levels.findIndex(function (r) { return r.checked; });
    var j = i < 0 ? (step > 0 ? 0 : levels.length - 1) : Math.min(levels.length - 1, Math.max(0, i + step));
    var radio = levels[j];
    radio.focus();
    if (j !== i) {
      radio.checked = true;
      radio.dispatchEvent(new Event("input", { bubbles: true }));
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function save() {
    var f = form();
    if (!f) { return; }
    if (typeof f.requestSubmit === "function") { f.requestSubmit(); } else { f.submit(); }
  }

  document.addEventListener("keydown", function (event) {
    if (!form()) { return; }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      save();
      return;
    }
    if (!(event.altKey && event.shiftKey) || event.ctrlKey || event.metaKey) { return; }
    if (typing(event.target)) { return; }
    if (event.code === "KeyB") {
      var search = document.getElementById("snippet-q");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
      return;
    }
    var actions = { ArrowDown: function () { move(1); }, ArrowUp: function () { move(-1); },
                    ArrowRight: function () { level(1); }, ArrowLeft: function () { level(-1); } };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
})();
