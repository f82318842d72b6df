// The 11 CCR §7102 figures of a calendar year: requests received, complied
// with and denied by type (those never verified among the denials), the
// median days to respond, and the opt-outs by how they came; a bar chart
// drawn here as SVG repeats the counts, and the table holds every figure.
import { api } from "./api.js";
import { el, replace, table, words, errorBox, field } from "./dom.js";

const types = ["know", "access", "correct", "delete", "opt_out", "limit_sensitive", "restrict", "portability", "object"];
const series = [["received", "Received", "#0b5cad"], ["completed", "Complied with", "#1d6b2c"], ["denied", "Denied", "#8a1010"]];
const SVG = "http://www.w3.org/2000/svg";

export async function render(main) {
  const year = el("input", { type: "number", min: "2000", max: "9999", step: "1", value: String(new Date().getFullYear()), inputmode: "numeric" });
  const results = el("div", { id: "metrics-results" });
  const form = el("form", { class: "filters" }, field("metrics-year", "Calendar year", year), el("button", { type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    show(results, year.value).catch((err) => replace(results, errorBox(err)));
  });
  replace(main, el("h1", {}, "Request metrics (11 CCR §7102)"), form, results);
  await show(results, year.value);
}

async function show(results, year) {
  const m = await api("/v1/admin/metrics", { query: { year } });
  const shown = types.filter((t) => m.received[t] || m.completed[t] || m.denied[t]);
  const rows = shown.map((t) => [words(t), String(m.received[t] || 0), String(m.completed[t] || 0), String(m.denied[t] || 0),
    String(m.denied_by_reason.unverifiable[t] || 0), m.median_days_to_respond[t] === undefined ? "—" : String(m.median_days_to_respond[t])]);
  const sources = Object.entries(m.opt_outs_by_source || {});
  replace(results,
    el("h2", {}, "Requests in " + m.year),
    shown.length ? [chart(m, shown), legend()] : el("p", {}, "No request was received in " + m.year + "."),
    shown.length ? table("Requests by type, " + m.year, ["Type", "Received", "Complied with", "Denied", "Of which never verified", "Median days to respond"], rows) : null,
    el("h2", {}, "Opt-outs of sale and sharing in " + m.year),
    sources.length ? table("Opt-outs by how they came", ["Source", "Opt-outs"], sources.map(([k, n]) => [words(k), String(n)])) :
      el("p", {}, "No opt-out took effect in " + m.year + "."));
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// chart draws one group of bars per type, scaled to the largest count.
function chart(m, shown) {
  const label = 130, width = 640, bar = 14, gap = 4, group = series.length * (bar + gap) + 14;
  const height = shown.length * group + 10;
  const max = Math.max(1, ...shown.flatMap((t) => series.map(([k]) => m[k][t] || 0)));
  const scale = (width - label - 50) / max;
  const root = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "chart", role: "img", "aria-labelledby": "chart-title" });
  root.append(svg("title", { id: "chart-title" }, "Requests received, complied with and denied in " + m.year + ", by type; the table below gives the figures."));
  shown.forEach((t, i) => {
    const y0 = 5 + i * group;
    root.append(svg("text", { x: 0, y: y0 + group / 2, "font-size": 13, fill: "#1a1a1a" }, words(t)));
    series.forEach(([k, , colour], j) => {
      const n = m[k][t] || 0;
      const y = y0 + j * (bar + gap);
      root.append(svg("rect", { x: label, y, width: Math.max(1, n * scale), height: bar, fill: colour }));
      root.append(svg("text", { x: label + Math.max(1, n * scale) + 4, y: y + bar - 3, "font-size": 12, fill: "#1a1a1a" }, String(n)));
    });
  });
  return root;
}

function legend() {
  return el("ul", { class: "legend", "aria-hidden": "true" },
    series.map(([k, name]) => el("li", {}, el("span", { class: "swatch " + k }), name)));
}
