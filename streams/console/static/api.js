// The worker's API, with the token of this tab. A 401 anywhere sends the console to its login.

const TOKEN_KEY = 'stocksync.console.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function url(path, params) {
  const target = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== '') target.searchParams.set(name, value);
  }
  return target;
}

export async function api(path, { method = 'GET', params, body } = {}) {
  const headers = { Accept: 'application/json' };
  const secret = token.get();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url(path, params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = (data && data.error) || `${response.status} ${response.statusText}`;
    if (response.status === 401) window.dispatchEvent(new CustomEvent('stocksync:unauthorized'));
    throw new ApiError(response.status, message, data);
  }
  return data;
}

export function enc(part) {
  return encodeURIComponent(part);
}

// Every page of a history query, up to `max` items: {items, more}.
export async function pages(path, params, key, { max = 1000, limit = 200 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path, { params: { ...params, limit: Math.min(limit, max - items.length), cursor } });
    items.push(...page[key]);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return { items, more: Boolean(cursor) };
}

// The symbols of the API (statuses, reasons, failure codes), from its OpenAPI document: the
// console never falls behind a new one.
let symbols = null;

export function apiSymbols() {
  if (!symbols) {
    symbols = api('/openapi.json').then((doc) => {
      const record = doc.components.schemas.SyncRecord.properties;
      const failure = record.failure_code.oneOf.find((s) => s.enum);
      return { status: record.status.enum, reason: record.reason.enum, failure: failure.enum };
    });
    symbols.catch(() => { symbols = null; });
  }
  return symbols;
}
