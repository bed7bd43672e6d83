// The token-bound JSON API. The CSRF value comes from the page's meta tag;
// the session cookie is HttpOnly and sent by the browser.
const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content || '';
export const token = new URLSearchParams(location.search).get('token') || '';
const csrf = meta('fp-csrf');
const base = new URL('api/', location.href.split('?')[0]).pathname;

export class ApiError extends Error {
  constructor(status, code, data) {
    super(code || `http_${status}`);
    this.status = status; // 0 = network failure
    this.code = code;
    this.data = data || {};
  }
  // retryable: the request may succeed if sent again (network, busy, server).
  get retryable() { return this.status === 0 || this.status === 429 || this.status >= 500; }
}

export async function call(method, path, body, type) {
  const headers = { 'X-FP-Token': token, 'X-FP-CSRF': csrf };
  let payload = body;
  if (body !== undefined && !(body instanceof Blob)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  } else if (body instanceof Blob) {
    headers['Content-Type'] = type || body.type || 'application/octet-stream';
  }
  let res;
  try {
    res = await fetch(base + path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network');
  }
  let data = {};
  try { data = await res.json(); } catch (e) { /* empty or non-JSON body */ }
  if (!res.ok) throw new ApiError(res.status, data.error, data);
  return data;
}

// send retries a retryable failure a few times with backoff (uploads keyed
// by index/offset are idempotent on the server).
export async function send(method, path, body, type, tries = 4) {
  for (let i = 0; ; i++) {
    try {
      return await call(method, path, body, type);
    } catch (e) {
      if (!(e instanceof ApiError) || !e.retryable || i + 1 >= tries) throw e;
      await new Promise((r) => setTimeout(r, 300 * 2 ** i));
    }
  }
}

// fetchBlob GETs a binary resource of the API (the hand-off QR code) with
// the same token and CSRF headers as call.
export async function fetchBlob(path) {
  let res;
  try {
    res = await fetch(base + path, { headers: { 'X-FP-Token': token, 'X-FP-CSRF': csrf }, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network');
  }
  if (!res.ok) throw new ApiError(res.status, 'http_' + res.status);
  return res.blob();
}

export const pageMeta = meta;
