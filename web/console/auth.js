// Staff sign-in: OAuth 2.0 authorization code with PKCE (RFC 7636, S256) as
// a public client, against the user pool's hosted sign-in that
// /console/config.json names. Tokens are kept in sessionStorage, which ends
// with the tab, never in localStorage; the access token is refreshed with
// the refresh token shortly before it expires, and sign-out forgets both
// and ends the hosted session.

const PKCE = "claritru.console.pkce";
const TOKENS = "claritru.console.tokens";
// Refresh this long before the access token expires.
const EARLY_MS = 60 * 1000;

let config = null;

// loadConfig reads the console's configuration once.
export async function loadConfig() {
  if (config) return config;
  const resp = await fetch("/console/config.json", { cache: "no-store", credentials: "omit" });
  if (!resp.ok) throw new Error("The console's configuration could not be read (" + resp.status + ").");
  config = await resp.json();
  for (const k of ["authorize_url", "token_url", "logout_url", "client_id", "redirect_uri"]) {
    if (!config[k]) throw new Error("The console's configuration lacks " + k + ".");
  }
  return config;
}

// apiBase is where the staff API is: the config's api_url when the console
// is served from another origin than the API, else this origin.
export function apiBase() {
  return (config && config.api_url ? config.api_url : "").replace(/\/$/, "");
}

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

// signIn sends the browser to the hosted sign-in with a fresh verifier's
// challenge and a state that ties the answer to this tab.
export async function signIn() {
  const c = await loadConfig();
  const verifier = random();
  const state = random();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: "code", client_id: c.client_id, redirect_uri: c.redirect_uri, state,
    code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256", scope: c.scope || "openid",
  });
  location.assign(c.authorize_url + "?" + q.toString());
}

// completeSignIn takes the code the hosted sign-in sent back (if the page's
// address has one), exchanges it for tokens and removes it from the
// address. It returns false when there was nothing to complete.
export async function completeSignIn() {
  const q = new URLSearchParams(location.search);
  if (!q.has("code") && !q.has("error")) return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) || "null");
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, "", location.pathname + location.hash);
  if (q.has("error")) throw new Error("The sign-in was refused: " + (q.get("error_description") || q.get("error")) + ".");
  if (!saved || saved.state !== q.get("state")) throw new Error("The sign-in answer does not belong to this tab; sign in again.");
  const c = await loadConfig();
  await tokenCall({
    grant_type: "authorization_code", code: q.get("code"), redirect_uri: c.redirect_uri,
    client_id: c.client_id, code_verifier: saved.verifier,
  });
  return true;
}

async function tokenCall(form) {
  const c = await loadConfig();
  const resp = await fetch(c.token_url, {
    method: "POST", credentials: "omit",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok || !body.access_token) {
    throw new Error("The sign-in service refused the tokens (" + (body.error || resp.status) + ").");
  }
  const old = stored();
  sessionStorage.setItem(TOKENS, JSON.stringify({
    access_token: body.access_token,
    id_token: body.id_token || (old && old.id_token) || "",
    // A refresh answers no new refresh token: the first one stays.
    refresh_token: body.refresh_token || (old && old.refresh_token) || "",
    expires_at: Date.now() + (Number(body.expires_in) || 3600) * 1000,
  }));
}

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  } catch {
    return null;
  }
}

// signedIn says whether this tab holds tokens.
export function signedIn() {
  return !!stored();
}

// accessToken returns a current access token, refreshing it when it is
// about to expire (or when force is set, after the API refused it); null
// when the tab is signed out or the refresh was refused.
export async function accessToken(force) {
  const t = stored();
  if (!t) return null;
  if (!force && t.expires_at - EARLY_MS > Date.now()) return t.access_token;
  if (!t.refresh_token) {
    forget();
    return null;
  }
  const c = await loadConfig();
  try {
    await tokenCall({ grant_type: "refresh_token", refresh_token: t.refresh_token, client_id: c.client_id });
  } catch {
    forget();
    return null;
  }
  return stored().access_token;
}

// forget drops the tab's tokens.
export function forget() {
  sessionStorage.removeItem(TOKENS);
}

// signOut forgets the tokens and ends the hosted sign-in's session, which
// sends the browser back to the console.
export async function signOut() {
  forget();
  const c = await loadConfig();
  const q = new URLSearchParams({ client_id: c.client_id, logout_uri: c.logout_uri || c.redirect_uri });
  location.assign(c.logout_url + "?" + q.toString());
}
