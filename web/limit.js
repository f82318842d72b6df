// The Limit the Use of My Sensitive Personal Information page
// (limit-sensitive.html). Without this script the form names its return
// page by path and the service answers with a page of its own that shows
// the reference. With it, the form names the page by its address, the
// service sends the browser back with ?ref=<id>&status=limited, and the
// script shows that confirmation with its reference. No inline script or
// handler.
"use strict";

(function () {
  const back = document.getElementById("return_url");
  if (back) back.value = location.origin + location.pathname;
  const query = new URLSearchParams(location.search);
  if (query.get("status") !== "limited") return;
  const ref = query.get("ref");
  if (ref && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(ref)) {
    document.getElementById("ref").textContent = ref;
    document.getElementById("confirmation-ref").hidden = false;
  }
  document.getElementById("confirmation").hidden = false;
})();
