// Filters fold away on phones to leave the screen to the results; wide screens have room to
// show them open beside the list.
"use strict";

if (window.matchMedia("(min-width: 901px)").matches) {
  document.querySelectorAll("details[data-open-on-wide]").forEach((details) => { details.open = true; });
}
