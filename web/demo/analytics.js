// A stand-in for a real analytics script on the cookie banner demo page
// (cookies-demo.html). The page includes it inert, as
// <script type="text/plain" data-consent="analytics" data-src="/demo/analytics.js">,
// and consent.js runs it only once the analytics category is granted. It shows
// that it ran, for people and for the browser tests.
"use strict";

(function () {
  window.__loaded_analytics = true;
  if (document.getElementById("loaded-analytics")) return;
  const p = document.createElement("p");
  p.id = "loaded-analytics";
  p.textContent = "Analytics script loaded.";
  (document.getElementById("demo-loaded") || document.body).append(p);
})();
