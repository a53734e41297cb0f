// DOM and formatting helpers. Every value from the API reaches the page as text, never as HTML.

export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'checked' || key === 'value' || key === 'disabled' || key === 'open') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

export function fmtTime(ms) {
  return ms === null || ms === undefined ? '—' : TIME.format(new Date(ms));
}

export function timeCell(ms) {
  return h('time', { datetime: ms ? new Date(ms).toISOString() : null }, fmtTime(ms));
}

export function fmtQty(n) {
  return n === null || n === undefined ? '—' : String(n);
}

export function fmtMovement(n) {
  if (n === null || n === undefined) return '—';
  return n > 0 ? `+${n}` : String(n);
}

// BigSeller's numbering and words for the 17 reasons, so operators recognise them.
const REASONS = {
  SYNC_ORDER: '1 Sync Order',
  STOCK_IN_MANUAL: '2 Stock-In / Manual',
  STOCK_IN_RETURN_SCAN: '3 Stock-In / Return-Scan',
  STOCK_IN_RETURN_MANUAL: '4 Stock-In / Return-Manual',
  STOCK_IN_TRANSFER: '5 Stock-In / Transfer',
  STOCK_IN_PURCHASE: '6 Stock-In / Purchase',
  STOCK_OUT_MANUAL: '7 Stock-Out / Manual',
  STOCK_OUT_SALE: '8 Stock-Out / Sale',
  STOCK_OUT_TRANSFER: '9 Stock-Out / Transfer',
  VOID_ORDER: '10 Void Order',
  REVERT_VOIDED_ORDER: '11 Revert Voided Order',
  MAPPING_CHANGED: '12 Add/Change Mapping',
  CHANGE_WAREHOUSE: '13 Change Warehouse',
  MOVE_TO_PACK: '14 Move to To Pack',
  REFRESH_INVENTORY: '15 Refresh Inventory',
  PUSH_NOW: '16 Push Now / Re-push',
  STOCK_COUNT: '17 Stock Count',
};

export function words(symbol) {
  if (!symbol) return '—';
  if (REASONS[symbol]) return REASONS[symbol];
  const text = symbol.toLowerCase().replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function statusBadge(status) {
  if (!status) return h('span', { class: 'badge' }, '—');
  return h('span', { class: `badge status-${status.toLowerCase()}`, 'data-status': status },
    words(status));
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error && error.message ? error.message : String(error));
}

// A datetime-local input's value (browser time) as epoch ms, and back.
export function localToMs(value) {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

export function msToLocal(ms) {
  if (ms === null || ms === undefined || ms === '') return '';
  const d = new Date(Number(ms));
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
