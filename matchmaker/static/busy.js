// Buttons that start slow work (publishing, scheduling, sending a proposal) show that the work
// is under way and cannot be pressed twice. Mark them with data-busy-label="Publishing…".
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const buttons = form.querySelectorAll("button[data-busy-label]");
  if (buttons.length === 0 || event.defaultPrevented) {
    return;
  }
  if (form.dataset.busy === "true") {
    event.preventDefault();  // Enter pressed again in a field while the first submission runs
    return;
  }
  form.dataset.busy = "true";
  // Disabled buttons are left out of the submitted data, so wait until the browser has read
  // the pressed button's name and value before disabling it.
  window.setTimeout(() => buttons.forEach(showBusy), 0);
});

function showBusy(button) {
  button.dataset.idleLabel = button.textContent;
  button.textContent = button.dataset.busyLabel;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
}

// Coming back with the browser's back button shows the page as it was left: make it usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll("form[data-busy]").forEach((form) => delete form.dataset.busy);
  document.querySelectorAll("button[aria-busy='true'][data-idle-label]").forEach((button) => {
    button.textContent = button.dataset.idleLabel;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
});
