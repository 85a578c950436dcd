// Progressive enhancement only: every page works without this file.
// Confirm destructive forms (those with data-confirm) before they submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
