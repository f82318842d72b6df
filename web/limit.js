// The Limit the Use of My Sensitive Personal Information page
// (limit-sensitive.html). The form posts without this script and the
// service sends the browser back with ?ref=<id>&status=limited; the script
// shows that confirmation with its reference. No inline script or handler.
"use strict";

(function () {
  const query = new URLSearchParams(location.search);
  if (query.get("status") !== "limited") return;
  const ref = query.get("ref");
  if (ref && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(ref)) {
    document.getElementById("ref").textContent = ref;
    document.getElementById("confirmation-ref").hidden = false;
  }
  document.getElementById("confirmation").hidden = false;
})();
