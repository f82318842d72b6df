// The thank-you page (thanks.html): shows the reference and what happens
// next, from ?ref= and ?status= of the address the service sent the browser
// to. The page works without it. No inline script, so the page runs under a
// strict Content-Security-Policy.
"use strict";

(function () {
  const q = new URLSearchParams(location.search);
  const ref = q.get("ref");
  if (ref) document.getElementById("ref").textContent = ref;
  const messages = {
    pending_verification: "We received your request and emailed you a link to confirm it. Please open that mail: we act on the request once you confirm.",
    received: "We received your request and emailed you a confirmation.",
    verified: "Thank you: your request is verified and our privacy team is working on it.",
    completed: "Your opt-out is in effect. We emailed you a confirmation.",
    confirmed: "Thank you: your subscription is confirmed. You can withdraw your consent at any time, as easily as you gave it.",
  };
  const m = messages[q.get("status")];
  if (m) document.getElementById("message").textContent = m;
})();
