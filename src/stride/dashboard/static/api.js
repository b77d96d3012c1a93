// Calls to the Stride API. The credential lives in sessionStorage and travels only in the
// Authorization header, never in a URL.

const SESSION_KEY = "stride.dashboard.session";

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    return session && typeof session.credential === "string" ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// A learner token is a JWT (three dot-separated parts); an API key is `sk_<id>_<secret>`.
export function isLearnerToken(credential) {
  return credential.split(".").length === 3;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function authHeaders(session) {
  return { Authorization: `Bearer ${session.credential}` };
}

export async function api(session, path, { method = "GET", body, signal, query } = {}) {
  const headers = { ...authHeaders(session), Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path + queryString(query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: "no-store",
    credentials: "omit",
  });
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      // not a problem+json body
    }
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
}

export function queryString(query) {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function learnerPath(learnerId, rest) {
  return `/v1/learners/${encodeURIComponent(learnerId)}/${rest}`;
}
