// Buttons that start slow work (publishing, scheduling, sending a proposal) show that the work
// is under way and cannot be pressed twice. Mark them with data-busy-label="Publishing…".
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  // The pressed button, or the form's first one when Enter was pressed in a field.
  const pressed = event.submitter || form.querySelector("button:not([type=button])");
  if (!pressed || !pressed.matches("button[data-busy-label]") || event.defaultPrevented) {
    return;
  }
  if (form.dataset.busy === "true") {
    event.preventDefault();  // Enter pressed again while the first submission runs
    return;
  }
  form.dataset.busy = "true";
  // A disabled button is left out of the submitted data: wait until the browser has read the
  // pressed button's name and value before disabling it.
  window.setTimeout(() => {
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    showBusy(pressed);
  }, 0);
});

function showBusy(button) {
  button.dataset.idleLabel = button.textContent;
  button.textContent = button.dataset.busyLabel;
  button.setAttribute("aria-busy", "true");
}

// Coming back with the browser's back button shows the page as it was left: make it usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll("form[data-busy]").forEach((form) => {
    delete form.dataset.busy;
    form.querySelectorAll("button").forEach((button) => { button.disabled = false; });
  });
  document.querySelectorAll("button[aria-busy='true'][data-idle-label]").forEach((button) => {
    button.textContent = button.dataset.idleLabel;
    button.removeAttribute("aria-busy");
  });
});
