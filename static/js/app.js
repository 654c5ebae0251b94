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

// A field check (hx-post on a .field, swapping the field) must not put back an older value: with the
// keyboard's arrows a select changes faster than the check answers, and swapping in the answer for
// the value sent would snap it back (the form would then save that older value). The value sent is
// remembered; if the control holds another one when the answer comes, the answer is dropped and the
// field is checked again with what it holds now.
function fieldControl(field) {
  return field.querySelector("input, select, textarea");
}
document.addEventListener("htmx:beforeRequest", function (event) {
  var field = event.detail.elt;
  if (field.classList && field.classList.contains("field") && fieldControl(field)) {
    field.dataset.sentValue = fieldControl(field).value;
  }
});
document.addEventListener("htmx:beforeSwap", function (event) {
  var field = event.detail.target;
  if (!field.classList || !field.classList.contains("field") || field.dataset.sentValue === undefined) {
    return;
  }
  var control = fieldControl(field);
  if (control && control.value !== field.dataset.sentValue) {
    event.detail.shouldSwap = false;
    htmx.trigger(field, "change");
  }
});
