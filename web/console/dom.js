// Building the console's pages from the API's answers: elements made with
// text nodes only (never HTML from data), dates in the reader's zone, and
// the messages of the API's problem+json answers. No inline style or
// handler anywhere, for the strict Content-Security-Policy.

// el makes an element: attrs are attributes (a function value is an event
// listener, false or null leaves the attribute out), children are nodes or
// text.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === "function") e.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties a node and fills it anew.
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// table makes a captioned table: columns are header texts, rows arrays of
// cells (nodes or text); rowClass, when given, names a row's class.
// The table scrolls sideways inside its own region on a narrow screen; the
// region takes focus so it can be scrolled from the keyboard.
let tables = 0;
export function table(caption, columns, rows, rowClass) {
  const id = "table-" + ++tables;
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c)));
  const body = rows.map((r, i) => el("tr", { class: rowClass ? rowClass(i) || false : false },
    r.map((c, j) => (j === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c)))));
  const t = el("table", {}, el("caption", { id }, caption), el("thead", {}, head), el("tbody", {}, body));
  return el("div", { class: "table-wrap", role: "region", "aria-labelledby": id, tabindex: "0" }, t);
}

// facts makes a description list of [term, value] pairs; empty values are
// left out.
export function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    dl.append(el("dt", {}, k), el("dd", {}, v));
  }
  return dl;
}

const dayFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const timeFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

// day and time show an RFC 3339 time; the full value is kept in <time>.
export function day(iso) {
  return iso ? el("time", { datetime: iso }, dayFmt.format(new Date(iso))) : "";
}
export function time(iso) {
  return iso ? el("time", { datetime: iso }, timeFmt.format(new Date(iso))) : "";
}

// words turns an API code (in_progress) into words (in progress).
export function words(code) {
  return String(code || "").replace(/_/g, " ");
}

// badge is a short label; the words carry the meaning, the colour only
// repeats it.
export function badge(text, kind) {
  return el("span", { class: "badge" + (kind ? " " + kind : "") }, text);
}

// announce says a result to screen readers through the page's status
// region.
export function announce(msg) {
  const s = document.getElementById("status");
  s.textContent = "";
  // A fresh text after a tick, so the same message is read again.
  setTimeout(() => { s.textContent = msg; }, 50);
}

// errorBox shows an API error: the problem's detail and each field's
// message, focused so that it is read first.
export function errorBox(err) {
  const p = err && err.problem;
  const items = p && Array.isArray(p.errors) ? p.errors.map((e) => el("li", {}, (e.field ? e.field + ": " : "") + e.message)) : [];
  const box = el("div", { class: "errors", role: "alert", tabindex: "-1" },
    el("p", {}, (p && (p.detail || p.title)) || (err && err.message) || "Something went wrong."),
    items.length ? el("ul", {}, items) : null);
  return box;
}

// field makes a labelled input, select or textarea; opts.hint adds a hint
// tied with aria-describedby.
export function field(id, label, control, hint) {
  control.id = id;
  if (!control.name) control.name = id;
  const parts = [el("label", { for: id }, label)];
  if (hint) {
    parts.push(el("p", { class: "hint", id: id + "-hint" }, hint));
    control.setAttribute("aria-describedby", id + "-hint");
  }
  parts.push(control);
  return el("div", { class: "field" }, parts);
}

// select makes a <select> of [value, text] options.
export function select(options, attrs) {
  return el("select", attrs || {}, options.map(([v, t]) => el("option", { value: v }, t)));
}
