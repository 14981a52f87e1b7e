// Behaviour htmx cannot express. No inline scripts anywhere; this file is loaded with defer.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

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

})();

// ---- An htmx request that failed (offline, or a server error nothing was swapped in for): say so beside the
// control that sent it. The form's status line (data-request-status) when it has one, else a message right after
// the control; htmx has already taken its "Submitting…" indicator and disabled state off. Upload boxes and the
// capstone phase form say it their own way (above and below). The next successful request clears the message.
(function () {
  "use strict";
  var OFFLINE = "Not sent: the server could not be reached. Check your connection; nothing you typed was lost.";

  function handledElsewhere(elt) {
    return !elt || !elt.closest || elt.closest(".upload") || elt.closest("form[data-unsaved-warning]");
  }
  function anchorOf(elt) { return elt.closest("form") || elt; }
  function place(elt, text) {
    var anchor = anchorOf(elt);
    // The status line inside the form, or one outside it that names the form (data-request-status="<form id>").
    var status = anchor.querySelector("[data-request-status]")
      || (anchor.id ? document.querySelector('[data-request-status="' + anchor.id + '"]') : null);
    if (status) {
      status.textContent = text;
      status.classList.add("save-status-error");
      status.setAttribute("role", "alert");
      return;
    }
    var box = anchor.nextElementSibling;
    if (!box || !box.classList.contains("request-error")) {
      box = document.createElement("p");
      box.className = "request-error error";
      box.setAttribute("role", "alert");
      anchor.insertAdjacentElement("afterend", box);
    }
    box.textContent = text;
  }
  function clear(elt) {
    var anchor = anchorOf(elt);
    var box = anchor.nextElementSibling;
    if (box && box.classList.contains("request-error")) { box.remove(); }
  }

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail.elt;
    if (handledElsewhere(elt)) { return; }
    place(elt, OFFLINE);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    // 4xx answers carry their own message and are swapped in (the htmx-config in base.html); 5xx are not.
    if (handledElsewhere(elt) || !xhr || xhr.status < 500) { return; }
    place(elt, "Not done: the server had a problem (" + xhr.status + "). Nothing you typed was lost; try again in a moment.");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.successful && elt && elt.closest && document.body.contains(elt)) { clear(elt); }
  });
})();

// ---- Uploads: progress bar and errors in place (htmx file inputs) ----
(function () {
  "use strict";

  function uploadBox(el) { return el && el.closest ? el.closest(".upload") : null; }

  document.addEventListener("htmx:xhr:progress", function (event) {
    var box = uploadBox(event.target);
    if (!box || !event.detail.lengthComputable) { return; }
    var bar = box.querySelector(".upload-progress");
    bar.hidden = false;
    bar.value = Math.round(100 * event.detail.loaded / event.detail.total);
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = uploadBox(event.target);
    if (!box) { return; }
    box.querySelector(".upload-status").textContent = "Uploading…";
    var bar = box.querySelector(".upload-progress");
    bar.value = 0;
    bar.hidden = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var box = uploadBox(event.target);
    if (!box) { return; }
    var status = box.querySelector(".upload-status");
    box.querySelector(".upload-progress").hidden = true;
    var xhr = event.detail.xhr;
    if (event.detail.successful) {
      status.className = "upload-status";
      status.textContent = "Uploaded.";
      box.querySelector("input[type=file]").value = "";
      var empty = document.getElementById("uploads-empty");
      if (empty) { empty.remove(); }
    } else if (xhr) {
      // The server's message (413, 415, 422) goes beside the input, not into the list.
      var tmp = document.createElement("div");
      tmp.innerHTML = xhr.responseText || "";
      status.className = "upload-status error";
      status.textContent = (tmp.textContent || "The upload failed.").trim();
    }
  });

  // Refused uploads answer 413/415/422 with a message: keep it out of the file list.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (uploadBox(event.detail.requestConfig && event.detail.requestConfig.elt) && event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = false;
    }
  });
})();

