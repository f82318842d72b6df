// One request: what the person asked, its clock, the actions its rules
// allow now (the service lists them in `actions`; the console offers
// those and no others, each behind a form that confirms it), its history,
// its mail and the systems' jobs. A staff member whose role cannot act
// sees no action.
import { api } from "./api.js";
import { el, replace, table, facts, day, time, words, badge, announce, errorBox, field, select } from "./dom.js";
import { dueCell } from "./queue.js";
import { openPerson } from "./person.js";

const labels = {
  verify: "Verify the person",
  resend: "Send the receipt again",
  agent_permission: "Record the agent's permission",
  start: "Start work",
  decide_correction: "Decide the corrections",
  extend: "Extend the deadline",
  complete: "Complete",
  appeal: "Record an appeal",
  uphold: "Uphold the denial",
  overturn: "Overturn the denial",
  deny: "Deny",
  cancel: "Cancel the request",
};

const methods = [["phone_callback", "Called back the number on file"], ["knowledge_based", "Questions only the person can answer"],
  ["in_person", "In person, with an ID"], ["signed_declaration", "Declaration under penalty of perjury"]];

const bases = [["other", "Other (explain in the reason)"], ["unverified", "Could not verify the identity"],
  ["agent_unauthorized", "Agent without signed permission"], ["legal_obligation", "Legal obligation to keep"],
  ["legal_claims", "Legal claims"], ["others_rights", "Other people's rights"],
  ["unfounded_or_excessive", "Manifestly unfounded or excessive"], ["correction_accurate", "Information found accurate"]];

export async function render(main, ctx, id) {
  const r = await api("/v1/admin/requests/" + encodeURIComponent(id));
  const now = Date.now();
  const name = [r.first_name, r.last_name].filter(Boolean).join(" ");
  const contact = r.email || r.phone;
  replace(main,
    el("p", {}, el("a", { href: "#queue" }, "Back to the queue")),
    el("h1", { tabindex: "-1" }, "Request ", el("span", { class: "mono" }, r.id)),
    facts([
      ["Status", el("span", { id: "request-status" }, words(r.status))],
      ["Rights", r.types.map(words).join(", ")],
      ["Name", name],
      ["Email", r.email],
      ["Phone", r.phone],
      ["Postal address", r.postal_address],
      ["Business", r.practice_name],
      ["Country, state", [r.country, r.state].filter(Boolean).join(", ")],
      ["Details", r.details],
      ["Correction", r.correction],
      ["Agent", r.on_behalf ? (r.agent_name || "an authorized agent") + (r.agent_email ? " (" + r.agent_email + ")" : "") +
        (r.agent_permission_at ? "; permission recorded" : "; permission not recorded") : ""],
      ["Channel", r.agent_id ? words(r.channel) + " (Data Rights Protocol, agent " + r.agent_id + ")" : words(r.channel)],
      ["Clock", words(r.regime).toUpperCase()],
      ["Received", time(r.received_at)],
      ["Due", dueCell(r, now)],
      ["Extended", r.extended ? "yes: " + (r.extension_reason || "") : ""],
      ["Verified by", r.verification_method ? words(r.verification_method) : ""],
      ["Closed", time(r.closed_at)],
      ["Outcome", r.outcome],
      ["Denial", r.denial_basis],
      ["Appeal", r.appeal_received_at ? "received " + new Date(r.appeal_received_at).toLocaleDateString() +
        (r.appeal_decision ? "; " + r.appeal_decision + ": " + (r.appeal_reason || "") : "") : ""],
      ["Version", String(r.version)],
    ]),
    r.undeliverable ? undeliverable(r, ctx, main) : null,
    contact ? el("p", {}, el("button", { type: "button", class: "secondary", id: "open-person",
      onclick: () => openPerson(r.email ? "email" : "phone", contact) }, "Open this person's view")) : null,
    actions(r, ctx, main),
    corrections(r),
    el("h2", {}, "History"),
    table("Every change, oldest first", ["When", "Action", "From", "To", "By", "Note"],
      r.history.map((e) => [time(e.at), words(e.action), words(e.from), words(e.to), e.actor, e.note || ""])),
    el("h2", {}, "Mail"),
    r.mail.length ? table("The request's mail, oldest first (never its address or content)", ["Mail", "Status", "Attempts", "Sent", "Note"],
      r.mail.map((m) => [words(m.template), words(m.status), String(m.attempts), time(m.sent_at),
        m.held_reason || m.error || m.undeliverable_reason || ""])) : el("p", {}, "No mail."),
    el("h2", {}, "Systems' jobs"),
    jobs(r, ctx, main));
}

function reload(main, ctx, r, msg) {
  announce(msg);
  // The page is drawn anew: focus goes to its heading, and the status
  // region says what was done.
  return render(main, ctx, r.id).then(() => main.querySelector("h1").focus());
}

