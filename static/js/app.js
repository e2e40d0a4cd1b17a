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