// ---- Direct uploads: large files go straight to the bucket (S3 presigned POST), then are confirmed ----
(function () {
  "use strict";
  var THRESHOLD = 16 * 1024 * 1024;

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function fail(status, message) { var e = new Error(message); e.status = status; return e; }

  // Resolves to {status, html} after confirmation, or to null when the server wants a normal upload.
  function directUpload(options) {
    var file = options.file;
    return fetch(options.startUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ kind: options.kind, filename: options.filename, size: file.size, content_type: file.type,
                             uploaded_for: options.uploadedFor || null })
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw fail(r.status, (body.error && body.error.message) || "The upload was refused."); }
        return body;
      });
    }).then(function (plan) {
      if (!plan.direct) { return null; }
      return new Promise(function (resolve, reject) {
        var form = new FormData();
        Object.keys(plan.fields).forEach(function (k) { form.append(k, plan.fields[k]); });
        form.append("file", file, options.filename);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", plan.url);
        xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable && options.onProgress) { options.onProgress(e.loaded / e.total); } });
        xhr.addEventListener("load", function () {
          if (xhr.status >= 300) { reject(fail(xhr.status, "The storage service refused the file.")); return; }
          var confirm = new XMLHttpRequest();
          confirm.open("POST", plan.confirm_url);
          confirm.setRequestHeader("X-CSRFToken", csrfToken());
          confirm.setRequestHeader("HX-Request", "true");
          confirm.setRequestHeader("HX-Target", options.target || "");
          confirm.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
          confirm.addEventListener("load", function () { resolve({ status: confirm.status, html: confirm.responseText }); });
          confirm.addEventListener("error", function () { reject(fail(0, "The server could not be reached.")); });
          confirm.send("token=" + encodeURIComponent(plan.token));
        });
        xhr.addEventListener("error", function () { reject(fail(0, "The storage service could not be reached.")); });
        xhr.send(form);
      });
    });
  }

  window.masteryUploads = { threshold: THRESHOLD, direct: directUpload };

  // File inputs: a large file skips the htmx request and goes direct when the backend allows it.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("upload") || !form.dataset.directUrl) { return; }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file || file.size < Number(form.dataset.directMin || THRESHOLD)) { return; }
    event.preventDefault();
    var status = form.querySelector(".upload-status");
    var bar = form.querySelector(".upload-progress");
    status.className = "upload-status";
    status.textContent = "Uploading…";
    bar.hidden = false;
    directUpload({
      file: file, kind: form.querySelector("input[name=kind]").value, filename: file.name,
      uploadedFor: (form.querySelector("input[name=uploaded_for]") || {}).value,
      startUrl: form.dataset.directUrl, target: form.getAttribute("hx-target").replace("#", ""),
      onProgress: function (share) { bar.value = Math.round(100 * share); }
    }).then(function (result) {
      if (result === null) { event.detail.issueRequest(true); return; }
      bar.hidden = true;
      if (result.status >= 200 && result.status < 300) {
        htmx.swap(document.querySelector(form.getAttribute("hx-target")), result.html, { swapStyle: "afterbegin" });
        status.textContent = "Uploaded.";
        input.value = "";
      } else {
        var tmp = document.createElement("div");
        tmp.innerHTML = result.html;
        status.className = "upload-status error";
        status.textContent = tmp.textContent.trim();
      }
    }).catch(function (err) {
      bar.hidden = true;
      status.className = "upload-status error";
      status.textContent = err.message;
    });
  });
})();