// actions lists the buttons of the actions the service allows now; each
// opens a form that says what the action needs, and confirms it.
function actions(r, ctx, main) {
  const box = el("section", { "aria-labelledby": "actions-h" }, el("h2", { id: "actions-h" }, "Actions"));
  if (!ctx.may("handler")) {
    box.append(el("p", { id: "no-actions" }, "Your role (" + ctx.me.role + ") lets you read requests, not act on them."));
    return box;
  }
  if (!r.actions.length) {
    box.append(el("p", { id: "no-actions" }, "No action is open on a request that is " + words(r.status) + "."));
    return box;
  }
  const panel = el("div", { id: "action-panel" });
  const buttons = el("div", { class: "actions" }, r.actions.map((a) => el("button", {
    type: "button", class: a === "deny" || a === "cancel" ? "secondary" : false, "data-action": a,
    "aria-controls": "action-panel", onclick: () => openAction(panel, r, a, ctx, main),
  }, labels[a] || words(a))));
  box.append(buttons, panel);
  return box;
}

function textarea(attrs) {
  return el("textarea", attrs || {});
}

// tellBy is needed when the person gave no email: how staff told them.
function tellBy(r, a) {
  if (r.email || r.channel === "web" || !["extend", "complete", "deny", "cancel"].includes(a)) return null;
  return field("act-told_by", "How you told the person", select([["phone", "By phone"], ["mail", "By letter"]]),
    "The person gave no email address, so the service sends no mail.");
}

function actionFields(r, a) {
  switch (a) {
    case "verify":
      return [field("act-method", "How you verified the person", select(methods)),
        field("act-note", "What you checked", textarea({ required: true, maxlength: "2000" }), "Kept with the request; the history says only how.")];
    case "agent_permission":
      return [field("act-note", "The signed permission (reference or note)", textarea({ required: true, maxlength: "2000" }))];
    case "extend":
      return [field("act-reason", "Why more time is needed", textarea({ required: true, maxlength: "2000" }), "The requester is told this reason (11 CCR §7021(b))."), tellBy(r, a)];
    case "complete":
      return [field("act-outcome", "What was done", textarea({ maxlength: "5000" }), "The completion mail tells the requester."),
        field("act-override_reason", "Why it is complete while systems have not answered the deletion (only then)", textarea({ maxlength: "2000" })),
        tellBy(r, a)];
    case "deny":
      return [field("act-basis", "Basis", select(bases)),
        field("act-reason", "Reason", textarea({ maxlength: "2000" }), "Required with the basis Other; else it adds to the basis's words. The requester is told (11 CCR §7101(b))."),
        tellBy(r, a)];
    case "cancel":
      return [field("act-reason", "Note for the history (optional)", textarea({ maxlength: "2000" })), tellBy(r, a)];
    case "appeal":
      return [field("act-appealed_at", "When the appeal arrived (optional; now if empty)", el("input", { type: "datetime-local" })),
        field("act-reason", "Note for the history (optional)", textarea({ maxlength: "2000" }))];
    case "uphold":
    case "overturn":
      return [field("act-reason", "The reasons for the decision", textarea({ required: true, maxlength: "2000" }), "The requester is told them.")];
    case "decide_correction":
      return (r.corrections || []).map((c, i) => decisionFields(c, i, r.status === "completed"));
  }
  return [];
}

function decisionFields(c, i, closed) {
  const options = closed ? [["", "Leave as it is"], ["deny", "Deny (contested)"]] : [["", "Leave undecided"], ["accept", "Accept"], ["accept_in_part", "Accept in part"], ["deny", "Deny"]];
  return el("fieldset", { "data-item": String(i) },
    el("legend", {}, "Item " + (i + 1) + ": " + c.item),
    el("p", {}, "Held: " + (c.current_value || "—") + "; asked: " + c.corrected_value + (c.decision ? "; decided: " + words(c.decision) : "")),
    field("dec-" + i + "-decision", "Decision", select(options)),
    closed ? null : field("dec-" + i + "-applied_value", "Value now held (accept in part)", el("input", { type: "text" })),
    closed ? null : field("dec-" + i + "-reason", "Reason (deny or accept in part)", textarea({ maxlength: "2000" })),
    field("dec-" + i + "-statement", "The person's statement, when they contest a denial", textarea({ maxlength: "3000" })));
}

function openAction(panel, r, a, ctx, main) {
  const form = el("form", { class: "panel" + (a === "deny" || a === "cancel" ? " danger" : ""), id: "action-form", "data-action": a, novalidate: true },
    el("h3", {}, labels[a] || words(a)),
    actionFields(r, a),
    el("div", { class: "actions" },
      el("button", { type: "submit", id: "action-confirm", class: a === "deny" || a === "cancel" ? "danger" : false }, "Confirm: " + (labels[a] || words(a)).toLowerCase()),
      el("button", { type: "button", class: "secondary", onclick: () => replace(panel) }, "Back")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = actionBody(form, r, a);
    const confirm = form.querySelector("#action-confirm");
    confirm.disabled = true;
    try {
      await api("/v1/admin/requests/" + r.id + "/actions", { method: "POST", body });
      await reload(main, ctx, r, (labels[a] || a) + ": done.");
    } catch (err) {
      confirm.disabled = false;
      const box = errorBox(err);
      form.querySelector(".errors")?.remove();
      form.prepend(box);
      box.focus();
    }
  });
  replace(panel, form);
  (form.querySelector("textarea, select, input") || form.querySelector("#action-confirm")).focus();
}

