/* Admin web: poll a background import and move its progress bar. No framework. */
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  function show(job) {
    document.getElementById("job-status").textContent = job.status_label;
    document.getElementById("job-count").textContent = job.finished ? "共 " + job.rows + " 行"
      : (job.total ? job.done + " / " + job.total : "");
    var bar = document.getElementById("job-bar");
    bar.style.width = job.percent + "%";
    bar.className = (job.status === "refused" || job.status === "failed") ? "dis" : "ok";
    box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", job.percent);
    document.getElementById("job-message").textContent = job.message || "";
    if (job.report_url) {
      document.getElementById("job-report-link").setAttribute("href", job.report_url);
      document.getElementById("job-report").hidden = false;
    }
    box.setAttribute("data-status", job.status);
  }
  function poll() {
    var req = new XMLHttpRequest();
    req.open("GET", box.getAttribute("data-url"));
    req.setRequestHeader("Accept", "application/json");
    req.onload = function () {
      if (req.status !== 200) { return; }
      var job = JSON.parse(req.responseText);
      show(job);
      if (!job.finished) { window.setTimeout(poll, 700); }
    };
    req.send();
  }
  poll();
})();
