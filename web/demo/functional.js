// A stand-in for a real functional script on the cookie banner demo page
// (cookies-demo.html). The page includes it inert, as
// <script type="text/plain" data-consent="functional" data-src="/demo/functional.js">,
// and consent.js runs it only once the functional category is granted. It shows
// that it ran, for people and for the browser tests.
"use strict";

(function () {
  window.__loaded_functional = true;
  if (document.getElementById("loaded-functional")) return;
  const p = document.createElement("p");
  p.id = "loaded-functional";
  p.textContent = "Functional script loaded.";
  (document.getElementById("demo-loaded") || document.body).append(p);
})();
