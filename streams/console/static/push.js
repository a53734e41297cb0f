// Push Record: push records filtered by store, marketplace, SKUs, status, reason, failure
// reason and time; the failed ones grouped by failure reason, each listing's state now, and bulk
// re-push (operator). And one store SKU's latest records (#/push/<store>/<store sku>).

import { api, apiSymbols, enc, pages } from './api.js';
import {
  empty, errorBox, fmtQty, h, localToMs, msToLocal, replace, statusBadge, timeCell, words,
} from './dom.js';
import { every } from './live.js';
import {
  Freshness, listingHref, recordsTable, repush, skuHref,
} from './records.js';

const FIELDS = ['store_id', 'marketplace', 'store_sku', 'merchant_sku', 'status', 'reason',
  'failure_reason', 'range', 'since', 'until'];
const RANGES = [['', 'All'], ['today', 'Today'], ['week', 'This week'], ['month', 'This month'], ['custom', 'Custom']];
const PAGE = 100;
const MAX_FAILED = 500;
const MAX_LISTINGS = 50; // listings whose state now is looked up in the failed groups

function field(label, control) {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

function options(values, value, any, label = words) {
  return [h('option', { value: '' }, any),
    ...values.map(([v, text]) => h('option', { value: v, selected: v === value ? true : null }, text ?? label(v)))];
}

// The API's query of the page's filters (custom: since/until; otherwise the named range).
export function apiFilter(filters) {
  const out = {};
  for (const name of FIELDS) if (filters[name]) out[name] = String(filters[name]);
  if (out.range === 'custom') delete out.range;
  else {
    delete out.since;
    delete out.until;
  }
  return out;
}

export function pushPage(main, { query, session, notify, setQuery }) {
  const filters = Object.fromEntries(FIELDS.map((name) => [name, query.get(name) || '']));
  const canChange = session.can_change;
  const selected = new Set();
  const fresh = new Freshness();
  let records = [];
  let cursor = null;
  let pagesLoaded = 1; // the live refresh reads the first page again; "Load more" the next ones
  let failedGroups = null; // [code, records[]]
  let listingsNow = new Map(); // "store\u0000sku" -> listing history

  const apply = () => setQuery('/push', filters);
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); apply(); } });
  const failedBox = h('section', { class: 'failed-groups', 'aria-label': 'Failed records by failure reason' });
  const table = h('div', { class: 'results' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => loadMore() }, 'Load more');
  const selectionBar = h('div', { class: 'selection', hidden: true });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Push Record'),
      h('p', { class: 'muted' }, 'Every push decision per store SKU, newest first. Open a store SKU for its latest 100 records.')),
    form, failedBox, selectionBar,
    h('h2', {}, 'Push records'), table, more);

  Promise.all([apiSymbols(), api('/stores')]).then(([symbols, { stores }]) => {
    const marketplaces = [...new Set(stores.map((s) => s.marketplace))].sort();
    const change = (name) => (e) => { filters[name] = e.target.value; apply(); };
    const text = (name, label) => field(label, h('input', {
      type: 'search', name, value: filters[name], placeholder: 'exact', onchange: change(name),
    }));
    const rangeButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
      RANGES.map(([value, label]) => h('button', {
        type: 'button', 'data-range': value, 'aria-pressed': String((filters.range || '') === value),
        onclick: () => {
          filters.range = value;
          if (value !== 'custom') { filters.since = ''; filters.until = ''; }
          apply();
        },
      }, label)));
    const custom = filters.range === 'custom' ? h('span', { class: 'custom-range' },
      field('From', h('input', { type: 'datetime-local', step: 1, name: 'since', value: msToLocal(filters.since),
        onchange: (e) => { filters.since = localToMs(e.target.value) ?? ''; apply(); } })),
      field('Until', h('input', { type: 'datetime-local', step: 1, name: 'until', value: msToLocal(filters.until),
        onchange: (e) => { filters.until = localToMs(e.target.value) ?? ''; apply(); } }))) : null;
    replace(form,
      field('Store', h('select', { name: 'store_id', onchange: change('store_id') },
        options(stores.map((s) => [s.store_id, `${s.nickname} (${s.store_id})`]), filters.store_id, 'All stores'))),
      field('Marketplace', h('select', { name: 'marketplace', onchange: change('marketplace') },
        options(marketplaces.map((m) => [m, m]), filters.marketplace, 'All marketplaces'))),
      text('store_sku', 'Store SKU'), text('merchant_sku', 'Merchant SKU'),
      field('Status', h('select', { name: 'status', onchange: change('status') },
        options(symbols.status.map((s) => [s]), filters.status, 'Any status'))),
      field('Reason', h('select', { name: 'reason', onchange: change('reason') },
        options(symbols.reason.map((s) => [s]), filters.reason, 'Any reason'))),
      field('Failure reason', h('select', { name: 'failure_reason', onchange: change('failure_reason') },
        options(symbols.failure.map((s) => [s]), filters.failure_reason, 'Any failure'))),
      h('div', { class: 'field' }, h('span', {}, 'Time'), rangeButtons),
      custom,
      h('a', { href: '#/push', class: 'reset' }, 'Clear filters'));
  }).catch((error) => replace(form, errorBox(error)));

  const query_ = apiFilter(filters);
  const showFailed = !filters.status || filters.status.toUpperCase().split(',').includes('FAILED');

  function onToggle(id) {
    if (selected.has(id)) selected.delete(id); else selected.add(id);
    drawSelection();
    drawFailed();
    drawTable();
  }

  async function onRepush(ids) {
    await repush({ record_ids: ids }, notify);
    for (const id of ids) selected.delete(id);
    drawSelection();
    await refresh();
  }

  function drawSelection() {
    selectionBar.hidden = !canChange || selected.size === 0;
    replace(selectionBar, `${selected.size} failed record${selected.size === 1 ? '' : 's'} selected`,
      h('button', { type: 'button', class: 'primary small', 'data-action': 'repush-selected',
        onclick: () => onRepush([...selected]) }, `Re-push selected (${selected.size})`),
      h('button', { type: 'button', class: 'link', onclick: () => { selected.clear(); drawSelection(); drawFailed(); drawTable(); } }, 'Clear'));
  }

  function drawTable() {
    const highlighted = new Set(fresh.fresh.keys());
    replace(table, records.length
      ? recordsTable(records, { canChange, selected, onToggle, onRepush, fresh: highlighted, showSku: true })
      : empty('No push record matches.'));
    more.hidden = !cursor;
  }

  function nowCell(record) {
    const now = listingsNow.get(`${record.store_id}\u0000${record.store_sku}`);
    if (!now) return h('td', { class: 'now muted small' }, '—');
    const resolved = now.last_push_status === 'SUCCESSFULLY';
    return h('td', { class: `now ${resolved ? 'resolved' : ''}`, 'data-now': now.last_push_status || '' },
      statusBadge(now.last_push_status),
      h('div', { class: 'small muted' }, `qty ${fmtQty(now.last_push_qty)}`,
        resolved ? ' · resolved by a later push' : ''));
  }

  function drawFailed() {
    if (!showFailed || failedGroups === null) {
      failedBox.hidden = !showFailed;
      if (showFailed) replace(failedBox, h('p', { class: 'muted' }, 'Looking for failed records…'));
      return;
    }
    failedBox.hidden = false;
    if (!failedGroups.length) {
      replace(failedBox, h('h2', {}, 'Failed records'), empty('No failed record matches the filters.'));
      return;
    }
    replace(failedBox,
      h('h2', {}, 'Failed records by failure reason'),
      failedGroups.map(([code, group]) => {
        const listings = new Set(group.map((r) => `${r.store_id}\u0000${r.store_sku}`));
        const stillFailing = [...listings].filter((key) => listingsNow.get(key)?.last_push_status === 'FAILED').length;
        const request = { filter: { ...query_, status: 'FAILED', failure_reason: code } };
        return h('details', { class: 'card group', 'data-failure': code, open: true },
          h('summary', {},
            h('span', { class: 'badge status-failed' }, words(code)),
            h('span', {}, `${group.length} record${group.length === 1 ? '' : 's'} · ${listings.size} listing${listings.size === 1 ? '' : 's'}`),
            h('span', { class: 'muted' }, `${stillFailing} still failing`),
            h('span', { class: 'spacer' }),
            canChange ? h('button', {
              type: 'button', class: 'primary small', 'data-repush-group': code,
              onclick: async (e) => {
                e.preventDefault();
                e.target.disabled = true;
                await repush(request, notify);
                await refresh();
              },
            }, listings.size === 1 ? 'Re-push 1 listing' : `Re-push all ${listings.size} listings`) : null),
          group[0].failure_message ? h('p', { class: 'muted small' }, `e.g. ${group[0].failure_message}`) : null,
          h('div', { class: 'table-wrap' }, h('table', { class: 'failed' },
            h('thead', {}, h('tr', {}, canChange ? h('th', { class: 'narrow' }) : null, h('th', {}, 'ID'),
              h('th', {}, 'Sync time'), h('th', {}, 'Store'), h('th', {}, 'Store SKU'), h('th', {}, 'Merchant SKU'),
              h('th', { class: 'num' }, 'After'), h('th', {}, 'Message'), h('th', {}, 'Listing now'), canChange ? h('th', {}) : null)),
            h('tbody', {}, group.map((r) => h('tr', { 'data-record-id': r.record_id },
              canChange ? h('td', { class: 'narrow' }, h('input', {
                type: 'checkbox', 'aria-label': `select ${r.record_id}`, checked: selected.has(r.record_id),
                onchange: () => onToggle(r.record_id),
              })) : null,
              h('td', { class: 'mono small' }, r.record_id),
              h('td', {}, timeCell(r.sync_time)),
              h('td', {}, r.store_nickname, h('div', { class: 'muted small' }, r.marketplace)),
              h('td', {}, h('a', { href: listingHref(r.store_id, r.store_sku) }, r.store_sku)),
              h('td', {}, h('a', { href: skuHref(r.merchant_sku) }, r.merchant_sku)),
              h('td', { class: 'num' }, fmtQty(r.after_qty)),
              h('td', { class: 'small' }, r.failure_message || '—'),
              nowCell(r),
              canChange ? h('td', {}, h('button', {
                type: 'button', class: 'small repush', 'data-repush': r.record_id,
                onclick: (e) => { e.target.disabled = true; onRepush([r.record_id]); },
              }, 'Re-push')) : null))))));
      }));
  }

  async function loadFailed() {
    if (!showFailed) return;
    const { items } = await pages('/sync-records', { ...query_, status: 'FAILED' }, 'records', { max: MAX_FAILED });
    const groups = new Map();
    for (const r of items) {
      const code = r.failure_code || 'UNKNOWN';
      if (!groups.has(code)) groups.set(code, []);
      groups.get(code).push(r);
    }
    const keys = [...new Map(items.map((r) => [`${r.store_id}\u0000${r.store_sku}`, r])).values()].slice(0, MAX_LISTINGS);
    const found = await Promise.all(keys.map((r) => api(`/push-records/${enc(r.store_id)}/${enc(r.store_sku)}`)
      .then((view) => [`${r.store_id}\u0000${r.store_sku}`, view]).catch(() => null)));
    listingsNow = new Map(found.filter(Boolean));
    failedGroups = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  }

  async function loadFirst() {
    const page = await api('/sync-records', { params: { ...query_, limit: PAGE } });
    const known = new Map(records.map((r) => [r.record_id, r]));
    for (const r of page.records) known.set(r.record_id, r);
    // The first page anew, and the older pages already loaded (their records updated).
    const firstIds = new Set(page.records.map((r) => r.record_id));
    const older = records.filter((r) => !firstIds.has(r.record_id)).map((r) => known.get(r.record_id));
    records = [...page.records, ...older].sort((a, b) => b.log_time - a.log_time);
    if (pagesLoaded === 1) cursor = page.next_cursor;
    fresh.see(records.map((r) => r.record_id));
  }

  async function loadMore() {
    const page = await api('/sync-records', { params: { ...query_, limit: PAGE, cursor } });
    const known = new Set(records.map((r) => r.record_id));
    records = [...records, ...page.records.filter((r) => !known.has(r.record_id))];
    cursor = page.next_cursor;
    pagesLoaded += 1;
    fresh.see(records.map((r) => r.record_id));
    drawTable();
  }

  async function refresh() {
    await Promise.all([loadFirst(), loadFailed()]);
    drawFailed();
    drawTable();
  }

  drawFailed();
  refresh().catch((error) => replace(table, errorBox(error)));
  return every(refresh);
}

