// A stand-in for a real advertising script on the cookie banner demo page
// (cookies-demo.html). The page includes it inert, as
// <script type="text/plain" data-consent="advertising" data-src="/demo/ads.js">,
// and consent.js runs it only once the advertising category is granted. It shows
// that it ran, for people and for the browser tests.
"use strict";

(function () {
  window.__loaded_advertising = true;
  if (document.getElementById("loaded-advertising")) return;
  const p = document.createElement("p");
  p.id = "loaded-advertising";
  p.textContent = "Advertising script loaded.";
  (document.getElementById("demo-loaded") || document.body).append(p);
})();
