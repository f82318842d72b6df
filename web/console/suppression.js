// The suppression feed of each ad platform of the register: what it has
// not taken yet, whether that is late (15 business days, 11 CCR §7026(f)),
// and the deliveries recorded, newest first. A handler records that a
// platform took the feed up to the version shown.
import { api } from "./api.js";
import { el, replace, table, time, badge, announce, errorBox } from "./dom.js";

export async function render(main, ctx) {
  const systems = await api("/v1/admin/systems");
  const platforms = (systems.systems || []).filter((s) => s.role === "ad_platform" && s.reach === "feed");
  replace(main, el("h1", {}, "Suppression feed"),
    el("p", { class: "hint" }, "Opt-outs of sale and sharing each ad platform must take within 15 business days (11 CCR §7026(f)); identifiers appear only hashed."));
  if (!platforms.length) {
    main.append(el("p", {}, "The register names no ad platform fed the suppression list."));
    return;
  }
  for (const p of platforms) {
    const section = el("section", { "aria-labelledby": "feed-" + p.id }, el("h2", { id: "feed-" + p.id }, p.name));
    main.append(section);
    await platform(section, p, ctx);
  }
}

async function platform(section, p, ctx) {
  const [feed, deliveries] = await Promise.all([
    api("/v1/admin/suppression/feed", { query: { platform: p.id, limit: "5000" } }),
    api("/v1/admin/suppression/deliveries", { query: { platform: p.id } }),
  ]);
  const body = el("div");
  body.append(el("p", {},
    feed.late ? badge("Late", "bad") : badge(feed.count ? "Pending" : "Up to date", feed.count ? "due-soon" : "ok"), " ",
    feed.count + (feed.complete ? "" : " or more") + " opt-out" + (feed.count === 1 ? "" : "s") + " not yet taken",
    feed.oldest_pending ? ["; the oldest from ", time(feed.oldest_pending)] : "", "."));
  if (ctx.may("handler") && feed.count > 0) {
    const out = el("div");
    const button = el("button", { type: "button", class: "secondary" }, "Record that " + p.name + " took these " + feed.count);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("/v1/admin/suppression/deliveries", { method: "POST", body: { platform: p.id, version: feed.version, entries: feed.count } });
        announce("The delivery to " + p.name + " is recorded.");
        replace(section, section.firstChild);
        await platform(section, p, ctx);
      } catch (err) {
        button.disabled = false;
        replace(out, errorBox(err));
      }
    });
    body.append(el("p", {}, button), out);
  }
  body.append(deliveries.deliveries.length ? table("Deliveries recorded, newest first", ["When", "Up to version", "Entries", "Recorded by"],
    deliveries.deliveries.map((d) => [time(d.at), el("span", { class: "mono" }, d.version), String(d.entries), d.actor])) :
    el("p", {}, "No delivery recorded yet."));
  section.append(body);
}
