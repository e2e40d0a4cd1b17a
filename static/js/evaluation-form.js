// The running total of an evaluation form: the sum of the points typed so far ("9,5" is read
// as 9.5). Only a help while typing: the server checks and computes the total again.
(function () {
  var form = document.getElementById("sheet");
  var output = document.getElementById("running-total");
  if (!form || !output) { return; }
  function update() {
    var cents = 0;
    form.querySelectorAll(".sheet-points").forEach(function (input) {
      var text = input.value.trim().replace(",", ".");
      if (/^\d+(\.\d{1,2})?$/.test(text)) {
        cents += Math.round(parseFloat(text) * 100);
      }
    });
    output.textContent = (cents / 100).toFixed(2).replace(".", ",");
  }
  form.addEventListener("input", update);
  update();
})();
