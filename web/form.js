// Client-side checks with an error summary, for the forms of the request
// page (index.html) and the limit page (limit-sensitive.html). The forms
// post without this script, and the service checks everything again; the
// script only saves a round trip and says what is wrong in one place:
//
//   - On submit, every field the browser finds invalid, and the form's own
//     rules, are listed in the form's summary (data-summary names it, a
//     <div> with a <ul>), each as a link to its field; the summary takes
//     focus, so a screen reader reads it first (WCAG 3.3.1).
//   - Each invalid field gets aria-invalid and its message beside it, tied
//     with aria-describedby next to its hint.
//   - data-need-checked="types": at least one checkbox of that name.
//   - data-one-of="email phone": at least one of these fields.
//
// The messages speak the form's own labels. No inline script or handler,
// so the pages run under a strict Content-Security-Policy.
"use strict";

(function () {
  function labelOf(field) {
    const l = field.labels && field.labels[0];
    const t = l ? l.textContent : field.name;
    return t.replace(/\s*\((optional|only for an agent)\)\s*$/i, "").trim();
  }

  function message(field) {
    const v = field.validity;
    const name = labelOf(field);
    if (field.type === "checkbox" && v.valueMissing) return "Tick “" + name + "” to send the form.";
    if (v.valueMissing) return "Enter your " + name.toLowerCase() + ".";
    if (v.typeMismatch && field.type === "email") return name + ": enter an address like name@example.com.";
    if (v.tooLong) return name + " is too long.";
    if (v.patternMismatch) return name + " is not in the expected form.";
    return name + ": " + field.validationMessage;
  }

  function clear(form) {
    for (const el of form.querySelectorAll(".field-error")) {
      const field = document.getElementById(el.dataset.for);
      if (field) {
        field.removeAttribute("aria-invalid");
        const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== el.id);
        if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
        else field.removeAttribute("aria-describedby");
      }
      el.remove();
    }
  }

  function mark(field, text) {
    const err = document.createElement("p");
    err.className = "field-error";
    err.id = field.id + "-error";
    err.dataset.for = field.id;
    err.textContent = text;
    const anchor = field.type === "checkbox" ? field.closest("label") : field;
    anchor.after(err);
    field.setAttribute("aria-invalid", "true");
    const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    field.setAttribute("aria-describedby", ids.concat(err.id).join(" "));
  }

  function check(form) {
    const problems = [];
    const need = form.dataset.needChecked;
    if (need) {
      const boxes = form.querySelectorAll('input[type="checkbox"][name="' + need + '"]');
      if (boxes.length && !Array.from(boxes).some((b) => b.checked)) {
        const legend = boxes[0].closest("fieldset").querySelector("legend");
        problems.push([boxes[0], "Choose at least one option under “" + legend.textContent.trim() + "”"]);
      }
    }
    const oneOf = (form.dataset.oneOf || "").split(/\s+/).filter(Boolean).map((id) => document.getElementById(id));
    if (oneOf.length && oneOf.every((f) => !f.value.trim())) {
      problems.push([oneOf[0], "Give your " + oneOf.map((f) => labelOf(f).toLowerCase()).join(" or ") + "."]);
    }
    for (const field of form.elements) {
      if (field.id && field.willValidate && !field.checkValidity()) problems.push([field, message(field)]);
    }
    return problems;
  }

  function show(summary, problems) {
    const list = summary.querySelector("ul");
    list.textContent = "";
    for (const [field, text] of problems) {
      const a = document.createElement("a");
      a.href = "#" + field.id;
      a.textContent = text;
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        field.focus();
      });
      const li = document.createElement("li");
      li.append(a);
      list.append(li);
    }
    summary.hidden = false;
    summary.focus();
  }

  for (const form of document.querySelectorAll("form[data-summary]")) {
    const summary = document.getElementById(form.dataset.summary);
    if (!summary) continue;
    form.noValidate = true; // the summary replaces the browser's bubbles
    form.addEventListener("submit", (ev) => {
      clear(form);
      const problems = check(form);
      if (problems.length === 0) {
        summary.hidden = true;
        return;
      }
      ev.preventDefault();
      for (const [field, text] of problems) mark(field, text);
      show(summary, problems);
      document.title = document.title.replace(/^(Error: )?/, "Error: ");
    });
  }
})();
