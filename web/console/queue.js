// The queue: requests by status, the soonest due first (GET
// /v1/admin/requests, one status per call), with those overdue and those
// due within a week marked in words and colour.
import { api } from "./api.js";
import { el, replace, table, day, words, badge, errorBox, field, select } from "./dom.js";

export const openStatuses = ["pending_verification", "received", "verified", "in_progress", "extended", "appealed"];
const closedStatuses = ["completed", "denied", "cancelled", "expired_unverified"];
const WEEK = 7 * 24 * 3600 * 1000;

// The filter survives moving to a request and back.
const filter = { status: "open", due: "any" };

// dueMark says whether an open request is overdue or due within a week.
export function dueMark(r, now) {
  if (!openStatuses.includes(r.status)) return null;
  const due = Date.parse(r.due_at);
  if (due < now) return "overdue";
  if (due < now + WEEK) return "due-soon";
  return null;
}

export function dueCell(r, now) {
  const m = dueMark(r, now);
  return [day(r.due_at), m ? " " : "", m === "overdue" ? badge("Overdue", "overdue") : m === "due-soon" ? badge("Due this week", "due-soon") : null];
}

async function load(now, cursor) {
  const dueBefore = filter.due === "overdue" ? new Date(now).toISOString() : filter.due === "week" ? new Date(now + WEEK).toISOString() : "";
  const statuses = filter.status === "open" ? openStatuses : [filter.status];
  const pages = await Promise.all(statuses.map((s) => api("/v1/admin/requests", {
    query: { status: s, due_before: dueBefore, limit: "100", cursor: statuses.length === 1 ? cursor : "" },
  })));
  const requests = pages.flatMap((p) => p.requests);
  requests.sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  return { requests, more: pages.some((p) => p.next_cursor), next: pages.length === 1 ? pages[0].next_cursor : "" };
}

export async function render(main) {
  const now = Date.now();
  const status = select([["open", "Open (every open status)"], ...openStatuses.concat(closedStatuses).map((s) => [s, words(s)])]);
  status.value = filter.status;
  const due = select([["any", "Any date"], ["week", "Due within a week, or overdue"], ["overdue", "Overdue"]]);
  due.value = filter.due;
  const results = el("div", { id: "queue-results" });
  const form = el("form", { class: "filters", id: "queue-filter" },
    field("queue-status", "Status", status), field("queue-due", "Due", due),
    el("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    filter.status = status.value;
    filter.due = due.value;
    fill(results, Date.now(), "").catch((err) => replace(results, errorBox(err)));
  });
  replace(main, el("h1", {}, "Request queue"),
    el("p", { class: "hint" }, "The soonest due first. Every deadline ends at the end of its day in the company's time zone."),
    form, results);
  await fill(results, now, "");
}

async function fill(results, now, cursor) {
  replace(results, el("p", {}, "Loading…"));
  const page = await load(now, cursor);
  const overdue = page.requests.filter((r) => dueMark(r, now) === "overdue").length;
  const soon = page.requests.filter((r) => dueMark(r, now) === "due-soon").length;
  const rows = page.requests.map((r) => [
    el("a", { href: "#request/" + r.id, class: "mono" }, r.id),
    words(r.status),
    r.types.map(words).join(", "),
    [r.first_name, r.last_name].filter(Boolean).join(" ") || "—",
    // An agent's request by the Data Rights Protocol names the agent.
    r.agent_id ? words(r.channel) + " (" + r.agent_id + ")" : words(r.channel),
    day(r.received_at),
    dueCell(r, now),
  ]);
  const caption = page.requests.length + " request" + (page.requests.length === 1 ? "" : "s") +
    (overdue ? ", " + overdue + " overdue" : "") + (soon ? ", " + soon + " due this week" : "");
  replace(results,
    page.requests.length === 0 ? el("p", { id: "queue-empty" }, "No request matches.") :
      table(caption, ["Reference", "Status", "Rights", "Name", "Channel", "Received", "Due"], rows,
        (i) => dueMark(page.requests[i], now)),
    page.next ? el("button", { type: "button", class: "secondary", onclick: () => fill(results, now, page.next).catch((err) => replace(results, errorBox(err))) }, "Show the next page") : null,
    page.more && !page.next ? el("p", { class: "hint" }, "More requests are open than shown: choose one status to page through them.") : null);
}
