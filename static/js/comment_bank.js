// The comment bank in the review workspace (templates/mentorship/_comment_bank.html): "Insert" puts a snippet's
// text into the feedback field the mentor last worked in (the written feedback until they pick one), at the
// cursor, and fires input and change so the review form's autosave keeps it like typed text.
(function () {
  "use strict";
  var lastField = null;

  function reviewForm() { return document.getElementById("review-form"); }

  document.addEventListener("focusin", function (event) {
    var el = event.target;
    var form = reviewForm();
    if (form && el && el.tagName === "TEXTAREA" && form.contains(el)) { lastField = el; }
  });

  function fieldName(field) {
    var label = field.id ? document.querySelector("label[for='" + field.id + "']") : null;
    return label ? label.textContent.trim() : "the feedback";
  }

  function insert(field, text, atCursor) {
    var value = field.value;
    var start = atCursor ? field.selectionStart : value.length;
    var end = atCursor ? field.selectionEnd : value.length;
    var before = value.slice(0, start);
    if (before && !/\s$/.test(before)) { text = "\n" + text; }
    field.focus();
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // "Save as snippet": copy the selection (or all) of the field last worked in into the new snippet's text.
  document.addEventListener("click", function (event) {
    var take = event.target.closest ? event.target.closest("[data-snippet-take]") : null;
    if (!take) { return; }
    var body = document.getElementById("snippet-save-body");
    var field = lastField && document.contains(lastField) ? lastField : document.getElementById("written-feedback");
    if (!body || !field) { return; }
    var chosen = field.value.slice(field.selectionStart, field.selectionEnd);
    body.value = chosen || field.value;
    body.focus();
  });

  // A snippet saved from the workspace: the form empties and closes (the list shows it, with a message).
  document.addEventListener("snippet-saved", function () {
    var form = document.getElementById("snippet-save-form");
    var details = document.getElementById("snippet-save");
    if (form) { form.reset(); }
    if (details) { details.open = false; }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-snippet-body]") : null;
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-snippet-body"));
    var form = reviewForm();
    if (!source || !form) { return; }
    event.preventDefault();
    var field = lastField && document.contains(lastField) ? lastField : null;
    var atCursor = field !== null;
    field = field || document.getElementById("written-feedback");
    if (!field) { return; }
    insert(field, source.textContent, atCursor);
    var status = document.getElementById("snippet-inserted");
    if (status) {
      var title = document.getElementById(button.getAttribute("aria-describedby"));
      status.textContent = "Inserted “" + (title ? title.textContent.trim() : "the snippet") + "” into " +
        fieldName(field) + ".";
    }
  });
})();
