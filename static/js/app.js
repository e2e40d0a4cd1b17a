// Progressive enhancements only: every page works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The ballot: a live count of lines still unmarked.
(function () {
  var form = document.getElementById("ballot-form");
  var counter = document.getElementById("unmarked-counter");
  if (!form || !counter) return;
  function update() {
    var lines = form.querySelectorAll(".ballot-line");
    var unmarked = 0;
    lines.forEach(function (line) {
      var marked = line.querySelector("input[type=radio]:checked") !== null;
      line.classList.toggle("line-marked", marked);
      if (!marked) unmarked += 1;
    });
    counter.textContent = unmarked
      ? counter.getAttribute("data-template-many").replace("__N__", unmarked)
      : counter.getAttribute("data-template-none");
  }
  form.addEventListener("change", update);
  update();
})();

// Lists with a search box: hide rows that do not contain the typed text (tones ignored).
(function () {
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }
  document.querySelectorAll("[data-filter-rows]").forEach(function (input) {
    var rows = document.querySelectorAll(input.getAttribute("data-filter-rows"));
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      rows.forEach(function (row) {
        row.hidden = wanted !== "" && fold(row.textContent).indexOf(wanted) === -1;
      });
    });
  });
})();

// Print buttons (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

// ---- hall: live turnout (turnout page, projector view, round page while voting) -------------
// Every few seconds, the numbers of the round (present, voted, not voted, quorum, status) from
// turnout.json: counts only, never who and never how. Elements marked data-field="<name>"
// show them; the close form's question says how many present members have not voted; the
// round page (data-reload-unless) reloads once the round has left that status.
(function () {
  var source = document.querySelector("[data-live-turnout]");
  if (!source) return;
  var url = source.getAttribute("data-live-turnout");
  var reloadUnless = source.getAttribute("data-reload-unless");
  var leaving = false;  // a form was sent: the next page is on its way
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) leaving = true;
  });
  function show(data) {
    if (leaving) return;
    // The round page's buttons belong to a state: when someone else moves the round on
    // (closes voting), show the page as it now is rather than let a stale button fail.
    if (reloadUnless && data.status !== reloadUnless) {
      window.location.reload();
      return;
    }
    document.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      var value = name === "quorum"
        ? source.getAttribute(data.quorum_met ? "data-met-text" : "data-not-met-text")
        : data[name];
      if (value !== undefined && value !== null && el.textContent !== String(value)) {
        el.textContent = value;
      }
    });
    var close = document.getElementById("close-form");
    if (close) {
      close.setAttribute("data-confirm", data.not_voted
        ? close.getAttribute("data-confirm-many").replace("__N__", data.not_voted)
        : close.getAttribute("data-confirm-none"));
    }
  }
  function refresh() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
})();

// ---- hall: attendance, the quorum as boxes are ticked ---------------------------------------
(function () {
  var form = document.getElementById("attendance-form");
  var box = document.getElementById("quorum");
  if (!form || !box) return;
  var summoned = parseInt(box.getAttribute("data-summoned"), 10);
  var boxes = form.querySelectorAll(".attendance-box");
  function ticked() {
    var state = [];
    boxes.forEach(function (b) { if (b.checked) state.push(b.value); });
    return state.join(",");
  }
  var saved = ticked();
  function update() {
    var present = form.querySelectorAll(".attendance-box:checked").length;
    var met = present * 3 >= summoned * 2;  // integer arithmetic, as the server counts
    document.getElementById("quorum-count").textContent =
      box.getAttribute("data-present-text").replace("__P__", present);
    document.getElementById("quorum-verdict").textContent =
      box.getAttribute(met ? "data-met-text" : "data-not-met-text");
    document.getElementById("quorum-unsaved").textContent =
      ticked() === saved ? "" : box.getAttribute("data-unsaved-text");
    box.classList.toggle("alert-success", met);
    box.classList.toggle("alert-warning", !met);
  }
  form.addEventListener("change", update);
})();

// ---- hall: the ballot, a line's "not marked yet" goes once it is marked ----------------------
(function () {
  var form = document.getElementById("ballot-form");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var line = event.target.closest(".ballot-line.line-unmarked");
    if (!line) return;
    line.classList.remove("line-unmarked", "border-danger");
    line.removeAttribute("aria-describedby");
    var note = line.querySelector(".unmarked-note");
    if (note) note.hidden = true;
  });
})();

