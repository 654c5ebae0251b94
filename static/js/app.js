// Small behaviours that htmx does not cover. No inline scripts anywhere (Content-Security-Policy).
document.addEventListener("click", function (event) {
  // "Print the summary for the client": the print stylesheet turns the result into one page.
  if (event.target.closest(".js-print")) {
    window.print();
  }
});

document.addEventListener("DOMContentLoaded", function () {
  // After a refused submit, take keyboard and screen-reader users straight to the list of errors.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