function actionBody(form, r, a) {
  const body = { action: a, version: r.version };
  for (const k of ["method", "note", "reason", "outcome", "override_reason", "basis", "told_by"]) {
    const f = form.querySelector("#act-" + k);
    if (f && f.value.trim()) body[k] = f.value.trim();
  }
  const at = form.querySelector("#act-appealed_at");
  if (at && at.value) body.appealed_at = new Date(at.value).toISOString();
  if (a === "decide_correction") {
    body.decisions = [];
    for (const fs of form.querySelectorAll("fieldset[data-item]")) {
      const i = Number(fs.dataset.item);
      const v = (k) => (fs.querySelector("#dec-" + i + "-" + k) || { value: "" }).value.trim();
      if (!v("decision")) continue;
      const d = { item: i, decision: v("decision") };
      if (v("applied_value")) d.applied_value = v("applied_value");
      if (v("reason")) d.reason = v("reason");
      if (v("statement") || r.status === "completed") {
        d.contested = true;
        if (v("statement")) d.statement = v("statement");
      }
      body.decisions.push(d);
    }
  }
  return body;
}

function corrections(r) {
  if (!r.corrections || !r.corrections.length) return null;
  return [el("h2", {}, "Corrections"),
    table("Each item and the decision on it", ["Item", "Held", "Asked for", "Decision", "Value now held", "Reason"],
      r.corrections.map((c) => [c.item, c.current_value || "", c.corrected_value, c.decision ? words(c.decision) + (c.contested ? " (contested)" : "") : "undecided",
        c.applied_value || "", c.reason || ""]))];
}

// jobs lists the systems told to act on the request; a handler records the
// answer of a system that does not call back.
function jobs(r, ctx, main) {
  if (!r.jobs.length) return el("p", {}, "No system was told to act on this request.");
  const rows = r.jobs.map((j) => [
    j.system, words(j.action), words(j.reach),
    [words(j.status), j.overdue ? [" ", badge("Overdue", "overdue")] : null],
    day(j.due_at),
    j.answered_at ? [words(j.outcome), " ", time(j.answered_at), j.answered_by ? " by " + j.answered_by : "", j.note ? ": " + j.note : ""] :
      ctx.may("handler") ? el("button", { type: "button", class: "secondary", "data-job": j.id, onclick: (e) => answerForm(e.currentTarget, j, r, ctx, main) }, "Record the answer of " + j.system) : "awaited",
  ]);
  return table("Every system told, oldest first", ["System", "Right", "Reached by", "Status", "Due", "Answer"], rows, (i) => (r.jobs[i].overdue ? "overdue" : null));
}

function answerForm(button, j, r, ctx, main) {
  const outcome = select([["done", "Done"], ["not_found", "Held nothing of the person"], ["refused", "Could not act (say why)"]]);
  const form = el("form", { class: "panel" },
    field("job-outcome-" + j.id, "The answer of " + j.system, outcome),
    field("job-note-" + j.id, "Note", textarea({ maxlength: "1000" }), "Required when the system could not act."),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Record the answer"),
      el("button", { type: "button", class: "secondary", onclick: () => form.replaceWith(button) }, "Back")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { outcome: outcome.value };
    const note = form.querySelector("#job-note-" + j.id).value.trim();
    if (note) body.note = note;
    try {
      await api("/v1/admin/jobs/" + encodeURIComponent(j.id), { method: "POST", body });
      await reload(main, ctx, r, "The answer of " + j.system + " is recorded.");
    } catch (err) {
      form.querySelector(".errors")?.remove();
      const box = errorBox(err);
      form.prepend(box);
      box.focus();
    }
  });
  button.replaceWith(form);
  outcome.focus();
}

// undeliverable shows the mark of the requester's address; a handler clears
// it once the person confirmed a working address.
function undeliverable(r, ctx, main) {
  const u = r.undeliverable;
  const box = el("div", { class: u.in_effect ? "errors" : "notice" },
    el("p", {}, u.in_effect ? "The service stopped mailing this address: " + words(u.reason) + (u.subtype ? " (" + words(u.subtype) + ")" : "") + " since " + new Date(u.at).toLocaleDateString() + "." :
      "This address was marked undeliverable (" + words(u.reason) + ") and cleared since."));
  if (u.in_effect && ctx.may("handler") && r.email) {
    const reason = textarea({ required: true, maxlength: "500" });
    const form = el("form", {}, field("deliverable-reason", "Why mail may flow again", reason, "Plain text, no email address."),
      el("button", { type: "submit" }, "Mail this address again"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("/v1/admin/subjects/deliverable", { method: "POST", body: { email: r.email, reason: reason.value.trim() } });
        await reload(main, ctx, r, "The address is mailed again.");
      } catch (err) {
        form.prepend(errorBox(err));
      }
    });
    box.append(form);
  }
  return box;
}
