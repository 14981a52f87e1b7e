// Behaviour htmx cannot express. No inline scripts anywhere; this file is loaded with defer.
(function () {
  "use strict";

  // Confirm destructive actions: <form class="confirm-form" data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.classList.contains("confirm-form")) {
      var message = form.getAttribute("data-confirm") || "Are you sure?";
      if (!window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);

  // Select the shown-once API token so it can be copied at once.
  document.addEventListener("DOMContentLoaded", function () {
    var token = document.getElementById("new-token");
    if (token) { token.focus(); token.select(); }
  });

  // An htmx request that failed on the network: say so where people look.
  document.addEventListener("htmx:sendError", function () {
    var flashes = document.getElementById("flashes");
    if (flashes) {
      flashes.innerHTML = "";
      var p = document.createElement("p");
      p.className = "flash flash-error";
      p.setAttribute("role", "alert");
      p.textContent = "The server could not be reached. Check your connection and try again.";
      flashes.appendChild(p);
    }
  });
})();
