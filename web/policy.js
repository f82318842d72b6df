// The privacy policy page (privacy-policy.html): the effective date it
// shows comes from the service's register of policy versions
// (GET /v1/policy-versions), so the page says what the register says
// (the policy, section 14: changes are posted "with the revised effective
// date"). The date is shown in the company's time zone, Pacific time.
//
//   - #policy-effective shows "Effective Date: <date> (version <id>)" of
//     the version in force; the page's own text stays when the register
//     cannot be read or is empty.
//   - #policy-upcoming, hidden until then, announces a version published
//     ahead of its date: when it takes effect and what changes.
//
// The register's address is the data-register attribute of
// #policy-effective, else /v1/policy-versions on the page's origin. No
// inline script or handler and no third-party resource, so the page runs
// under a strict Content-Security-Policy. <body data-policy-state> is
// "ready" once the register is shown, "error" when it could not be read.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const effective = $("policy-effective");
  if (!effective) return;
  const registerURL = new URL(effective.getAttribute("data-register") || "/v1/policy-versions", document.baseURI);
  const day = new Intl.DateTimeFormat("en-US", { timeZone: "America/Los_Angeles", year: "numeric", month: "long", day: "numeric" });

  function show(register) {
    const current = register.current;
    if (current) {
      effective.textContent = "Effective Date: " + day.format(new Date(current.effective_at)) + " (version " + current.version + ")";
    }
    const now = Date.now();
    const upcoming = (register.versions || []).filter((v) => Date.parse(v.effective_at) > now);
    const box = $("policy-upcoming");
    if (box && upcoming.length > 0) {
      const next = upcoming[upcoming.length - 1]; // the list is latest first: the next to take effect is last
      box.textContent = "";
      const head = document.createElement("p");
      head.textContent = "A new version (" + next.version + ") takes effect on " + day.format(new Date(next.effective_at)) + ". What changes:";
      const summary = document.createElement("p");
      summary.textContent = next.summary;
      box.append(head, summary);
      box.hidden = false;
    }
    document.body.setAttribute("data-policy-state", "ready");
  }

  fetch(registerURL, { headers: { Accept: "application/json" }, credentials: "omit" })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("status " + r.status))))
    .then(show)
    .catch(() => document.body.setAttribute("data-policy-state", "error"));
})();
