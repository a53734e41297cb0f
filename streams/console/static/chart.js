// A small step chart of available stock over time (SVG, no library). Points are
// {log_time, available}; the line holds each value until the next point, and the last one up to
// `end`. `marker` draws a vertical line at an instant; `onPick(ms)` is called with the time of
// the point nearest to a click.

import { fmtTime, h } from './dom.js';

const W = 960;
const H = 220;
const PAD = { left: 48, right: 16, top: 14, bottom: 30 };

export function stepChart(points, { end, marker, onPick } = {}) {
  if (!points.length) return h('p', { class: 'empty' }, 'No change of available stock in the log.');
  const t0 = points[0].log_time;
  const t1 = Math.max(end ?? points[points.length - 1].log_time, points[points.length - 1].log_time, t0 + 1);
  const values = points.map((p) => p.available);
  let lo = Math.min(0, ...values);
  let hi = Math.max(...values);
  if (hi === lo) hi = lo + 1;
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);

  let path = `M${x(t0).toFixed(1)},${y(points[0].available).toFixed(1)}`;
  for (let i = 1; i < points.length; i += 1) {
    path += ` H${x(points[i].log_time).toFixed(1)} V${y(points[i].available).toFixed(1)}`;
  }
  path += ` H${x(t1).toFixed(1)}`;

  const svg = h('svg:svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
    'aria-label': `available stock from ${fmtTime(t0)} to ${fmtTime(t1)}: ${points.length} changes, last ${values[values.length - 1]}`,
  });
  const ticks = [lo, Math.round((lo + hi) / 2), hi];
  for (const v of new Set(ticks)) {
    svg.append(h('svg:line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
      h('svg:text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
  }
  if (lo < 0) svg.append(h('svg:line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'zero' }));
  svg.append(
    h('svg:text', { x: PAD.left, y: H - 8, class: 'axis' }, fmtTime(t0)),
    h('svg:text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end', class: 'axis' }, fmtTime(t1)),
    h('svg:path', { d: path, class: 'line' }),
  );
  for (const p of points) {
    svg.append(h('svg:circle', {
      cx: x(p.log_time), cy: y(p.available), r: 3.5, class: 'point', 'data-time': p.log_time,
    }, h('svg:title', {}, `${fmtTime(p.log_time)}: ${p.available} available`)));
  }
  if (marker !== null && marker !== undefined && marker >= t0 && marker <= t1) {
    svg.append(h('svg:line', { x1: x(marker), x2: x(marker), y1: PAD.top, y2: H - PAD.bottom, class: 'marker' }));
  }
  if (onPick) {
    svg.addEventListener('click', (event) => {
      const box = svg.getBoundingClientRect();
      const at = t0 + ((((event.clientX - box.left) / box.width) * W - PAD.left) / (W - PAD.left - PAD.right)) * (t1 - t0);
      const nearest = points.reduce((a, b) => (Math.abs(b.log_time - at) < Math.abs(a.log_time - at) ? b : a));
      onPick(nearest.log_time);
    });
  }
  return svg;
}
