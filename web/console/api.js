// Calls of the staff API with the signed-in person's access token. A 401
// (the token expired or was revoked) is retried once with a refreshed
// token; errors carry the problem+json answer so pages can show the
// service's own words and the fields it names.
import { accessToken, apiBase } from "./auth.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title || problem.message)) || "The service answered " + status + ".");
    this.status = status;
    this.problem = problem;
  }
}

// onSignedOut is called when no token can be had any more.
let signedOut = () => {};
export function whenSignedOut(f) {
  signedOut = f;
}

// api calls path (with query, an object of strings) and returns the JSON
// answer; body, when given, is sent as JSON.
export async function api(path, { method = "GET", query, body } = {}) {
  let url = apiBase() + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    if ([...q].length) url += "?" + q.toString();
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await accessToken(attempt > 0);
    if (!token) {
      signedOut();
      throw new ApiError(401, { detail: "You are signed out; sign in again." });
    }
    const headers = { Authorization: "Bearer " + token };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(url, {
      method, headers, credentials: "omit", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (resp.status === 401 && attempt === 0) continue;
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { detail: text };
    }
    if (resp.status === 401) signedOut();
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }
  throw new ApiError(401, { detail: "You are signed out; sign in again." });
}
