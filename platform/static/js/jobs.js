// Polls a job's progress and updates the progress bar; without script the page is
// still correct, only static (reload to refresh).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var status = box.querySelector("[data-job-status]");
  var label = box.querySelector("label");
  function poll() {
    fetch(box.getAttribute("data-job-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        if (data.message) { label.textContent = data.message; }
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (box.querySelector("[data-job-status]") && bar.value < 100) { window.setTimeout(poll, 1000); }
})();
