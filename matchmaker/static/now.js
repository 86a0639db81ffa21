// "Now and next" reloads itself, so a phone turns to the next meeting without a tap. The person
// may pause it (timing they can adjust: a meta refresh could not be stopped); the choice lasts
// while the tab is open.
"use strict";

const autoRefresh = document.getElementById("auto-refresh");
if (autoRefresh) {
  const seconds = Number(autoRefresh.dataset.seconds) || 60;
  let timer = null;
  const schedule = () => {
    window.clearTimeout(timer);
    if (autoRefresh.checked) {
      timer = window.setTimeout(() => window.location.reload(), seconds * 1000);
    }
  };
  autoRefresh.checked = window.sessionStorage.getItem("now-and-next-refresh") !== "off";
  autoRefresh.addEventListener("change", () => {
    window.sessionStorage.setItem("now-and-next-refresh", autoRefresh.checked ? "on" : "off");
    schedule();
  });
  autoRefresh.closest("label").hidden = false;  // without the script the switch would do nothing
  schedule();
}