// ---- Recorder: MediaRecorder takes, previewed, then uploaded like a file ----
(function () {
  "use strict";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function pickType(kind) {
    var options = kind === "video"
      ? ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"]
      : ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
    for (var i = 0; i < options.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(options[i])) { return options[i]; }
    }
    return "";
  }

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function init(root) {
    if (root.dataset.ready) { return; }
    root.dataset.ready = "1";
    var kind = root.dataset.kind;
    var controls = root.querySelector(".recorder-controls");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      root.querySelector(".recorder-unavailable").hidden = false;
      return;
    }
    controls.hidden = false;
    var buttons = {};
    root.querySelectorAll("[data-action]").forEach(function (b) { buttons[b.dataset.action] = b; });
    var status = root.querySelector(".recorder-status");
    var preview = root.querySelector(".recorder-preview");
    var live = root.querySelector(".recorder-live");
    var timeEl = root.querySelector("[data-time]");
    var bar = root.querySelector(".upload-progress");
    var recorder = null, stream = null, chunks = [], blob = null, started = 0, timer = null, type = pickType(kind);

    function set(state) {
      buttons.record.disabled = state === "recording" || state === "uploading";
      buttons.stop.disabled = state !== "recording";
      buttons.upload.disabled = state !== "recorded";
      buttons.discard.disabled = state !== "recorded";
    }

    function stopTracks() {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      if (live) { live.srcObject = null; live.hidden = true; }
    }

    buttons.record.addEventListener("click", function () {
      status.className = "recorder-status";
      status.textContent = "Asking for your " + (kind === "video" ? "camera and microphone" : "microphone") + "…";
      navigator.mediaDevices.getUserMedia(kind === "video" ? { audio: true, video: true } : { audio: true })
        .then(function (s) {
          stream = s;
          chunks = [];
          recorder = type ? new MediaRecorder(s, { mimeType: type }) : new MediaRecorder(s);
          recorder.addEventListener("dataavailable", function (e) { if (e.data && e.data.size) { chunks.push(e.data); } });
          recorder.addEventListener("stop", function () {
            blob = new Blob(chunks, { type: recorder.mimeType || type || "audio/webm" });
            preview.src = URL.createObjectURL(blob);
            preview.hidden = false;
            stopTracks();
            set("recorded");
            status.textContent = "Recorded " + clock((Date.now() - started) / 1000) + ". Play it back, then upload or discard it.";
          });
          if (live) { live.srcObject = s; live.hidden = false; live.play().catch(function () {}); }
          recorder.start(1000);
          started = Date.now();
          timer = setInterval(function () { timeEl.textContent = clock((Date.now() - started) / 1000); }, 250);
          set("recording");
          status.textContent = "Recording…";
        })
        .catch(function (err) {
          status.className = "recorder-status error";
          status.textContent = "Recording could not start (" + (err && err.name ? err.name : "no device") + "). You can upload a file instead.";
          set("idle");
        });
    });

    buttons.stop.addEventListener("click", function () {
      clearInterval(timer);
      if (recorder && recorder.state !== "inactive") { recorder.stop(); }
    });

    function reset(message) {
      blob = null;
      preview.removeAttribute("src");
      preview.hidden = true;
      timeEl.textContent = "0:00";
      status.className = "recorder-status";
      status.textContent = message;
      set("idle");
    }

    buttons.discard.addEventListener("click", function () { reset("Take discarded."); });

    function showResult(status_, html) {
      bar.hidden = true;
      if (status_ >= 200 && status_ < 300) {
        var target = document.getElementById(root.dataset.target);
        if (target && window.htmx) { htmx.swap(target, html, { swapStyle: "afterbegin" }); }
        var empty = document.getElementById("uploads-empty");
        if (empty) { empty.remove(); }
        reset(root.dataset.doneMessage || "Uploaded.");
      } else {
        var tmp = document.createElement("div");
        tmp.innerHTML = html || "";
        status.className = "recorder-status error";
        status.textContent = (tmp.textContent || "The upload failed.").trim();
        set("recorded");
      }
    }

    buttons.upload.addEventListener("click", function () {
      if (!blob) { return; }
      var ext = (blob.type.indexOf("mp4") >= 0) ? ".mp4" : (blob.type.indexOf("ogg") >= 0 ? ".ogg" : ".webm");
      if (root.dataset.directUrl && window.masteryUploads && blob.size >= Number(root.dataset.directMin || window.masteryUploads.threshold)) {
        set("uploading");
        status.textContent = "Uploading…";
        window.masteryUploads.direct({
          file: blob, kind: kind, filename: kind + "-recording" + ext, startUrl: root.dataset.directUrl,
          target: root.dataset.target,
          onProgress: function (share) { bar.hidden = false; bar.value = Math.round(100 * share); }
        }).then(function (result) {
          if (result === null) { sendHere(); } else { showResult(result.status, result.html); }
        }).catch(function (err) {
          bar.hidden = true;
          status.className = "recorder-status error";
          status.textContent = err.message + " Your take is still here; try again.";
          set("recorded");
        });
        return;
      }
      sendHere();
    });

    function sendHere() {
      var ext = (blob.type.indexOf("mp4") >= 0) ? ".mp4" : (blob.type.indexOf("ogg") >= 0 ? ".ogg" : ".webm");
      var form = new FormData();
      form.append("kind", kind);
      form.append("file", blob, kind + "-recording" + ext);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", root.dataset.uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("HX-Target", root.dataset.target);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.hidden = false; bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () { showResult(xhr.status, xhr.responseText); });
      xhr.addEventListener("error", function () {
        bar.hidden = true;
        status.className = "recorder-status error";
        status.textContent = "The upload did not reach the server. Your take is still here; try again.";
        set("recorded");
      });
      set("uploading");
      status.textContent = "Uploading…";
      xhr.send(form);
    }
    set("idle");
  }

  function initAll(scope) { (scope || document).querySelectorAll(".recorder").forEach(init); }
  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  document.addEventListener("htmx:load", function (e) { initAll(e.target); });
})();

