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
