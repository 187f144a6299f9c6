// The console's one way to the API. The token the person signed in with lives in
// sessionStorage (gone when the tab closes) and travels only in the Authorization
// header: never in a URL, never in the page.

const KEY = "galaxy.token";
let token = sessionStorage.getItem(KEY) || "";
let onUnauthorized = () => {};

// session is who the console acts as: role "admin" or "lobby" (null before sign-in);
// authOff when galaxyd runs without tokens (galaxyd -dev), where every route is open.
export const session = { role: null, authOff: false };

// ApiError is an error answer of the API: its HTTP status and its error code.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || "";
    this.field = field || "";
  }
}

// whenUnauthorized sets what happens when the API stops accepting the token.
export function whenUnauthorized(fn) { onUnauthorized = fn; }

// isAdmin reports whether the console may use the operators' routes.
export function isAdmin() { return session.role === "admin"; }

// headers are the headers of an API call: the bearer token when there is one.
export function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (token) out.Authorization = `Bearer ${token}`;
  return out;
}

// request calls the API and answers the decoded body (JSON, or text for text
// answers); an error answer throws an ApiError.
export async function request(method, path, { body, header, signal } = {}) {
  const init = { method, headers: headers(header), signal, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const resp = await fetch(path, init);
  const type = resp.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await resp.json().catch(() => null) : await resp.text();
  if (!resp.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(resp.status, e.code, e.message, e.field);
    if (resp.status === 401 && !session.authOff) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, body, opts) => request("POST", path, { ...opts, body });
export const del = (path, opts) => request("DELETE", path, opts);

// probe asks a lobby route with the given token ("" for none) and answers the status.
async function probe(path, t) {
  const h = { Accept: "application/json" };
  if (t) h.Authorization = `Bearer ${t}`;
  const resp = await fetch(path, { headers: h, cache: "no-store", credentials: "omit" });
  return resp.status;
}

// detect finds out how the console may act without asking the person: with auth off
// (galaxyd -dev without tokens) a call without a token is answered; otherwise the
// token kept from earlier in this tab is tried. It answers whether the console is
// signed in.
export async function detect() {
  if (await probe("/api/v1/games?limit=1", "") === 200) {
    session.authOff = true;
    session.role = "admin";
    forget();
    return true;
  }
  return token ? signIn(token) : false;
}

// signIn checks a token: unknown answers false; known, it is kept for this tab and
// the role it proves (admin when an operators' route answers) is recorded.
export async function signIn(t) {
  t = t.trim();
  const status = await probe("/api/v1/games?limit=1", t);
  if (status === 401) {
    forget();
    return false;
  }
  if (status !== 200) throw new ApiError(status, "", `galaxyd answered HTTP ${status}`);
  session.role = await probe("/api/v1/engine-versions", t) === 200 ? "admin" : "lobby";
  token = t;
  sessionStorage.setItem(KEY, t);
  return true;
}

// forget drops the token: the person is signed out.
export function forget() {
  token = "";
  sessionStorage.removeItem(KEY);
  if (!session.authOff) session.role = null;
}

// gamePath is the API path of a game, or of one of its sub-resources.
export function gamePath(id, sub = "") {
  return `/api/v1/games/${encodeURIComponent(id)}${sub ? "/" + sub : ""}`;
}
