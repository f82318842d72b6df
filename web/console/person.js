// One person, by email, phone or browser id: the consent history with the
// check of its hash chain, where opt-out and limit stand, the withdrawal
// staff record when a person asks by phone, letter or email (handlers),
// and the export and erasure (admins), each behind a confirm step. The
// identifier stays in this page's memory, never in its address.
import { api } from "./api.js";
import { el, replace, table, time, words, badge, announce, errorBox, field, select } from "./dom.js";

const purposes = ["email_marketing", "sms_marketing", "sms_transactional", "cookies_functional", "cookies_analytics", "cookies_advertising"];
const kinds = [["email", "Email"], ["phone", "Phone"], ["browser_id", "Browser id"]];

let subject = null;

// openPerson shows the person's view of an identifier.
export function openPerson(kind, value) {
  subject = { kind, value };
  if (location.hash === "#person") window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = "#person";
}

export async function render(main, ctx) {
  const kind = select(kinds);
  const value = el("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  if (subject) {
    kind.value = subject.kind;
    value.value = subject.value;
  }
  const results = el("div", { id: "person-results" });
  const form = el("form", { class: "filters", id: "person-lookup", novalidate: true },
    field("person-kind", "Find by", kind), field("person-value", "Identifier", value), el("button", { type: "submit" }, "Look up"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!value.value.trim()) {
      replace(results, errorBox(new Error("Give the person's email, phone or browser id.")));
      return;
    }
    subject = { kind: kind.value, value: value.value.trim() };
    show(results, ctx).catch((err) => replace(results, errorBox(err)));
  });
  replace(main, el("h1", {}, "A person's records"), form, results);
  if (subject) await show(results, ctx);
}

async function show(results, ctx) {
  replace(results, el("p", {}, "Loading…"));
  const who = { [subject.kind]: subject.value };
  const check = (purpose) => api("/v1/admin/consents/check", { query: { ...who, purpose } });
  const [history, sale, sensitive] = await Promise.all([api("/v1/admin/consents", { query: who }), check("ad_audiences"), check("sensitive_data")]);
  replace(results,
    el("h2", {}, "Consent history"),
    chain(history),
    history.current.length ? table("Where each purpose stands", ["Purpose", "Status", "Since", "Receipt"],
      history.current.map((c) => [words(c.purpose), words(c.status), time(c.since), el("span", { class: "mono" }, c.receipt_id)])) : null,
    history.events.length ? table("The log, oldest first", ["#", "When", "Event", "Facts"],
      history.events.map((e) => [String(e.seq), time(e.at), words(e.kind),
        Object.entries(e.fields).map(([k, v]) => words(k) + ": " + v).join("; ")])) :
      el("p", { id: "no-events" }, "The service holds no consent event for this identifier."),
    el("h2", {}, "Opt-out and limit"),
    el("ul", { id: "optout-state" },
      el("li", {}, sale.reason === "opted_out" ? ["Opted out of sale and sharing since ", time(sale.opted_out_at || sale.since)] : "Not opted out of sale and sharing."),
      el("li", {}, sensitive.reason === "limited" ? ["Use of sensitive information limited since ", time(sensitive.limited_at || sensitive.since)] : "Use of sensitive information not limited.")),
    ctx.may("handler") ? withdrawal(results, ctx) : null,
    ctx.may("admin") && subject.kind !== "browser_id" ? exportAndErase(results, ctx) : null);
}

// chain says whether the log is intact, event by event and against the
// head stored beside it.
function chain(h) {
  if (h.chain.valid) {
    return el("p", { id: "chain-check" }, badge("Chain intact", "ok"), " ",
      h.events.length + " event" + (h.events.length === 1 ? "" : "s") + " checked, each against the one before and the last against the stored head.");
  }
  return el("p", { id: "chain-check", class: "errors" }, badge("Chain broken", "bad"), " ",
    "The log fails at event " + h.chain.broken_at + ": " + h.chain.reason + ". Keep it as it is and report it.");
}

// withdrawal records a withdrawal staff took by phone, letter or email.
function withdrawal(results, ctx) {
  const boxes = purposes.map((p) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "purpose", value: p }), " ", words(p)));
  const channel = select([["phone", "By phone"], ["letter", "By letter"], ["email", "By email"]]);
  const note = el("textarea", { maxlength: "500" });
  const out = el("div");
  const form = el("form", { id: "withdrawal-form" },
    el("fieldset", {}, el("legend", {}, "Purposes withdrawn"), boxes),
    field("withdrawal-channel", "How the person told us", channel),
    field("withdrawal-note", "Note (optional)", note, "Plain text, no email address; e.g. when they called."),
    el("button", { type: "submit" }, "Record the withdrawal"), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = [...form.querySelectorAll('input[name="purpose"]:checked')].map((b) => ({ purpose: b.value, granted: false }));
    if (!chosen.length) {
      replace(out, errorBox(new Error("Choose at least one purpose the person withdrew.")));
      return;
    }
    const body = { subject: { [subject.kind]: subject.value }, events: chosen, channel: channel.value };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await api("/v1/admin/consents", { method: "POST", body });
      announce("The withdrawal is recorded.");
      await show(results, ctx);
      results.querySelector("h2").setAttribute("tabindex", "-1");
      results.querySelector("h2").focus();
    } catch (err) {
      replace(out, errorBox(err));
      out.firstChild.focus();
    }
  });
  return [el("h2", {}, "Record a withdrawal"),
    el("p", { class: "hint" }, "A person may withdraw consent by any reasonable means (47 CFR 64.1200(a)(10); GDPR Art. 7(3)). Staff cannot record a grant."),
    form];
}

