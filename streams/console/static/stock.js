// Stock: a SKU's stock per warehouse now or as of an instant (the picker), and a chart of its
// available stock over time from the log; a click on the chart shows the stock at that point.

import { api, enc } from './api.js';
import {
  empty, errorBox, fmtQty, fmtTime, h, localToMs, msToLocal, replace,
} from './dom.js';
import { every } from './live.js';
import { stepChart } from './chart.js';
import { skuHref } from './records.js';

const COLUMNS = [['in_stock', 'In stock'], ['booked', 'Booked'], ['reserved', 'Reserved'],
  ['available', 'Available'], ['incoming', 'Incoming']];

function stockTable(view) {
  const rows = Object.entries(view.warehouses);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stock' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Warehouse'), COLUMNS.map(([, label]) => h('th', { class: 'num' }, label)))),
    h('tbody', {}, rows.map(([wid, numbers]) => h('tr', { 'data-warehouse': wid }, h('td', {}, wid),
      COLUMNS.map(([key]) => h('td', { class: `num ${key === 'available' ? 'strong' : ''}`, 'data-field': key }, fmtQty(numbers[key])))))),
    h('tfoot', {}, h('tr', { 'data-warehouse': '' }, h('th', {}, 'Total'),
      COLUMNS.map(([key]) => h('td', { class: 'num strong', 'data-field': key }, fmtQty(view.total[key])))))));
}

export function stockPage(main, { args, query, setQuery }) {
  const sku = args[0] || '';
  const asOf = query.get('as_of') ? Number(query.get('as_of')) : null;
  const go = (nextSku, nextAsOf) => setQuery(nextSku ? `/stock/${enc(nextSku)}` : '/stock', { as_of: nextAsOf });

  const skuInput = h('input', { type: 'search', name: 'sku', value: sku, placeholder: 'Merchant SKU', required: true, 'aria-label': 'Merchant SKU' });
  const picker = h('input', { type: 'datetime-local', step: 1, name: 'as_of', value: msToLocal(asOf), 'aria-label': 'As of' });
  const stockBox = h('div', { class: 'results' });
  const chartBox = h('div', { class: 'card chart-card' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Stock'),
      h('p', { class: 'muted' }, 'Per warehouse, now or as it was at an instant (folded from the log).')),
    h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); go(skuInput.value.trim(), localToMs(picker.value)); } },
      h('label', { class: 'field grow' }, h('span', {}, 'Merchant SKU'), skuInput),
      h('label', { class: 'field' }, h('span', {}, 'As of (your time)'), picker),
      h('button', { type: 'submit', class: 'primary' }, 'Show'),
      h('button', { type: 'button', 'data-action': 'now', onclick: () => go(skuInput.value.trim(), null) }, 'Now'),
      sku ? h('a', { href: skuHref(sku), class: 'button' }, 'Sync records →') : null),
    sku ? h('h2', { 'data-field': 'stock-title' }, asOf ? `As of ${fmtTime(asOf)}` : 'Now') : null,
    stockBox,
    sku ? h('h2', {}, 'Available stock over time') : null,
    sku ? chartBox : null);
  if (!sku) {
    replace(stockBox, empty('Enter a merchant SKU.'));
    return null;
  }

  // The series is read from the log (the SKU's partition from its start): again only when the
  // stock changed, not at every refresh.
  let shown;
  let series = null;

  async function refresh() {
    const view = await api(`/stock/${enc(sku)}`, { params: { as_of: asOf } })
      .catch((e) => (e.status === 404 ? null : Promise.reject(e)));
    const text = JSON.stringify(view);
    if (text === shown) return;
    series = await api(`/stock/${enc(sku)}/series`).catch((e) => (e.status === 404 ? null : Promise.reject(e)));
    shown = text;
    replace(stockBox, view ? stockTable(view) : empty(asOf ? 'No event of this SKU had been logged by then.' : 'Unknown merchant SKU.'));
    replace(chartBox, series
      ? [stepChart(series.points, { end: Math.max(Date.now(), asOf || 0), marker: asOf, onPick: (ms) => go(sku, ms) }),
        h('p', { class: 'muted small' }, `${series.points.length} change${series.points.length === 1 ? '' : 's'}`
          + `${series.truncated ? ' (the newest)' : ''}. Click the chart to see the stock at a point.`)]
      : empty('No event of this SKU in the log.'));
  }

  refresh().catch((error) => replace(stockBox, errorBox(error)));
  // Now: live. As of an instant: the past does not change.
  return asOf ? null : every(refresh, 3000);
}
