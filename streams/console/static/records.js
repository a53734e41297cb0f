// The table of sync records (every column of PRODUCT.md §3) and the re-push action, shared by
// the Sync Recording detail, the Push Record page and a store SKU's push records.

import { api, enc } from './api.js';
import {
  fmtMovement, fmtQty, h, statusBadge, timeCell, words,
} from './dom.js';

export function listingHref(storeId, storeSku) {
  return `#/push/${enc(storeId)}/${enc(storeSku)}`;
}

export function skuHref(sku) {
  return `#/recording/${enc(sku)}`;
}

function statusCell(record) {
  const cell = h('td', { class: 'status' }, statusBadge(record.status));
  if (record.status === 'FAILED') {
    cell.append(h('div', { class: 'failure' },
      h('strong', {}, words(record.failure_code)),
      record.failure_message ? `: ${record.failure_message}` : ''));
  } else if (record.status === 'SKIPPED' && record.superseded_by) {
    cell.append(h('div', { class: 'muted small', title: 'a later record of the same window was pushed' },
      `kept: ${record.superseded_by}`));
  }
  return cell;
}

function causeCell(record) {
  const position = `${record.cause_topic}, partition ${record.cause_partition}, offset ${record.cause_offset}`;
  return h('td', { class: 'cause small', title: `event ${record.cause_event_id} at ${position}` },
    h('div', { class: 'mono' }, record.cause_event_id),
    h('div', { class: 'muted mono' }, `p${record.cause_partition} @${record.cause_offset}`));
}

// opts: canChange, selected (Set of record ids, or null for no selection column), onToggle(id),
// onRepush(ids), fresh (Set of ids to highlight), showSku (merchant SKU column).
export function recordsTable(records, opts = {}) {
  const selectable = opts.canChange && opts.selected;
  const head = h('tr', {},
    selectable ? h('th', { class: 'narrow' }) : null,
    h('th', {}, 'ID'), h('th', {}, 'Sync time'), h('th', {}, 'Store · marketplace'), h('th', {}, 'Store SKU'),
    opts.showSku ? h('th', {}, 'Merchant SKU') : null,
    h('th', {}, 'Warehouse'), h('th', { class: 'num' }, 'Before'),
    h('th', { class: 'num' }, 'Movement'), h('th', { class: 'num' }, 'After'),
    h('th', {}, 'Rule'), h('th', {}, 'Reason'), h('th', {}, 'Status'), h('th', {}, 'Cause'),
    opts.canChange ? h('th', {}) : null);
  const rows = records.map((r) => {
    const failed = r.status === 'FAILED';
    return h('tr', {
      'data-record-id': r.record_id, 'data-status': r.status,
      class: opts.fresh && opts.fresh.has(r.record_id) ? 'fresh' : null,
    },
    selectable ? h('td', { class: 'narrow' }, failed ? h('input', {
      type: 'checkbox', 'aria-label': `select ${r.record_id}`, checked: opts.selected.has(r.record_id),
      onchange: () => opts.onToggle(r.record_id),
    }) : null) : null,
    h('td', { class: 'mono small' }, r.record_id),
    h('td', { class: 'sync-time' }, timeCell(r.sync_time), h('div', { class: 'muted small', title: 'log time: when the trigger reached the log' }, timeCell(r.log_time))),
    h('td', { class: 'store' }, r.store_nickname, h('div', { class: 'muted small' }, `${r.marketplace} · ${r.store_id}`)),
    h('td', {}, h('a', { href: listingHref(r.store_id, r.store_sku) }, r.store_sku)),
    opts.showSku ? h('td', {}, h('a', { href: skuHref(r.merchant_sku) }, r.merchant_sku),
      r.title ? h('div', { class: 'muted small' }, r.title) : null) : null,
    h('td', {}, r.warehouse_id || '—'),
    h('td', { class: 'num' }, fmtQty(r.before_qty)),
    h('td', { class: `num ${r.movement < 0 ? 'down' : r.movement > 0 ? 'up' : ''}` }, fmtMovement(r.movement)),
    h('td', { class: 'num strong' }, fmtQty(r.after_qty)),
    h('td', {}, r.rule_name),
    h('td', { class: 'reason' }, words(r.reason)),
    statusCell(r),
    causeCell(r),
    opts.canChange ? h('td', {}, failed ? h('button', {
      type: 'button', class: 'small repush', 'data-repush': r.record_id,
      onclick: (event) => { event.target.disabled = true; opts.onRepush([r.record_id]); },
    }, 'Re-push') : null) : null);
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'records' }, h('thead', {}, head), h('tbody', {}, rows)));
}

// Re-pushes the listings of FAILED records, by ids or by filter; says what happened.
export async function repush(request, notify) {
  try {
    const answer = await api('/push-records/retry', { method: 'POST', body: request });
    const listings = answer.queued.reduce((n, q) => n + q.listings.length, 0);
    const refused = answer.not_retryable.length;
    notify(listings
      ? `Re-push queued for ${listings} listing${listings === 1 ? '' : 's'}: each gets its current quantity.`
        + (refused ? ` ${refused} record(s) could not be re-pushed.` : '')
      : `Nothing to re-push${refused ? `: ${answer.not_retryable.map((n) => `${n.record_id} ${n.refusal}`).join(', ')}` : ''}.`,
    listings ? 'ok' : 'warn');
    return answer;
  } catch (error) {
    notify(`Re-push refused: ${error.message}`, 'bad');
    return null;
  }
}

// Ids seen before and ids new since: rows that appeared live are highlighted for a while.
export class Freshness {
  constructor() {
    this.known = null;
    this.fresh = new Map();
  }

  // Marks ids not seen at the previous call (none at the first); returns the fresh set.
  see(ids, keepMs = 6000) {
    const now = Date.now();
    if (this.known) for (const id of ids) if (!this.known.has(id)) this.fresh.set(id, now);
    this.known = new Set([...(this.known || []), ...ids]);
    for (const [id, at] of this.fresh) if (now - at > keepMs) this.fresh.delete(id);
    return new Set(this.fresh.keys());
  }
}
