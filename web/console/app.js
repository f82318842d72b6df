// The privacy console: signs the staff member in (auth.js), asks the API
// who they are and what their role allows (GET /v1/admin/me), and shows
// one view at a time by the address's fragment: #queue, #request/<id>,
// #person, #suppression, #sweeps, #metrics. Buttons a role may not use are
// left out; the API refuses them anyway. <body data-console-state> says
// where the console stands (loading, signed-out, ready, error) and <main
// data-view-state> whether the view has finished loading.
import { loadConfig, completeSignIn, signedIn, signIn, signOut, forget } from "./auth.js";
import { api, whenSignedOut } from "./api.js";
import { el, replace, errorBox } from "./dom.js";
import * as queue from "./queue.js";
import * as request from "./request.js";
import * as person from "./person.js";
import * as suppression from "./suppression.js";
import * as sweeps from "./sweeps.js";
import * as metrics from "./metrics.js";

const views = { queue, request, person, suppression, sweeps, metrics };
const ranks = { viewer: 1, handler: 2, admin: 3 };

const main = document.getElementById("main");

function setState(s) {
  document.body.dataset.consoleState = s;
}

// signInPage shows the sign-in button, with why the last attempt failed.
function signInPage(err) {
  setState("signed-out");
  document.getElementById("who").hidden = true;
  document.getElementById("console-nav").hidden = true;
  document.title = "Sign in – Privacy console – ClariTru";
  replace(main,
    el("h1", {}, "Sign in to the privacy console"),
    err ? errorBox(err) : null,
    el("p", {}, "Staff of the privacy team sign in with their account and authenticator app. The console keeps your sign-in only in this tab."),
    el("button", { type: "button", id: "sign-in", onclick: () => signIn().catch((e) => signInPage(e)) }, "Sign in"));
}

function failPage(err) {
  setState("error");
  replace(main, el("h1", {}, "The console could not start"), errorBox(err));
}

// context is what every view gets: who is signed in and what they may do.
function context(me) {
  const rank = ranks[me.role] || 0;
  return {
    me,
    // may says whether the role is at least the one named.
    may: (role) => rank >= ranks[role],
  };
}

let ctx = null;
let current = 0;

async function route(moveFocus) {
  const hash = location.hash.replace(/^#/, "");
  const [name, ...rest] = hash.split("/");
  const view = views[name] ? name : "queue";
  for (const a of document.querySelectorAll("#console-nav a")) {
    if (a.dataset.view === (view === "request" ? "queue" : view)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const token = ++current;
  main.dataset.viewState = "loading";
  replace(main, el("p", {}, "Loading…"));
  try {
    await views[view].render(main, ctx, rest.join("/"));
  } catch (e) {
    if (token !== current) return;
    replace(main, el("h1", {}, "This page could not be shown"), errorBox(e));
  }
  if (token !== current) return;
  main.dataset.viewState = "ready";
  const h1 = main.querySelector("h1");
  document.title = (h1 ? h1.textContent + " – " : "") + "Privacy console – ClariTru";
  if (moveFocus) main.focus();
}

async function boot() {
  try {
    await loadConfig();
  } catch (e) {
    failPage(e);
    return;
  }
  try {
    await completeSignIn();
  } catch (e) {
    forget();
    signInPage(e);
    return;
  }
  if (!signedIn()) {
    signInPage();
    return;
  }
  whenSignedOut(() => signInPage(new Error("Your sign-in ended; sign in again.")));
  let me;
  try {
    me = await api("/v1/admin/me");
  } catch (e) {
    if (e.status === 401) return;
    failPage(e);
    return;
  }
  ctx = context(me);
  document.getElementById("who-name").textContent = me.username;
  document.getElementById("who-role").textContent = me.role;
  document.getElementById("who").hidden = false;
  document.getElementById("console-nav").hidden = false;
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  setState("ready");
  window.addEventListener("hashchange", () => route(true));
  await route(false);
}

boot();
