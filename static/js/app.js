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

// A page open longer than its session (PRESCORING_SESSION_SECONDS). The server answers an htmx
// request with a 401 (prescoring.middleware.LoginRequiredMiddleware), which htmx does not swap in,
// and a form sent without a session would be redirected to the login page and lost. So: a 401 shows
// the notice (#session-ended, templates/_session_ended.html); a form is sent only after asking the server (/session/)
// that the session is on, with the CSRF token it gives (signing in renews it, and the page's old one
// would be refused). The officer signs in in another tab; back on this one, the notice goes and
// what was typed is still here.
function sessionNotice() {
  return document.getElementById("session-ended");
}
// role="alert", given as it is shown, reads it out; the focus moves to it only when the officer's own
// click was refused (after a field check it stays in the field the officer has moved to).
function showSessionEnded(focus) {
  var notice = sessionNotice();
  if (notice) {
    notice.setAttribute("role", "alert");
    notice.hidden = false;
    if (focus) {
      notice.focus();
    }
  }
}
function askSession() {
  var notice = sessionNotice();
  return fetch(notice.dataset.sessionUrl, {credentials: "same-origin", cache: "no-store",
                                           headers: {"Accept": "application/json"}})
    .then(function (response) { return response.json(); });
}
// Signed in: the page's forms and htmx get the current token, the notice goes. Returns whether it was.
function resumeSession(state) {
  var notice = sessionNotice();
  if (!state.authenticated) {
    return false;
  }
  document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
    input.value = state.csrf_token;
  });
  document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": state.csrf_token}));
  notice.hidden = true;
  notice.removeAttribute("role");
  notice.querySelector(".js-session-still-ended").hidden = true;
  return true;
}
document.addEventListener("htmx:responseError", function (event) {
  if (event.detail.xhr && event.detail.xhr.status === 401) {
    showSessionEnded();
  }
});
document.addEventListener("click", function (event) {
  if (!event.target.closest(".js-session-check")) {
    return;
  }
  askSession().then(function (state) {
    if (!resumeSession(state)) {
      sessionNotice().querySelector(".js-session-still-ended").hidden = false;
    }
  });
});
document.addEventListener("visibilitychange", function () {
  var notice = sessionNotice();
  if (document.visibilityState === "visible" && notice && !notice.hidden) {
    askSession().then(resumeSession);
  }
});
// A form of the page's own content (not the header's language switch or logout) that the browser
// itself would send: asked about first. If the question fails (the network), the form goes as before.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!sessionNotice() || !form.closest("main") || form.method.toLowerCase() !== "post" ||
      form.hasAttribute("hx-post")) {
    return;
  }
  if (form.dataset.sessionAsked === "yes") {
    delete form.dataset.sessionAsked;
    return;
  }
  event.preventDefault();
  var submitter = event.submitter || undefined;
  var send = function () {
    form.dataset.sessionAsked = "yes";
    form.requestSubmit(submitter);
  };
  askSession().then(function (state) {
    if (resumeSession(state)) {
      send();
    } else {
      showSessionEnded(true);
    }
  }, send);
});
