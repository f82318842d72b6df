// The retention sweep's reports, newest first: what each run removed by
// kind of record, and the errors it met; counts only, never a person.
import { api } from "./api.js";
import { el, replace, table, time, words, badge, errorBox } from "./dom.js";

export async function render(main) {
  const results = el("div");
  replace(main, el("h1", {}, "Sweep reports"),
    el("p", { class: "hint" }, "The retention sweep removes personal data once its retention period ends; each run's report is kept 24 months."),
    results);
  await page(results, "");
}

async function page(results, cursor) {
  const out = await api("/v1/admin/sweeps", { query: { cursor, limit: "25" } });
  const total = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);
  const rows = out.sweeps.map((s) => [
    time(s.started_at),
    s.status === "finished" ? badge("finished", "ok") : s.status === "failed" || s.status === "interrupted" ? badge(s.status, "bad") : badge(words(s.status)),
    time(s.ended_at),
    String(total(s.removed)),
    Object.entries(s.removed || {}).map(([k, n]) => words(k) + ": " + n).join("; ") || "nothing due",
    String(s.dependents),
    s.errors ? Object.entries(s.errors).map(([k, n]) => k + " ×" + n).join(", ") : "none",
  ]);
  const more = out.next_cursor ? el("button", { type: "button", class: "secondary", onclick: (e) => {
    e.currentTarget.remove();
    page(results, out.next_cursor).catch((err) => results.append(errorBox(err)));
  } }, "Show older reports") : null;
  results.append(rows.length ? table("Runs, newest first", ["Started", "Status", "Ended", "Removed", "By kind", "With them", "Errors"], rows) :
    el("p", {}, "No run has reported yet."), more);
}
