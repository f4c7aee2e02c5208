/**
 * The dashboard's only door to the server: same-origin fetches of /api/v1, the session cookie sent
 * by the browser, and the CSRF token (returned by POST /api/v1/session) on every unsafe request.
 */

const CSRF_KEY = "airbag.csrf";

/** @typedef {{ name: string, role: string, csrfToken?: string }} Session */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Fired when the server says the session is gone, so the shell can show the login view. */
export const UNAUTHORIZED_EVENT = "airbag:unauthorized";

/**
 * @param {string} method
 * @param {string} path under /api/v1
 * @param {unknown} [body]
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = localStorage.getItem(CSRF_KEY);
  if (method !== "GET" && method !== "HEAD" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await res.text();
  const data = text ? parseJson(text) : undefined;
  if (!res.ok) {
    if (res.status === 401 && path !== "/session") {
      localStorage.removeItem(CSRF_KEY);
      window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    }
    throw new ApiError(res.status, errorMessage(data) ?? `${res.status} ${res.statusText}`);
  }
  return data;
}

/** @param {string} text */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** @param {any} data */
function errorMessage(data) {
  if (!data || typeof data !== "object") return undefined;
  return typeof data.message === "string"
    ? data.message
    : typeof data.error === "string"
      ? data.error
      : undefined;
}

/** @param {string} token @returns {Promise<Session>} */
export async function login(token) {
  const s = await api("POST", "/session", { token });
  if (s?.csrfToken) localStorage.setItem(CSRF_KEY, s.csrfToken);
  return s;
}

export async function logout() {
  try {
    await api("DELETE", "/session");
  } finally {
    localStorage.removeItem(CSRF_KEY);
  }
}

/**
 * The current principal from the session cookie, or undefined when there is none. Without a stored
 * CSRF token there was no login in this browser: skip the request (a 401 would only clutter the console).
 * @returns {Promise<Session | undefined>}
 */
export async function whoAmI() {
  if (!localStorage.getItem(CSRF_KEY)) return undefined;
  const res = await fetch("/api/v1/me", {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (res.status === 401 || res.status === 403) {
    localStorage.removeItem(CSRF_KEY);
    return undefined;
  }
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  const me = await res.json();
  // a reload keeps the cookie but not page state: the server may hand the CSRF token back here
  if (me?.csrfToken) localStorage.setItem(CSRF_KEY, me.csrfToken);
  return me;
}