// ---- Capstones: remove a repeatable row in place (without JavaScript the button posts the form instead) ----
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-remove-row]") : null;
    if (!button) { return; }
    var row = button.closest(".row-item");
    if (!row) { return; }
    event.preventDefault();
    var list = row.parentElement;
    var form = row.closest("form");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    // A removed row is a change like any other: the autosave keeps the draft without it.
    if (form) { form.dispatchEvent(new Event("change", {bubbles: true})); }
    // Keep the keyboard where it was: on the neighbouring row, or on the list's "Add a row" button.
    var focusTarget = next ? next.querySelector("input, textarea, select")
      : (list && list.parentElement ? list.parentElement.querySelector("button[value^='add:']") : null);
    if (focusTarget) { focusTarget.focus(); }
  });

  // Take an uploaded file out of a link field (the file's chip): the field is emptied in place and the autosave
  // keeps the draft without it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-clear-file]") : null;
    if (!button) { return; }
    var box = button.closest("[data-file-field]");
    if (!box) { return; }
    event.preventDefault();
    var input = box.querySelector("input[type=hidden]");
    var form = button.closest("form");
    if (input) { input.value = ""; }
    var row = box.querySelector(".file-chip-row");
    if (row) {
      var note = document.createElement("p");
      note.className = "hint";
      note.setAttribute("role", "status");
      note.textContent = "File removed from this field. Upload another below, or save and add a link.";
      row.replaceWith(note);
    }
    if (form) { form.dispatchEvent(new Event("change", {bubbles: true})); }
  });

  // A row added through htmx: put the cursor in its first field.
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (list && list.classList && list.classList.contains("row-list")) {
      var rows = list.querySelectorAll(".row-item");
      var last = rows[rows.length - 1];
      var field = last ? last.querySelector("input, textarea, select") : null;
      if (field) { field.focus(); }
    }
  });
})();

// ---- Portfolio: copy an item's secret link (the read-only field still works without JavaScript) ----
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!field) { return; }
    field.focus();
    field.select();
    var say = function (text) { if (status) { status.textContent = text; } };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(function () { say("Link copied."); },
        function () { say("Press Ctrl+C (or ⌘C) to copy the selected link."); });
    } else {
      say("Press Ctrl+C (or ⌘C) to copy the selected link.");
    }
  });
})();

