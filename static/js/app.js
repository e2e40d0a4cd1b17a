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

// Live turnout: refresh the numbers every few seconds. Never shows ballot content.
(function () {
  var box = document.getElementById("turnout");
  if (!box) return;
  var url = box.getAttribute("data-turnout-url");
  function refresh() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        document.getElementById("turnout-voted").textContent = data.voted;
        document.getElementById("turnout-present").textContent = data.present;
        document.getElementById("turnout-status").textContent = data.status_label;
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
})();

// Print buttons (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

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
