// The "Do Not Sell or Share My Personal Information" page (do-not-sell.html).
// The page works without this script (the form posts email and phone); the
// script adds what only a script can:
//
//   - a first-party browser id, made once and kept in localStorage, so that
//     the opt-out can cover this browser even when no email or phone is given;
//   - the page's own address as return_url, so the service sends the browser
//     back here (?ref=<id>&status=opted_out) after the form post;
//   - whether this browser is opted out (GET /v1/opt-out/status);
//   - the Global Privacy Control signal: when navigator.globalPrivacyControl
//     is true the page says that the signal is honoured (11 CCR §7025(c)(6))
//     and, if the browser is not opted out yet, posts the opt-out for its id
//     so the signal takes effect (§7025(c)(1)). The browser adds the Sec-GPC
//     header to that request itself; a script cannot set it.
//
// No inline script or handler and no third-party resource, so the page can
// run under a strict Content-Security-Policy. The API's address is taken
// from the form's action, so the page follows wherever the form posts.
// When the script is done, <body data-optout-state> is "ready" or "error".
"use strict";

(function () {
  const STORAGE_KEY = "claritru_browser_id";
  const BROWSER_ID = /^[A-Za-z0-9._-]{8,128}$/; // as the service checks it
  const REF = /^[0-9A-HJKMNP-TV-Z]{26}$/;

  const $ = (id) => document.getElementById(id);
  const form = $("optout-form");
  if (!form) return;
  const optOutURL = new URL(form.getAttribute("action") || "/v1/opt-out", document.baseURI);

  function newBrowserID() {
    if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The browser id, made once; "" when it cannot be kept (storage blocked),
  // since an id that is forgotten at once would recognise no one.
  function browserID() {
    try {
      let id = localStorage.getItem(STORAGE_KEY);
      if (!id || !BROWSER_ID.test(id)) {
        id = newBrowserID();
        localStorage.setItem(STORAGE_KEY, id);
      }
      return localStorage.getItem(STORAGE_KEY) === id ? id : "";
    } catch (e) {
      return "";
    }
  }

  function showOptedOut(since) {
    const t = since ? new Date(since) : null;
    if (t && !isNaN(t)) {
      const el = $("since");
      el.dateTime = t.toISOString();
      el.textContent = t.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
      $("opted-out-since").hidden = false;
    }
    $("opted-out").hidden = false;
  }

  async function getJSON(url, init) {
    const resp = await fetch(url, Object.assign({ credentials: "omit", cache: "no-store" }, init));
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    return resp.json();
  }

  function optOutStatus(id) {
    const url = new URL(optOutURL);
    url.pathname = url.pathname.replace(/\/?$/, "/status");
    url.search = "";
    url.searchParams.set("browser_id", id);
    return getJSON(url, { headers: { Accept: "application/json" } });
  }

  function optOutBrowser(id) {
    return getJSON(optOutURL, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ browser_id: id }),
    });
  }

  // Back from the form post: ?ref=<id>&status=opted_out.
  const query = new URLSearchParams(location.search);
  if (query.get("status") === "opted_out") {
    const ref = query.get("ref");
    if (ref && REF.test(ref)) {
      $("ref").textContent = ref;
      $("confirmation-ref").hidden = false;
    }
    $("confirmation").hidden = false;
  }

  $("return_url").value = location.origin + location.pathname;

  const id = browserID();
  if (id) {
    $("browser_id").value = id;
    $("browser-hint").hidden = false;
  }

  // With no identifier at all the service can do nothing: say so before
  // posting. (With the browser id, an empty form opts out this browser.)
  const email = $("email");
  const phone = $("phone");
  const clear = () => email.setCustomValidity("");
  email.addEventListener("input", clear);
  phone.addEventListener("input", clear);
  form.addEventListener("submit", (ev) => {
    if (!$("browser_id").value && !email.value.trim() && !phone.value.trim()) {
      ev.preventDefault();
      email.setCustomValidity("Please give your email or phone.");
      email.reportValidity();
    }
  });

  const gpc = navigator.globalPrivacyControl === true;
  if (gpc) $("gpc-notice").hidden = false;

  async function init() {
    if (!id) return;
    let status = null;
    try {
      status = await optOutStatus(id);
    } catch (e) {
      // Unknown: with GPC on, post anyway; a repeat opt-out is harmless.
    }
    if (status && status.opted_out === true) {
      showOptedOut(status.since);
      return;
    }
    if (gpc) {
      let receipt;
      try {
        receipt = await optOutBrowser(id);
      } catch (e) {
        $("gpc-error").hidden = false;
        throw e;
      }
      if (receipt && receipt.status === "opted_out") showOptedOut(receipt.effective_at);
    } else if (!status) {
      throw new Error("opt-out status unavailable");
    }
  }

  init().then(
    () => { document.body.dataset.optoutState = "ready"; },
    () => { document.body.dataset.optoutState = "error"; },
  );
})();