// ---- hall: trackers, found with or without dashes ---------------------------------------------
(function () {
  function hex(text) { return text.toLowerCase().replace(/[^0-9a-f]/g, ""); }
  document.querySelectorAll("[data-filter-trackers]").forEach(function (input) {
    var rows = document.querySelectorAll(input.getAttribute("data-filter-trackers"));
    input.addEventListener("input", function () {
      var wanted = hex(input.value);
      rows.forEach(function (row) {
        row.hidden = wanted !== "" && row.getAttribute("data-tracker").indexOf(wanted) === -1;
      });
    });
  });
})();

// ---- hall: receipt and projector buttons that need a script ----------------------------------
(function () {
  document.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });
  // Copy: only where the browser allows it (a secure context).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!(navigator.clipboard && window.isSecureContext)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.querySelector(button.getAttribute("data-copy")).textContent
        .replace(/\s+/g, "");
      navigator.clipboard.writeText(text).then(function () {
        var status = document.getElementById("copy-status");
        if (status) status.textContent = button.getAttribute("data-copied") + ": " + text;
      }).catch(function () {});
    });
  });
  // Full screen, for the projector.
  document.querySelectorAll("[data-fullscreen]").forEach(function (button) {
    if (!document.fullscreenEnabled) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      document.documentElement.requestFullscreen().catch(function () {});
    });
    document.addEventListener("fullscreenchange", function () {
      button.hidden = document.fullscreenElement !== null;
    });
  });
})();

// ---- Building a round: "choose everyone listed" ticks the boxes of the results, and a box
// unticked by hand unticks it again (the server reads it as "add everyone listed"); a live
// count of the people chosen.
(function () {
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var selector = all.getAttribute("data-select-all");
    var counter = document.querySelector(all.getAttribute("data-chosen-count") || "#none");
    function boxes() { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
    function update() {
      var list = boxes();
      var chosen = list.filter(function (box) { return box.checked; }).length;
      all.checked = list.length > 0 && chosen === list.length;
      all.indeterminate = chosen > 0 && chosen < list.length;
      if (counter) counter.textContent = counter.getAttribute("data-template").replace("__N__", chosen);
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
    document.addEventListener("change", function (event) {
      if (event.target !== all && event.target.matches(selector)) update();
    });
    update();
  });
})();

// ---- office (issue 7) ----
// File pickers (the field macro): the chosen file's name, in the page's language.
(function () {
  document.querySelectorAll(".file-picker-input").forEach(function (input) {
    var status = document.getElementById(input.id + "-chosen");
    if (!status) return;
    function show() {
      var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
      status.textContent = names.length ? names.join(", ") : status.getAttribute("data-none");
    }
    input.addEventListener("change", show);
    show();
  });
})();

// Voter accounts (templates/ballots/voters.html): create them in batches with a progress bar,
// then show the printable slips in place of the page. Registered after the data-confirm
// handler above, so a cancelled confirmation has already prevented the submission.
(function () {
  var BATCH = 25;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-voter-accounts") || event.defaultPrevented || !window.fetch) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    var box = form.querySelector(".voter-accounts-progress");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[role=status]");
    var slips = [];
    var frame = null;
    var done = 0;
    button.disabled = true;
    box.hidden = false;

    function show(template, total) {
      status.textContent = status.getAttribute(template)
        .replace("__DONE__", done).replace("__TOTAL__", total);
    }
    function finish() {
      if (!frame) { button.disabled = false; return; }
      var main = document.getElementById("main");
      main.innerHTML = frame.replace("__N__", done);
      document.getElementById("account-slips").innerHTML = slips.join("");
      var title = document.getElementById("slips-title");
      if (title) title.focus();
    }
    function next() {
      var body = new FormData(form);
      body.append("batch", BATCH);
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                           headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          done += data.created;
          frame = data.frame;
          if (data.html) slips.push(data.html);
          var total = done + data.remaining;
          bar.max = Math.max(total, 1);
          bar.value = done;
          show("data-template-progress", total);
          if (data.remaining > 0 && data.created > 0) next(); else finish();
        })
        .catch(function () {
          show("data-template-failed", "");
          if (done) setTimeout(finish, 1500); else button.disabled = false;
        });
    }
    next();
  });
})();

// Menus and other controls that behave differently once scripts run (see app.css).
document.documentElement.classList.add("js");
