// Review conversation (templates/mentorship/_replies.html): after a reply is sent or refused, htmx swaps the whole
// thread in again; keep the keyboard where it was, in the reply box, so the status or error is read next to it.
(function () {
  "use strict";
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.classList || !elt.classList.contains("review-replies")) {
      return;
    }
    var box = elt.querySelector("textarea");
    if (box) {
      box.focus();
    }
  });
})();
