// Progressive enhancement only: every page works without this file.
// Confirm destructive forms (those with data-confirm, or submitted by a button with
// data-confirm-button) before they submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var message =
    (button && button.getAttribute("data-confirm-button")) ||
    form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Job pages: follow a queued or running apply or restore through its status (GET /api/jobs/{id}) once
// a second, updating the counters in place, and reload for the summary when it ends. Without
// this script the page refreshes itself (<noscript> meta refresh).
(function () {
  var box = document.querySelector("[data-job-poll]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-job-poll");
  function set(field, text) {
    document.querySelectorAll('[data-field="' + field + '"]').forEach(function (e) {
      e.textContent = text;
    });
  }
  function show(job) {
    set("done", job.total > 0 ? job.done + " of " + job.total : String(job.done));
    set("bytes", job.bytes_text);
    set("errors", String(job.errors));
    set("state", job.state);
    if (job.state === "running") {
      set("queued", "Running. Stopping finishes the current file first; nothing is left half moved.");
    }
    var bar = document.querySelector('progress[data-field="percent"]');
    if (bar && job.total > 0) {
      bar.value = Math.min(100, Math.floor((job.done * 100) / job.total));
    }
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) {
          // Signed out, or the job is gone: the page itself says what happened.
          window.location.reload();
          return null;
        }
        return res.json();
      })
      .then(function (job) {
        if (!job) {
          return;
        }
        if (job.state !== "running" && job.state !== "queued") {
          window.location.reload();
          return;
        }
        show(job);
        window.setTimeout(tick, 1000);
      })
      .catch(function () {
        // The network or the server hiccuped: try again, more slowly.
        window.setTimeout(tick, 5000);
      });
  }
  window.setTimeout(tick, 1000);
})();
