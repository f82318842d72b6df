// The cookie banner. Any page includes it with
//
//   <script src="/consent.js" defer></script>
//
// and marks each tracking script inert, so that the browser does not run it:
//
//   <script type="text/plain" data-consent="analytics" data-src="/demo/analytics.js"></script>
//
// with data-consent one of functional, analytics or advertising. The privacy
// policy says: "Tracking scripts are disabled until consent is given." This
// script keeps that promise: it creates a real script element for a category
// only once the service has recorded a grant of that category, never before.
//
//   - The banner's words are the company's, kept by the service: the script
//     loads GET /v1/disclosures and shows the cookie-banner entry exactly as
//     stored, as text (#cookie-banner-text), before the banner opens.
//   - The choice is recorded with POST /v1/consents for the browser's
//     first-party id (the one web/optout.js keeps in localStorage under
//     claritru_browser_id), one event per category, granted or not, naming
//     the disclosure shown by id and version: the service records the stored
//     words, so the record proves what the person saw (GDPR Art. 7(1)).
//   - Only after a 201 is the choice stored (localStorage
//     claritru_cookie_choice) and are scripts activated, each category only
//     when its status in the receipt is "granted".
//   - Advertising is sale or sharing, which the person can stop elsewhere
//     (the Do Not Sell or Share page, a request, an opt-out of their email):
//     on every page load the script asks GET /v1/choices for the browser id,
//     and runs advertising scripts only when the service answers
//     cookies_advertising allowed, whatever the stored choice says. When the
//     browser is opted out the checkbox is unchecked and disabled, with a
//     note (#cookie-optout-note) (11 CCR §7026(f)). If the service cannot be
//     asked, advertising stays off.
//   - Global Privacy Control: when navigator.globalPrivacyControl is true,
//     advertising stays off (the checkbox is disabled, with a note) and the
//     choice is still recorded; the browser adds Sec-GPC: 1 to that request
//     itself (11 CCR §7025), and the service never records an advertising
//     grant under the signal. The signal is also an opt-out of sale and
//     sharing on every page with the banner (§7025(b)): unless the service
//     already has the browser opted out, the script posts POST /v1/opt-out
//     for the browser id (the browser sends Sec-GPC: 1 with it), so once
//     per browser; the localStorage key claritru_gpc_recorded remembers
//     that it was recorded, for a page that cannot ask the service. The
//     page then says "Opt-out request honored" (#gpc-honored; §7025(c)(6)).
//   - "Cookie settings" (#cookie-settings) opens the banner again; changing or
//     withdrawing a choice is the same call as giving it, as easy as giving it
//     (GDPR Art. 7(3)).
//
// No inline script or style and no third-party resource. The API's address
// is the script element's data-api attribute, else /v1/consents on the page's
// origin; /v1/disclosures, /v1/choices and /v1/opt-out are read beside it.
// <body data-consent-state> is "ready" once initialised (the banner's words
// loaded, the service asked, the signal recorded), "saved" after a choice is
// recorded, "error" when the words could not be loaded or recording failed.
"use strict";

