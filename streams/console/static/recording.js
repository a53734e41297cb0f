// Sync Recording: one row per merchant SKU (its latest sync), searchable; and a SKU's detail
// with every record it has in the history.

import { api, apiSymbols, enc, pages } from './api.js';
import {
  empty, errorBox, fmtQty, h, replace, statusBadge, timeCell, words,
} from './dom.js';
import { every } from './live.js';
import { Freshness, recordsTable, repush, skuHref } from './records.js';

const RANGES = [['', 'Any time'], ['today', 'Today'], ['week', 'This week'], ['month', 'This month']];

function select(name, label, options, value, onchange) {
  return h('label', { class: 'field' }, h('span', {}, label),
    h('select', { name, onchange },
      options.map(([v, text]) => h('option', { value: v, selected: v === value ? true : null }, text))));
}

export function recordingPage(main, { query, setQuery }) {
  const state = { q: query.get('q') || '', status: query.get('status') || '', range: query.get('range') || '' };
  const rows = new Map(); // merchant SKU -> summary
  const fresh = new Freshness();
  let cursor = null;
  let highlighted = new Set();

  const search = h('input', {
    type: 'search', name: 'q', placeholder: 'Merchant SKU or title', value: state.q,
    'aria-label': 'Search merchant SKU or title',
    oninput: () => { state.q = search.value; draw(); setQuery('/recording', state, { silent: true }); },
  });
  const statusSelect = h('span');
  const body = h('div', { class: 'results' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(false) }, 'Load more');
  const count = h('span', { class: 'muted' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Sync Recording'),
      h('p', { class: 'muted' }, 'Each merchant SKU\'s latest inventory sync. Open a SKU for every record of it.')),
    h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', { class: 'field grow' }, h('span', {}, 'Search'), search),
      statusSelect,
      select('range', 'Last sync', RANGES, state.range, (e) => { state.range = e.target.value; reload(); }),
      count),
    body, more);

  apiSymbols().then((symbols) => {
    replace(statusSelect, select('status', 'Last status',
      [['', 'Any status'], ...symbols.status.map((s) => [s, words(s)])], state.status,
      (e) => { state.status = e.target.value; reload(); }));
  });

  // A SKU is highlighted while its latest sync is new to this page.
  function mark() {
    const key = (s) => `${s.merchant_sku}@${s.last_sync_time}`;
    const seen = fresh.see([...rows.values()].map(key));
    highlighted = new Set([...rows.values()].filter((s) => seen.has(key(s))).map((s) => s.merchant_sku));
  }

  function params() {
    return { status: state.status, range: state.range };
  }

  function draw() {
    const needle = state.q.trim().toLowerCase();
    const shown = [...rows.values()]
      .filter((s) => !needle || s.merchant_sku.toLowerCase().includes(needle)
        || (s.title || '').toLowerCase().includes(needle))
      .sort((a, b) => b.last_sync_time - a.last_sync_time || a.merchant_sku.localeCompare(b.merchant_sku));
    count.textContent = `${shown.length} of ${rows.size} SKUs${cursor ? ' loaded' : ''}`;
    if (!shown.length) {
      replace(body, empty(rows.size ? 'No SKU matches the search.' : 'No sync yet.'));
      return;
    }
    replace(body, h('div', { class: 'table-wrap' }, h('table', { class: 'recording' },
      h('thead', {}, h('tr', {}, h('th', {}, 'SKU information'), h('th', { class: 'num' }, 'Last sync qty'),
        h('th', {}, 'Last sync time'), h('th', {}, 'Last sync status'), h('th', { class: 'num', title: 'one per store SKU it pushed to' }, 'Records in last sync'), h('th', {}))),
      h('tbody', {}, shown.map((s) => h('tr', {
        'data-sku': s.merchant_sku, class: highlighted.has(s.merchant_sku) ? 'fresh' : null,
      },
      h('td', {}, h('a', { href: skuHref(s.merchant_sku), class: 'strong' }, s.merchant_sku),
        h('div', { class: 'muted small' }, s.title || 'no title')),
      h('td', { class: 'num strong' }, fmtQty(s.last_sync_qty)),
      h('td', {}, timeCell(s.last_sync_time)),
      h('td', {}, statusBadge(s.last_sync_status),
        s.last_sync_status === 'FAILED' ? h('div', { class: 'failure' }, words(s.latest.failure_code)) : null),
      h('td', { class: 'num' }, s.sync_record_ids.length),
      h('td', {}, h('a', { href: skuHref(s.merchant_sku), class: 'button small' }, 'Detail'))))))));
    more.hidden = !cursor;
  }

  async function load(first) {
    try {
      const page = await api('/sync-recording', { params: { ...params(), limit: 200, cursor: first ? null : cursor } });
      if (first) rows.clear();
      for (const s of page.merchant_skus) rows.set(s.merchant_sku, s);
      cursor = page.next_cursor;
      mark();
      draw();
    } catch (error) {
      replace(body, errorBox(error));
      throw error;
    }
  }

  function reload() {
    setQuery('/recording', state);
  }

  load(true).catch(() => {});
  // Live: the first page again; SKUs whose latest sync changed are highlighted.
  return every(async () => {
    const page = await api('/sync-recording', { params: { ...params(), limit: 200 } });
    for (const s of page.merchant_skus) rows.set(s.merchant_sku, s);
    mark();
    draw();
  });
}

export function recordingDetail(main, { args, session, notify }) {
  const [sku] = args;
  const head = h('div', { class: 'summary' });
  const body = h('div', { class: 'results' });
  const fresh = new Freshness();
  let records = [];
  let more = false;

  replace(main,
    h('div', { class: 'page-head' },
      h('a', { href: '#/recording', class: 'back' }, '← Sync Recording'),
      h('h1', {}, sku),
      h('a', { href: `#/stock/${enc(sku)}`, class: 'button small' }, 'Stock and chart →')),
    head, body);

  async function onRepush(ids) {
    await repush({ record_ids: ids }, notify);
    await refresh();
  }

  async function refresh() {
    const [summary, found] = await Promise.all([
      api(`/sync-recording/${enc(sku)}`).catch((error) => (error.status === 404 ? null : Promise.reject(error))),
      pages('/sync-records', { merchant_sku: sku }, 'records', { max: 1000 }),
    ]);
    records = found.items;
    more = found.more;
    const highlighted = fresh.see(records.map((r) => `${r.record_id}`));
    if (summary) {
      replace(head,
        h('div', { class: 'card stat' }, h('span', {}, 'Title'), h('strong', {}, summary.title || '—')),
        h('div', { class: 'card stat' }, h('span', {}, 'Last sync qty'), h('strong', { 'data-field': 'last_sync_qty' }, fmtQty(summary.last_sync_qty))),
        h('div', { class: 'card stat' }, h('span', {}, 'Last sync time'), h('strong', {}, timeCell(summary.last_sync_time))),
        h('div', { class: 'card stat' }, h('span', {}, 'Last sync status'), statusBadge(summary.last_sync_status)),
        h('div', { class: 'card stat' }, h('span', {}, 'Records kept'), h('strong', {}, `${records.length}${more ? '+' : ''}`)));
    } else {
      replace(head, empty('No sync record for this merchant SKU (yet, or any more).'));
    }
    replace(body, records.length
      ? recordsTable(records, { canChange: session.can_change, onRepush, fresh: highlighted })
      : empty('No record.'));
  }

  refresh().catch((error) => replace(body, errorBox(error)));
  return every(refresh);
}
