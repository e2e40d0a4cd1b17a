// Keying paper ballots with the keyboard alone (templates/ballots/paper_entry.html). The page
// is a plain form without this file; here: 1..k mark the current line with the k-th level,
// 0 leaves it blank, + records several marks, Backspace goes back a line, Enter saves once
// every line has a value (otherwise it goes to the first line without one). A ballot invalid as
// a whole: Tab to its select, the arrows choose the reason, Enter saves it; choosing a reason
// clears the lines (an invalid ballot carries none), keying a line makes the ballot valid again.
(function () {
  var form = document.getElementById("paper-entry-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll(".paper-line"));
  var reason = document.getElementById("invalid_reason");
  var number = document.getElementById("ballot_number");
  var current = 0;

  function valueOf(row) {
    return row.querySelector("input[type=radio]:checked");
  }
  function show() {
    rows.forEach(function (row, i) {
      row.classList.toggle("table-active", i === current);
      row.setAttribute("aria-current", i === current ? "true" : "false");
    });
  }
  function firstEmpty() {
    for (var i = 0; i < rows.length; i += 1) {
      if (!valueOf(rows[i])) return i;
    }
    return -1;
  }
  function invalid() {
    return reason && reason.value !== "";
  }

  function submit() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }
  if (reason) {
    reason.addEventListener("change", function () {
      if (!invalid()) return;
      rows.forEach(function (row) {
        var checked = valueOf(row);
        if (checked) checked.checked = false;
      });
    });
  }

  form.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.target === reason) {
      if (event.key === "Enter" && invalid()) {
        event.preventDefault();
        submit();
      }
      return;
    }
    var key = event.key;
    if (event.target === number && key !== "Enter") return;
    if (key === "Enter") {
      event.preventDefault();
      var empty = invalid() ? -1 : firstEmpty();
      if (empty === -1) {
        submit();
      } else {
        current = empty;
        show();
      }
      return;
    }
    if (key === "Backspace") {
      event.preventDefault();
      current = Math.max(current - 1, 0);
      show();
      return;
    }
    var input = rows[current] && rows[current].querySelector('input[data-key="' + key + '"]');
    if (!input) return;
    event.preventDefault();
    if (reason && invalid()) reason.value = "";
    input.checked = true;
    if (current < rows.length - 1) current += 1;
    show();
  });
  rows.forEach(function (row, i) {
    row.addEventListener("click", function () { current = i; show(); });
  });
  form.addEventListener("change", function (event) {
    // A line marked with the mouse makes the ballot valid again, as a key does.
    if (event.target.type === "radio" && reason && invalid()) reason.value = "";
  });
  current = Math.max(firstEmpty(), 0);
  show();
  // Focus on the form, not the number, so that the keys go to the lines at once.
  form.setAttribute("tabindex", "-1");
  form.focus();
  form.dataset.keys = "ready";
})();