(function () {
  const ID_KEY = "claritru_browser_id";
  const CHOICE_KEY = "claritru_cookie_choice";
  const GPC_KEY = "claritru_gpc_recorded";
  const BROWSER_ID = /^[A-Za-z0-9._-]{8,128}$/; // as the service checks it
  const CATEGORIES = ["functional", "analytics", "advertising"];
  const DISCLOSURE_ID = "cookie-banner";
  const MAX_SOURCE_URL = 2048;

  const self = document.currentScript;
  const apiURL = new URL((self && self.dataset.api) || "/v1/consents", document.baseURI);
  const disclosuresURL = new URL("disclosures", apiURL);
  const choicesURL = new URL("choices", apiURL);
  const optOutURL = new URL("opt-out", apiURL);
  const gpc = navigator.globalPrivacyControl === true;

  function newBrowserID() {
    if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The browser id web/optout.js uses, made the same way if missing. When
  // storage is blocked the id lives for this page only: the choice is still
  // recorded, but cannot be remembered, so the banner asks again next time.
  let pageOnlyID = "";
  function browserID() {
    try {
      let id = localStorage.getItem(ID_KEY);
      if (!id || !BROWSER_ID.test(id)) {
        id = newBrowserID();
        localStorage.setItem(ID_KEY, id);
      }
      if (localStorage.getItem(ID_KEY) === id) return id;
    } catch (e) {
      // storage blocked
    }
    if (!pageOnlyID) pageOnlyID = newBrowserID();
    return pageOnlyID;
  }

  function storedChoice() {
    try {
      const c = JSON.parse(localStorage.getItem(CHOICE_KEY) || "null");
      if (c && typeof c === "object" && typeof c.receipt_id === "string" &&
          CATEGORIES.every((k) => typeof c[k] === "boolean")) {
        return c;
      }
    } catch (e) {
      // unreadable or blocked: ask again
    }
    return null;
  }

  function storeChoice(c) {
    try {
      localStorage.setItem(CHOICE_KEY, JSON.stringify(c));
    } catch (e) {
      // blocked: the choice is recorded by the service all the same
    }
  }

  function gpcRecorded() {
    try {
      return localStorage.getItem(GPC_KEY) !== null;
    } catch (e) {
      return false;
    }
  }

  function rememberGPC(at) {
    try {
      localStorage.setItem(GPC_KEY, at);
    } catch (e) {
      // blocked: the service has it; the next page asks it first
    }
  }

  // The service's answer for this browser: { advertising, optedOut }, or
  // null when it could not be asked (advertising then stays off).
  let service = null;

  async function fetchChoices() {
    try {
      const u = new URL(choicesURL);
      u.searchParams.set("browser_id", browserID());
      const resp = await fetch(u, { credentials: "omit", cache: "no-store", headers: { Accept: "application/json" } });
      if (!resp.ok) return null;
      const c = await resp.json();
      if (!c || !Array.isArray(c.purposes) || typeof c.opted_out !== "boolean") return null;
      const ads = c.purposes.find((p) => p && p.purpose === "cookies_advertising");
      return { advertising: !!ads && ads.allowed === true, optedOut: c.opted_out };
    } catch (e) {
      return null;
    }
  }

  // Records the signal as an opt-out of this browser, once; the browser
  // adds Sec-GPC: 1 to the request. Returns whether it is on record.
  async function recordGPC() {
    try {
      const resp = await fetch(optOutURL, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ browser_id: browserID() }),
      });
      if (resp.status !== 200) return false;
      const receipt = await resp.json();
      if (!receipt || receipt.status !== "opted_out") return false;
      rememberGPC(receipt.effective_at || new Date().toISOString());
      return true;
    } catch (e) {
      return false;
    }
  }

  // Turns the inert scripts of a category into real ones, in document order,
  // once each. Only scripts with a data-src are supported: an inline script
  // would need 'unsafe-inline' in the page's Content-Security-Policy.
  function activate(category) {
    const inert = document.querySelectorAll('script[type="text/plain"][data-consent="' + category + '"]');
    for (const el of inert) {
      if (el.dataset.consentActivated || !el.dataset.src) continue;
      el.dataset.consentActivated = "true";
      const s = document.createElement("script");
      for (const a of el.attributes) {
        if (a.name === "type" || a.name === "id" || a.name === "data-src" || a.name.startsWith("data-consent")) continue;
        s.setAttribute(a.name, a.value);
      }
      s.src = new URL(el.dataset.src, document.baseURI).href;
      s.async = false; // keep the order the page gave
      s.dataset.consentCategory = category;
      el.after(s);
    }
  }

  function isActive(category) {
    return document.querySelector('script[data-consent-category="' + category + '"]') !== null;
  }

  // --- the banner ---------------------------------------------------------

  function el(tag, props, children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children || []) e.append(c);
    return e;
  }

  const labels = {
    functional: "Functional",
    analytics: "Analytics",
    advertising: "Advertising",
  };

  function buildBanner() {
    // Filled with the stored words once they are loaded (showDisclosure).
    const text = el("p", { id: "cookie-banner-text" }, []);
    const boxes = CATEGORIES.map((k) => {
      const input = el("input", { type: "checkbox", id: "cookie-" + k, name: k });
      return el("label", { className: "check" }, [input, " " + labels[k]]);
    });
    const gpcNote = el("p", { id: "cookie-gpc-note", className: "hint", hidden: true }, [
      "Your browser sends the Global Privacy Control signal, so advertising cookies stay " +
        "off: we honour the signal as a request to opt out of the sale and sharing of your " +
        "personal information.",
    ]);
    const optOutNote = el("p", { id: "cookie-optout-note", className: "hint", hidden: true }, [
      "You have opted out of the sale and sharing of your personal information, so advertising " +
        "cookies stay off on this browser, whatever was chosen here before. ",
      el("a", { href: "/do-not-sell.html" }, ["Do Not Sell or Share My Personal Information"]),
    ]);
    const error = el("p", { id: "cookie-error", className: "cookie-error", hidden: true }, [
      "We could not save your choice just now. Please try again; until then nothing new is turned on.",
    ]);
    const unavailable = el("p", { id: "cookie-unavailable", className: "cookie-error", hidden: true }, [
      "We could not load our cookie notice just now, so nothing is turned on. Please reload the page later.",
    ]);
    unavailable.setAttribute("role", "alert");
    error.setAttribute("role", "alert");
    const buttons = el("div", { className: "cookie-buttons" }, [
      // Enabled once the words are shown (showDisclosure).
      el("button", { type: "button", id: "cookies-accept-all", disabled: true }, ["Accept all"]),
      el("button", { type: "button", id: "cookies-reject-all", disabled: true }, ["Reject all"]),
      el("button", { type: "button", id: "cookies-save", disabled: true }, ["Save my choices"]),
    ]);
    const links = el("p", { className: "hint" }, [
      el("a", { href: "/privacy-policy.html" }, ["Privacy Policy"]),
      " · ",
      el("a", { href: "/do-not-sell.html" }, ["Do Not Sell or Share My Personal Information"]),
    ]);
    const banner = el("section", { id: "cookie-banner", className: "cookie-banner", hidden: true }, [
      el("h2", { id: "cookie-banner-title" }, ["Cookies"]),
      text,
      el("fieldset", {}, [el("legend", {}, ["Cookie categories"])].concat(boxes)),
      gpcNote,
      optOutNote,
      error,
      unavailable,
      buttons,
      links,
    ]);
    banner.setAttribute("role", "region");
    banner.setAttribute("aria-labelledby", "cookie-banner-title");
    return banner;
  }

  const banner = buildBanner();
  const $ = (id) => banner.querySelector("#" + id);
  const box = (k) => $("cookie-" + k);

  // The catalogue entry the banner shows, once loaded.
  let disclosure = null;

  async function fetchDisclosure() {
    try {
      const resp = await fetch(disclosuresURL, { credentials: "omit", headers: { Accept: "application/json" } });
      if (!resp.ok) return null;
      const list = await resp.json();
      const entry = Array.isArray(list) ? list.find((d) => d && d.id === DISCLOSURE_ID) : null;
      if (!entry || typeof entry.version !== "string" || typeof entry.text !== "string" ||
          !Array.isArray(entry.purposes) || !CATEGORIES.every((k) => entry.purposes.includes("cookies_" + k))) {
        return null;
      }
      return entry;
    } catch (e) {
      return null;
    }
  }

  // Shows the stored words, or says they could not be loaded; without them
  // no choice can be recorded.
  function showDisclosure(entry) {
    disclosure = entry;
    $("cookie-banner-text").textContent = entry ? entry.text : "";
    $("cookie-unavailable").hidden = !!entry;
    for (const b of banner.querySelectorAll(".cookie-buttons button")) b.disabled = !entry;
  }

  function openBanner() {
    const c = storedChoice();
    for (const k of CATEGORIES) box(k).checked = c ? c[k] : false;
    const optedOut = !!service && service.optedOut;
    if (gpc || optedOut) {
      box("advertising").checked = false;
      box("advertising").disabled = true;
    }
    $("cookie-gpc-note").hidden = !gpc;
    $("cookie-optout-note").hidden = gpc || !optedOut;
    $("cookie-error").hidden = true;
    banner.hidden = false;
  }

  function setBusy(busy) {
    for (const b of banner.querySelectorAll("button")) b.disabled = busy || !disclosure;
  }

  async function record(choice) {
    const source = location.href.length <= MAX_SOURCE_URL ? location.href : location.origin + location.pathname;
    const body = {
      subject: { browser_id: browserID() },
      events: CATEGORIES.map((k) => ({ purpose: "cookies_" + k, granted: choice[k] })),
      disclosure: { id: disclosure.id, version: disclosure.version },
      source_url: source,
      legal_basis: "consent",
      locale: navigator.language || null,
    };
    const resp = await fetch(apiURL, {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (resp.status !== 201) throw new Error("HTTP " + resp.status);
    const receipt = await resp.json();
    if (!receipt || typeof receipt.receipt_id !== "string" || !Array.isArray(receipt.purposes)) {
      throw new Error("not a consent receipt");
    }
    return receipt;
  }

  async function save(choice) {
    setBusy(true);
    $("cookie-error").hidden = true;
    let receipt;
    try {
      receipt = await record(choice);
    } catch (e) {
      $("cookie-error").hidden = false;
      setBusy(false);
      document.body.dataset.consentState = "error";
      return;
    }
    // What is in effect is what the service recorded, not what was asked.
    const granted = {};
    for (const k of CATEGORIES) {
      const p = receipt.purposes.find((x) => x && x.purpose === "cookies_" + k);
      granted[k] = !!p && p.status === "granted";
    }
    const stored = { receipt_id: receipt.receipt_id, at: receipt.consent_timestamp || new Date().toISOString() };
    for (const k of CATEGORIES) stored[k] = granted[k];
    storeChoice(stored);
    if (granted.advertising) {
      // A grant does not undo an opt-out: ask the service again.
      service = await fetchChoices();
      granted.advertising = !!service && service.advertising;
    }
    let stillRunning = false;
    for (const k of CATEGORIES) {
      if (granted[k]) activate(k);
      else if (isActive(k)) stillRunning = true;
    }
    // A script that has run cannot be unloaded; it stops with the page.
    settingsNote.hidden = !stillRunning;
    banner.hidden = true;
    setBusy(false);
    document.body.dataset.consentState = "saved";
  }

  function fromBoxes() {
    const c = {};
    for (const k of CATEGORIES) c[k] = box(k).checked && !box(k).disabled;
    return c;
  }

  $("cookies-accept-all").addEventListener("click", () => {
    for (const k of CATEGORIES) if (!box(k).disabled) box(k).checked = true;
    save(fromBoxes());
  });
  $("cookies-reject-all").addEventListener("click", () => {
    for (const k of CATEGORIES) box(k).checked = false;
    save(fromBoxes());
  });
  $("cookies-save").addEventListener("click", () => save(fromBoxes()));

  // --- "Cookie settings" --------------------------------------------------

  let settings = document.getElementById("cookie-settings");
  if (!settings) {
    settings = el("button", { type: "button", id: "cookie-settings", className: "cookie-settings" }, ["Cookie settings"]);
  }
  const settingsNote = el("span", { id: "cookie-reload-note", className: "hint", hidden: true }, [
    " Your choice is saved. Scripts you turned off stop when you reload the page.",
  ]);
  settings.addEventListener("click", (ev) => {
    ev.preventDefault();
    openBanner();
    box("functional").focus();
  });

  // "Opt-out request honored" (11 CCR §7025(c)(6)), shown while the
  // browser sends the signal and the service has it on record.
  const honored = el("p", { id: "gpc-honored", className: "notice", hidden: true }, ["Opt-out request honored"]);
  honored.setAttribute("role", "status");

  // Asks the service about this browser and records the signal when it is
  // not on record yet.
  async function applyService() {
    service = await asking;
    if (!gpc) return;
    let onRecord;
    if (service) {
      onRecord = service.optedOut || (await recordGPC());
    } else {
      // The service could not be asked: a signal recorded before stands,
      // else try to record it now.
      onRecord = gpcRecorded() || (await recordGPC());
    }
    if (onRecord && service) service.optedOut = true;
    honored.hidden = !onRecord;
  }

  async function init() {
    // The banner is a non-modal region early in the tab order, right after
    // the site's header: a keyboard user reaches it at once, and it covers
    // only part of a phone's screen (the page stays usable behind it).
    const header = document.querySelector("body > header");
    if (header) header.after(banner);
    else document.body.prepend(banner);
    (document.querySelector("main") || document.body).prepend(honored);
    if (settings.isConnected) {
      settings.after(settingsNote);
    } else {
      const footer = el("p", { className: "cookie-footer" }, [settings, settingsNote]);
      document.body.append(footer);
    }

    // A choice already recorded applies at once; the words are needed only
    // to make one. Advertising waits for the service's answer.
    const c = storedChoice();
    if (c) {
      for (const k of CATEGORIES) {
        if (c[k] && k !== "advertising") activate(k);
      }
    }
    await applyService();
    // The signal and an opt-out outrank an earlier advertising grant.
    if (c && c.advertising && !gpc && service && service.advertising) activate("advertising");
    showDisclosure(await loading);
    // Other pages' "Cookie settings" link comes here as #cookie-settings.
    if (!c || location.hash === "#cookie-settings") openBanner();
    document.body.dataset.consentState = disclosure ? "ready" : "error";
  }

  // Fetched while the rest of the page loads.
  const loading = fetchDisclosure();
  const asking = fetchChoices();

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
