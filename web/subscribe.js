// The email and text message sign-up (subscribe.html): consent to marketing
// emails and to marketing texts, recorded with POST /v1/consents.
//
//   - The words next to each box are the company's, kept by the service:
//     the page loads GET /v1/disclosures and shows the entry its disclosure
//     element names (data-disclosure-id on #disclosure-email,
//     #disclosure-sms) exactly as stored, as text. The form stays hidden
//     until they are shown.
//   - One POST per purpose ticked, since one POST carries one disclosure:
//     each names its disclosure by id and version, and the service records
//     the stored words, so the record holds exactly the words the person
//     agreed to. For texts that is the proof of prior express written
//     consent the TCPA asks for (47 CFR 64.1200(a)(2), (f)(9)): the service
//     adds the time, IP address and user agent.
//   - Each POST names only the identifier its purpose needs: the email for
//     email_marketing, the phone for sms_marketing.
//   - age_confirmed is the "I am 18 or older" box: the services are not for
//     people under 18 (privacy policy §8), and the service refuses a marketing
//     grant without it (422, shown like every field error).
//   - A marketing email grant is pending until the person follows the link
//     mailed to them (double opt-in): the page says "Check your inbox to
//     confirm". A marketing text grant is pending until the number itself
//     confirms it: the service texts a 6-digit code, and the page shows a
//     box (#sms-code) that posts the number and the code to
//     POST /v1/consents/confirm. <body data-sms-code-state> is "waiting"
//     while the box is shown, then "busy", "confirmed" or "error".
//   - Stopping is the same call with granted: false (GDPR Art. 7(3)).
//
// The form is visible without this script, so that stopping works as a
// plain form post; signing up waits for the stored words: the Sign up
// button stays disabled until they are shown. No
// inline script or handler and no third-party resource. The API's address is
// the form's data-api attribute, else /v1/consents on the page's origin; the
// disclosures are read from /v1/disclosures beside it.
// Back from a confirmed email subscription (?ref=<id>&status=confirmed) the
// page says so. <body data-subscribe-state> is "ready" once the disclosures
// are shown, then "busy" while sending, then "done" or "error" ("error" at
// once, with #sub-unavailable shown, when the disclosures cannot be loaded).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("subscribe-form");
  if (!form) return;
  $("sub-submit").disabled = true; // until the stored words are shown
  const apiURL = new URL(form.dataset.api || "/v1/consents", document.baseURI);
  const disclosuresURL = new URL("disclosures", apiURL);
  const MAX_SOURCE_URL = 2048;

  const channels = {
    email_marketing: {
      box: $("sub-email-marketing"),
      disclosure: $("disclosure-email"),
      input: $("sub-email"),
      subject: "email",
      name: "Marketing emails",
      missing: "Give your email address to receive marketing emails.",
    },
    sms_marketing: {
      box: $("sub-sms-marketing"),
      disclosure: $("disclosure-sms"),
      input: $("sub-phone"),
      subject: "phone",
      name: "Marketing texts",
      missing: "Give your mobile number to receive marketing texts.",
    },
  };

  // Field names of the service's problem documents, as the form calls them.
  const fieldLabels = {
    "subject.email": "Email",
    "subject.phone": "Mobile phone",
    "subject.browser_id": "Email or phone",
    age_confirmed: "I am 18 or older",
    disclosure: "Terms shown",
    "disclosure.text": "Terms shown",
  };
  const fieldInputs = {
    "subject.email": $("sub-email"),
    "subject.phone": $("sub-phone"),
    age_confirmed: $("sub-age"),
  };

  // The catalogue entry each purpose is shown with, once loaded.
  const shown = {};

  // Shows the stored words of each disclosure element; false when the
  // catalogue cannot be read or lacks one, and then nothing can be signed.
  async function loadDisclosures() {
    let list;
    try {
      const resp = await fetch(disclosuresURL, { credentials: "omit", headers: { Accept: "application/json" } });
      if (!resp.ok) return false;
      list = await resp.json();
    } catch (e) {
      return false;
    }
    if (!Array.isArray(list)) return false;
    for (const [purpose, ch] of Object.entries(channels)) {
      const entry = list.find((d) => d && d.id === ch.disclosure.dataset.disclosureId &&
        typeof d.version === "string" && typeof d.text === "string" &&
        Array.isArray(d.purposes) && d.purposes.includes(purpose));
      if (!entry) return false;
      shown[purpose] = entry;
      ch.disclosure.textContent = entry.text;
      ch.disclosure.dataset.disclosureVersion = entry.version;
    }
    return true;
  }

  function sourceURL() {
    return location.href.length <= MAX_SOURCE_URL ? location.href : location.origin + location.pathname;
  }

  // A failed call, with the problem document's field errors when it has them.
  class CallError extends Error {
    constructor(message, fields) {
      super(message);
      this.fields = fields || [];
    }
  }

  async function record(purpose, granted) {
    const ch = channels[purpose];
    const body = {
      subject: { [ch.subject]: ch.input.value.trim() },
      events: [{ purpose, granted }],
      disclosure: { id: shown[purpose].id, version: shown[purpose].version },
      source_url: sourceURL(),
      legal_basis: "consent",
      locale: navigator.language || null,
    };
    if (granted) body.age_confirmed = $("sub-age").checked;
    let resp;
    try {
      resp = await fetch(apiURL, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw new CallError("We could not reach our service. Please check your connection and try again.");
    }
    if (resp.status === 201) {
      const receipt = await resp.json();
      if (!receipt || typeof receipt.receipt_id !== "string" || !Array.isArray(receipt.purposes)) {
        throw new CallError("We could not read the answer of our service. Please try again.");
      }
      return receipt;
    }
    let problem = null;
    if ((resp.headers.get("Content-Type") || "").includes("json")) {
      try {
        problem = await resp.json();
      } catch (e) {
        // not a problem document after all
      }
    }
    if (resp.status === 422 && problem && Array.isArray(problem.errors) &&
        problem.errors.some((e) => e && typeof e.field === "string" && e.field.startsWith("disclosure"))) {
      // The words changed since the page loaded them.
      throw new CallError("Our terms have changed since this page was opened. Please reload the page and read them again.");
    }
    if (problem && Array.isArray(problem.errors) && problem.errors.length) {
      throw new CallError(problem.detail || "Please correct the fields below.", problem.errors);
    }
    if (resp.status === 429) throw new CallError("We are busy just now. Please try again in a moment.");
    throw new CallError((problem && problem.detail) || "Something went wrong on our side. Please try again later.");
  }

  function outcomeText(purpose, p) {
    switch (p.status) {
      case "pending":
        if (purpose === "sms_marketing") {
          return "We texted you a code: type it below to confirm. We send no marketing texts until the phone's owner confirms them.";
        }
        return "Check your inbox to confirm: we emailed you a link. We send marketing emails only once you confirm.";
      case "granted":
        return purpose === "sms_marketing" ? "You are signed up. Reply STOP to any text to stop." : "You are signed up.";
      case "withdrawn":
        return purpose === "sms_marketing" ? "Stopped: we send you no more marketing texts." : "Stopped: we send you no more marketing emails.";
      default:
        return purpose === "email_marketing" ? "You are not signed up for marketing emails." : "You are not signed up for marketing texts.";
    }
  }

  function resetMessages() {
    const errors = $("sub-errors");
    const result = $("sub-result");
    errors.replaceChildren();
    errors.hidden = true;
    result.replaceChildren();
    result.hidden = true;
    for (const input of Object.values(fieldInputs)) input.removeAttribute("aria-invalid");
  }

  function showReceipt(purpose, receipt) {
    const result = $("sub-result");
    for (const p of receipt.purposes) {
      if (!p || p.purpose !== purpose) continue;
      const line = document.createElement("p");
      line.className = "outcome";
      line.dataset.purpose = purpose;
      line.dataset.status = p.status;
      line.dataset.receipt = receipt.receipt_id;
      const name = document.createElement("strong");
      name.textContent = channels[purpose].name + ": ";
      const ref = document.createElement("span");
      ref.className = "ref";
      ref.textContent = " Your reference: " + receipt.receipt_id + ".";
      line.append(name, outcomeText(purpose, p), ref);
      result.append(line);
    }
    result.hidden = false;
  }

  function showError(purpose, err) {
    const errors = $("sub-errors");
    let list = errors.querySelector("ul");
    if (!list) {
      const head = document.createElement("p");
      head.textContent = "Please check the following:";
      list = document.createElement("ul");
      errors.append(head, list);
    }
    const seen = new Set(Array.from(list.children, (li) => li.dataset.field + "\n" + li.dataset.message));
    const add = (field, message, prefix) => {
      if (seen.has(field + "\n" + message)) return;
      seen.add(field + "\n" + message);
      const li = document.createElement("li");
      li.dataset.field = field;
      li.dataset.message = message;
      li.textContent = (prefix ? prefix + ": " : "") + message;
      list.append(li);
      if (fieldInputs[field]) fieldInputs[field].setAttribute("aria-invalid", "true");
    };
    const who = purpose ? channels[purpose].name : "";
    if (err.fields && err.fields.length) {
      for (const f of err.fields) {
        if (!f || typeof f.field !== "string") continue;
        add(f.field, String(f.message), fieldLabels[f.field] || f.field);
      }
    } else {
      add("", err.message, who);
    }
    errors.hidden = false;
  }

  function setBusy(busy) {
    for (const b of form.querySelectorAll("button")) b.disabled = busy;
    if (busy) document.body.dataset.subscribeState = "busy";
  }

  // Records one call per purpose, in order, and shows each answer.
  async function run(purposes, granted) {
    resetMessages();
    setBusy(true);
    let failed = false;
    for (const purpose of purposes) {
      const ch = channels[purpose];
      if (!ch.input.value.trim()) {
        showError(purpose, new CallError(ch.missing, [{ field: "subject." + ch.subject, message: ch.missing }]));
        failed = true;
        continue;
      }
      try {
        const receipt = await record(purpose, granted);
        showReceipt(purpose, receipt);
        if (purpose === "sms_marketing" && receipt.purposes.some((p) => p && p.purpose === purpose && p.status === "pending")) {
          showCodeBox(ch.input.value.trim());
        }
        if (!granted) ch.box.checked = false;
      } catch (e) {
        showError(purpose, e instanceof CallError ? e : new CallError("Something went wrong. Please try again."));
        failed = true;
      }
    }
    setBusy(false);
    document.body.dataset.subscribeState = failed ? "error" : "done";
  }

  // The code texted to the number confirms a marketing text grant.
  const confirmURL = new URL("consents/confirm", disclosuresURL);
  let codePhone = "";

  function showCodeBox(phone) {
    codePhone = phone;
    $("sms-code-input").value = "";
    $("sms-code-result").hidden = true;
    $("sms-code").hidden = false;
    document.body.dataset.smsCodeState = "waiting";
  }

  async function confirmCode() {
    const out = $("sms-code-result");
    const say = (msg, state) => {
      out.textContent = msg;
      out.hidden = false;
      document.body.dataset.smsCodeState = state;
    };
    document.body.dataset.smsCodeState = "busy";
    let resp;
    try {
      resp = await fetch(confirmURL, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ phone: codePhone, code: $("sms-code-input").value.trim() }),
      });
    } catch (e) {
      say("We could not reach our service. Please check your connection and try again.", "error");
      return;
    }
    if (resp.status === 200) {
      say("Your number is confirmed: you are signed up for marketing texts. Reply STOP to any text to stop, HELP for help.", "confirmed");
      $("sms-code-input").setAttribute("aria-invalid", "false");
      return;
    }
    $("sms-code-input").setAttribute("aria-invalid", "true");
    if (resp.status === 422 || resp.status === 400) {
      say("This code is not valid: it may be mistyped, used or expired. Check the text, or sign up again for a new code.", "error");
      return;
    }
    say(resp.status === 429 ? "We are busy just now. Please try again in a moment." : "Something went wrong on our side. Please try again later.", "error");
  }
  $("sms-code-submit").addEventListener("click", () => confirmCode());

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const purposes = Object.keys(channels).filter((p) => channels[p].box.checked);
    if (purposes.length === 0) {
      resetMessages();
      showError("", new CallError("Tick marketing emails, marketing texts or both."));
      document.body.dataset.subscribeState = "error";
      return;
    }
    run(purposes, true);
  });
  // The stop buttons submit the form when there is no script; here they
  // call the service themselves.
  $("sub-withdraw-email").addEventListener("click", (ev) => { ev.preventDefault(); run(["email_marketing"], false); });
  $("sub-withdraw-sms").addEventListener("click", (ev) => { ev.preventDefault(); run(["sms_marketing"], false); });

  // Back from the confirmation link's page (POST /v1/consents/confirm sends
  // a browser to an allow-listed page with ?ref=<receipt_id>&status=confirmed).
  const query = new URLSearchParams(location.search);
  const ref = query.get("ref");
  if (query.get("status") === "confirmed" && ref && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(ref)) {
    const line = document.createElement("p");
    line.className = "outcome";
    line.dataset.purpose = "email_marketing";
    line.dataset.status = "granted";
    line.dataset.receipt = ref;
    const name = document.createElement("strong");
    name.textContent = channels.email_marketing.name + ": ";
    const span = document.createElement("span");
    span.className = "ref";
    span.textContent = " Your reference: " + ref + ".";
    line.append(name, "Your address is confirmed: you are signed up.", span);
    $("sub-result").append(line);
    $("sub-result").hidden = false;
  }

  loadDisclosures().then((ok) => {
    if (!ok) {
      $("sub-unavailable").hidden = false;
      document.body.dataset.subscribeState = "error";
      return;
    }
    $("sub-submit").disabled = false;
    document.body.dataset.subscribeState = "ready";
  });
})();
