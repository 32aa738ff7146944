(function () {
  "use strict";
  var d = document;
  // Printed, the evidence is shown: open every closed details element (the print
  // style also shows their content where the browser allows it), and close
  // them again after.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    d.querySelectorAll("details:not([open])").forEach(function (e) {
      if (!e.classList.contains("pem")) { e.open = true; opened.push(e); }
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (e) { e.open = false; });
    opened = [];
  });
  var c = d.getElementById("controls");
  if (!c) return;
  c.hidden = false;
  var fv = d.getElementById("f-verdict"), fi = d.getElementById("f-interceptor"),
    ff = d.getElementById("f-finding"), so = d.getElementById("f-sort"),
    out = d.getElementById("f-count");
  var rows = Array.prototype.slice.call(d.querySelectorAll(".t"));
  function has(list, want) {
    return !want || (" " + list + " ").indexOf(" " + want + " ") >= 0;
  }
  function size(t) { return Number(t.getAttribute("data-n") || "1"); }
  function apply() {
    var n = 0, total = 0, any = fv.value || fi.value || ff.value;
    rows.forEach(function (t) {
      var ok = has(t.getAttribute("data-v") || "clean", fv.value) &&
        has(t.getAttribute("data-i") || "", fi.value) &&
        has(t.getAttribute("data-f") || "", ff.value);
      t.hidden = !ok;
      total += size(t);
      if (ok) n += size(t);
    });
    d.querySelectorAll("details.page").forEach(function (p) {
      p.hidden = any && !p.querySelector(".t:not([hidden])");
    });
    out.textContent = n + " of " + total + " targets shown";
  }
  function sort() {
    var k = so.value, numeric = k === "s" || k === "n";
    d.querySelectorAll("table.sortable").forEach(function (table) {
      var bodies = Array.prototype.slice.call(table.tBodies);
      bodies.sort(function (a, b) {
        var x = a.getAttribute("data-" + k) || "", y = b.getAttribute("data-" + k) || "";
        var c = numeric ? Number(y) - Number(x) : (x < y ? -1 : x > y ? 1 : 0);
        if (c === 0) {
          x = a.getAttribute("data-h"); y = b.getAttribute("data-h");
          c = x < y ? -1 : x > y ? 1 : 0;
        }
        return c;
      });
      bodies.forEach(function (b) { table.appendChild(b); });
    });
  }
  [fv, fi, ff].forEach(function (s) { s.addEventListener("change", apply); });
  so.addEventListener("change", sort);
  apply();
})();