// ---- Navigation: on a narrow screen the "Menu" toggle becomes a real button ----
// Without JavaScript a visually hidden checkbox and its label open the menu (CSS only, see app.css). Here both are
// replaced by one <button aria-expanded aria-controls="nav-links">, so it is announced as a button with its state
// and Enter works as well as Space; Escape closes the open menu and puts the focus back on the button.
(function () {
  "use strict";

  function enhance() {
    var nav = document.querySelector(".site-header .nav");
    var box = nav ? nav.querySelector("input.nav-toggle") : null;
    var label = nav ? nav.querySelector("label.nav-toggle-label") : null;
    var links = nav ? nav.querySelector(".nav-links") : null;
    if (!box || !label || !links || !links.id) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "nav-toggle-label nav-toggle-button";
    button.textContent = label.textContent;
    button.setAttribute("aria-controls", links.id);

    function setOpen(open) {
      nav.classList.toggle("nav-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }

    var hadFocus = document.activeElement === box;
    setOpen(box.checked);                 // keep what was chosen before this script ran
    box.remove();
    label.replaceWith(button);
    if (hadFocus) { button.focus(); }

    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !nav.classList.contains("nav-open") || !button.offsetParent) { return; }
      setOpen(false);
      button.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();

// ---- The scenario clock on the attempt page: <time data-clock-start="ISO" data-clock-multiplier="2"> ----
// The server renders the right value (so a reload is correct); this keeps it ticking between requests, with the
// same rule as domain.engine.scenario_minutes (real minutes divided by the multiplier) and the same words as the
// `duration` filter ("0 min", "45 min", "1 h", "1 h 5 min").
(function () {
  "use strict";
  function words(minutes) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    if (h && m) { return h + " h " + m + " min"; }
    return h ? h + " h" : m + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-clock-start]").forEach(function (el) {
      var start = Date.parse(el.getAttribute("data-clock-start"));
      var multiplier = Math.max(1, parseFloat(el.getAttribute("data-clock-multiplier")) || 1);
      if (isNaN(start)) { return; }
      var text = words(Math.max(0, Math.floor((now - start) / 60000 / multiplier)));
      if (el.textContent !== text) { el.textContent = text; }
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 15000);
})();

// ---- Subtask drafts in this browser too: <form data-draft-key="…"> ----
// The server keeps a draft a moment after each change (attempts/_subtask.html). If the connection is lost, the
// response is also kept here, and put back into an empty response box when the page is opened again.
(function () {
  "use strict";
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function restore(root) {
    var s = store();
    if (!s) { return; }
    (root.querySelectorAll ? root : document).querySelectorAll("form[data-draft-key]").forEach(function (form) {
      var box = form.querySelector("textarea[name=response]");
      var kept = null;
      try { kept = JSON.parse(s.getItem("draft:" + form.getAttribute("data-draft-key")) || "null"); } catch (e) { kept = null; }
      var serverSaved = Date.parse(form.getAttribute("data-draft-saved") || "") || 0;
      // Put it back only when it is newer than what the server kept and differs from what the page shows.
      if (box && kept && typeof kept.text === "string" && kept.text.trim() && kept.text !== box.value
          && kept.at > serverSaved) {
        box.value = kept.text;
        var status = form.querySelector("#draft-status");
        if (status) { status.textContent = "Restored the text you typed in this browser (not yet saved)."; }
      }
    });
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft-key]");
    var s = store();
    if (form && s && event.target.name === "response") {
      s.setItem("draft:" + form.getAttribute("data-draft-key"), JSON.stringify({text: event.target.value, at: Date.now()}));
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.matches && event.detail.elt.matches("form[data-draft-key]")
      ? event.detail.elt : null;
    var s = store();
    if (form && s && event.detail.successful) { s.removeItem("draft:" + form.getAttribute("data-draft-key")); }
  });
  document.addEventListener("submit", function (event) {
    // A plain (no-htmx) submission leaves the page; the server has the text from here on.
    var form = event.target;
    var s = store();
    if (s && form.matches && form.matches("form[data-draft-key]") && !form.hasAttribute("hx-post")) {
      s.removeItem("draft:" + form.getAttribute("data-draft-key"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () { restore(document); });
  document.addEventListener("htmx:load", function (event) { restore(event.detail.elt); });
})();

// ---- Capstone phase drafts: the autosave's state, errors in place, and a warning before leaving unsaved text ----
// The form (data-unsaved-warning) is "dirty" from the first keystroke until a save succeeds: the autosave
// (data-autosave, capstones/_autosave_status.html says data-saved="true") or the form's own Save or Complete.
// A failed autosave never reads "saved": the status says what failed and the text stays dirty.
(function () {
  "use strict";
  var dirty = new WeakSet();
  var leaving = false;

  function form(el) { return el && el.closest ? el.closest("form[data-unsaved-warning]") : null; }
  function status() { return document.getElementById("phase-save-status"); }
  function say(text, error) {
    var box = status();
    if (!box) { return; }
    box.className = "hint save-status" + (error ? " save-status-error" : "");
    box.setAttribute("data-saved", error ? "false" : "true");
    box.textContent = text;
  }

  document.addEventListener("input", function (event) {
    var f = form(event.target);
    // Said once per round of typing, not on every key (the status is a live region).
    if (f && !dirty.has(f)) { dirty.add(f); say("Unsaved changes…", false); }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-autosave")) { say("Saving…", false); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute) { return; }
    var f = elt.hasAttribute("data-autosave") ? form(elt) : (elt.matches("form[data-unsaved-warning]") ? elt : null);
    if (!f) { return; }
    var xhr = event.detail.xhr;
    if (event.detail.successful) {
      if (elt.hasAttribute("data-autosave")) { dirty.delete(f); }
    } else if (!xhr || !xhr.status || xhr.status >= 500) {
      // Nothing was swapped in: say so beside the buttons, and keep the text (and the warning).
      say(xhr && xhr.status ? "Not saved: the server had a problem (" + xhr.status + "). What you typed is still here; try again in a moment."
        : "Not saved: the server could not be reached. What you typed is still here; it is saved when the connection is back.", true);
    }
  });
  document.addEventListener("submit", function (event) {
    // A plain form post leaves the page with the text: no warning for that.
    if (form(event.target) && !event.defaultPrevented) { leaving = true; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    // The phase form answered by a save or a completion holds what the server kept.
    if (event.detail.target && event.detail.target.id === "capstone-phase-form") { dirty = new WeakSet(); }
  });
  window.addEventListener("beforeunload", function (event) {
    var f = document.querySelector("form[data-unsaved-warning]");
    if (!leaving && f && dirty.has(f)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
