// Sort a table by a column when its header is clicked (numbers as numbers); nothing else.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.title = "点击排序";
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var down = th.dataset.sorted !== "asc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = (a.cells[column] || {}).textContent || "", y = (b.cells[column] || {}).textContent || "";
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh-CN");
        return down ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      table.querySelectorAll("th").forEach(function (other) { delete other.dataset.sorted; });
      th.dataset.sorted = down ? "asc" : "desc";
    });
  });
});