// exportAndErase: the export (a handover of everything held) and the
// erasure, each asked for, then confirmed.
function exportAndErase(results, ctx) {
  const area = el("div", { id: "subject-area" });
  const exportButton = el("button", { type: "button", id: "export", onclick: () => confirmExport(area) }, "Export everything held…");
  const eraseButton = el("button", { type: "button", id: "erase", class: "danger", onclick: () => confirmErase(area, results, ctx) }, "Erase this person…");
  return [el("h2", {}, "Export and erasure"), el("div", { class: "actions" }, exportButton, eraseButton), area];
}

function confirmExport(area) {
  const format = select([["full", "Everything held (request to know or access)"], ["portable", "The portable copy (GDPR Art. 20)"]]);
  const form = el("form", { class: "panel", id: "export-confirm" },
    el("h3", {}, "Export"),
    el("p", {}, "The export holds this person's personal information, redacted where the law forbids disclosure; it is recorded as handed over. Hand it only to the verified requester."),
    field("export-format", "What to export", format),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Export now"),
      el("button", { type: "button", class: "secondary", onclick: () => replace(area) }, "Back")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const x = await api("/v1/admin/subjects/export", { query: { [subject.kind]: subject.value, format: format.value === "full" ? "" : format.value } });
      replace(area, exported(x));
      area.querySelector("h3").focus();
    } catch (err) {
      form.prepend(errorBox(err));
    }
  });
  replace(area, form);
  format.focus();
}

function exported(x) {
  const blob = new Blob([JSON.stringify(x, null, 2)], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: "export.json" }, "Download the export (JSON)");
  const requests = Array.isArray(x.requests) ? x.requests : [];
  const linked = Array.isArray(x.linked_identifiers) ? x.linked_identifiers : [];
  return el("section", { class: "panel", id: "export-result" },
    el("h3", { tabindex: "-1" }, "Export ready"),
    el("p", {}, link),
    requests.length ? table("The person's requests", ["Reference", "Status", "Received"],
      requests.map((r) => [r.id ? el("a", { href: "#request/" + r.id, class: "mono" }, r.id) : "—", words(r.status || ""), time(r.received_at)])) : el("p", {}, "No request."),
    linked.length ? table("Linked identifiers (only proven and vouched ones' records are in the export)", ["Kind", "Reference", "Evidence"],
      linked.map((l) => [words(l.kind), el("span", { class: "mono" }, l.reference), l.evidence])) : el("p", {}, "No linked identifier."),
    x.withheld && x.withheld.length ? el("p", {}, "Withheld by law: " + x.withheld.map((w) => w.label + " (" + w.count + ")").join(", ") + ".") : null);
}

function confirmErase(area, results, ctx) {
  const reason = el("textarea", { required: true, maxlength: "2000" });
  const sure = el("input", { type: "checkbox", id: "erase-sure", required: true });
  const form = el("form", { class: "panel danger", id: "erase-confirm", novalidate: true },
    el("h3", {}, "Erase this person"),
    el("p", {}, "Everything held about this person and the identifiers proven or vouched as theirs is deleted; their requests are kept as the request log without personal data, and an opt-out stays in force. This cannot be undone."),
    field("erase-reason", "Why (e.g. the verified request to delete)", reason),
    el("label", { class: "check", for: "erase-sure" }, sure, " I checked the request to delete is verified, and understand this cannot be undone."),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "danger", id: "erase-confirm-button" }, "Erase permanently"),
      el("button", { type: "button", class: "secondary", onclick: () => replace(area) }, "Back")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    form.querySelector(".errors")?.remove();
    if (!reason.value.trim() || !sure.checked) {
      const box = errorBox(new Error("Say why, and tick the box, to erase."));
      form.prepend(box);
      box.focus();
      return;
    }
    try {
      const out = await api("/v1/admin/subjects/erase", { method: "POST", body: { [subject.kind]: subject.value, reason: reason.value.trim() } });
      announce("The person is erased.");
      replace(area, erased(out));
      area.querySelector("h3").focus();
    } catch (err) {
      const box = errorBox(err);
      form.prepend(box);
      box.focus();
    }
  });
  replace(area, form);
  reason.focus();
}

function erased(out) {
  const counts = (o) => Object.entries(o || {}).filter(([, n]) => n > 0).map(([k, n]) => words(k) + ": " + n).join(", ") || "none";
  return el("section", { class: "notice", id: "erase-result" },
    el("h3", { tabindex: "-1" }, "Erased"),
    el("p", {}, "Erased ", time(out.erased_at), " by " + out.actor + "."),
    el("p", {}, "Deleted: " + counts(out.deleted) + "."),
    el("p", {}, "Minimised: " + counts(out.minimised) + "."),
    out.kept.length ? el("ul", {}, out.kept.map((k) => el("li", {}, k))) : null);
}