export function listingPage(main, { args, session, notify }) {
  const [storeId, storeSku] = args;
  const head = h('div', { class: 'summary' });
  const body = h('div', { class: 'results' });
  const fresh = new Freshness();
  replace(main,
    h('div', { class: 'page-head' },
      h('a', { href: '#/push', class: 'back' }, '← Push Record'),
      h('h1', {}, storeSku, h('span', { class: 'muted' }, ` in ${storeId}`))),
    head, body);

  async function onRepush(ids) {
    await repush({ record_ids: ids }, notify);
    await refresh();
  }

  async function refresh() {
    let view;
    try {
      view = await api(`/push-records/${enc(storeId)}/${enc(storeSku)}`);
    } catch (error) {
      if (error.status !== 404) throw error;
      replace(head, empty('No push record for this store SKU.'));
      body.replaceChildren();
      return;
    }
    const highlighted = fresh.see(view.records.map((r) => r.record_id));
    const latest = view.records[0];
    replace(head,
      h('div', { class: 'card stat' }, h('span', {}, 'Last push qty'), h('strong', { 'data-field': 'last_push_qty' }, fmtQty(view.last_push_qty))),
      h('div', { class: 'card stat' }, h('span', {}, 'Last push status'), h('span', { 'data-field': 'last_push_status' }, statusBadge(view.last_push_status))),
      h('div', { class: 'card stat' }, h('span', {}, 'Last push time'), h('strong', {}, timeCell(view.last_push_time))),
      latest ? h('div', { class: 'card stat' }, h('span', {}, 'Merchant SKU'),
        h('a', { href: skuHref(latest.merchant_sku), class: 'strong' }, latest.merchant_sku)) : null,
      h('div', { class: 'card stat' }, h('span', {}, 'Records kept'), h('strong', {}, `${view.records.length} (latest 100)`)));
    replace(body, recordsTable(view.records, { canChange: session.can_change, onRepush, fresh: highlighted }));
  }

  refresh().catch((error) => replace(body, errorBox(error)));
  return every(refresh);
}
