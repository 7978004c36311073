import type { AddonRecord } from '../domain/addon';
import { findPlan } from '../domain/plans';
import { trafficView, type PeriodSummary, type StoredTraffic, type TrafficView } from '../domain/traffic';

/**
 * The dashboard's traffic section: the last hour and the last 24 hours of the gateway, drawn as
 * inline SVG (no script, no external asset: the page's CSP allows neither), with the plan's limit
 * on the charts, a text alternative for each chart, the figures as text (readable without SVG or
 * JavaScript) and the top paths. Only presentation attributes style the SVG (the CSP allows no
 * inline style attribute).
 */

/** Where `heroku addons:docs anypoint-api-gateway` leads: the Dev Center article (docs/anypoint-api-gateway.md). */
export const DOCS_URL = 'https://devcenter.heroku.com/articles/anypoint-api-gateway';

export interface TrafficReader {
  read(uuid: string, now: number): Promise<StoredTraffic>;
}

/** The figures of a provisioned add-on; undefined for other states, or when they cannot be read (the page still renders). */
export async function trafficFor(rec: AddonRecord, reader: TrafficReader | undefined, now = Date.now()): Promise<TrafficView | undefined> {
  if (!reader || rec.state !== 'provisioned') return undefined;
  try {
    return trafficView(await reader.read(rec.uuid, now), findPlan(rec.plan), now);
  } catch {
    return undefined;
  }
}

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const fmt = (n: number) => n.toLocaleString('en-US');
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

const COLORS = { processed: '#6a4fb3', limited: '#c0392b', blocked: '#e67e22', limit: '#11663a', axis: '#9aa1b2', text: '#5a6275' };

const W = 720;
const H = 180;
const PAD = { left: 44, right: 8, top: 14, bottom: 24 };

function chart(id: string, p: PeriodSummary, limit: number | null, planName: string): string {
  const points = p.points;
  const heightOf = (pt: (typeof points)[number]) => (p.step === 'minute' ? pt.n : pt.peak);
  const top = Math.max(1, ...points.map(heightOf), limit ? Math.ceil(limit * 1.15) : 0);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / points.length;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const bars = points
    .map((pt, i) => {
      const h = heightOf(pt);
      if (!h) return '';
      const x = PAD.left + i * bw;
      const w = Math.max(1, bw - 1);
      // the refused share of the bar (exact per minute; per quarter, the quarter's share of its busiest minute)
      const share = pt.n ? h / pt.n : 0;
      const lim = pt.limited * share;
      const blk = pt.blocked * share;
      const ok = Math.max(0, h - lim - blk);
      const span = p.step === 'minute' ? hhmm(pt.at) : `${hhmm(pt.at)}–${hhmm(pt.at + 15 * 60_000)}`;
      const what =
        p.step === 'minute'
          ? `${span} UTC: ${fmt(pt.n)} calls, ${fmt(pt.limited)} refused by the rate limit${pt.blocked ? `, ${fmt(pt.blocked)} refused by other policies` : ''}`
          : `${span} UTC: ${fmt(pt.n)} calls, busiest minute ${fmt(pt.peak)}, ${fmt(pt.limited)} refused by the rate limit`;
      const rect = (from: number, v: number, color: string) => (v > 0 ? `<rect x="${x.toFixed(1)}" y="${y(from + v).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(from) - y(from + v)).toFixed(1)}" fill="${color}"/>` : '');
      return `<g data-n="${pt.n}" data-limited="${pt.limited}" data-blocked="${pt.blocked}" data-peak="${pt.peak}"><title>${esc(what)}</title>${rect(0, ok, COLORS.processed)}${rect(ok, blk, COLORS.blocked)}${rect(ok + blk, lim, COLORS.limited)}</g>`;
    })
    .join('');
  const limitLine =
    limit !== null
      ? `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(limit).toFixed(1)}" y2="${y(limit).toFixed(1)}" stroke="${COLORS.limit}" stroke-width="1.5" stroke-dasharray="6 4" data-testid="${id}-limit" data-limit="${limit}"/><text x="${PAD.left + 4}" y="${(y(limit) - 4).toFixed(1)}" font-size="11" fill="${COLORS.limit}">${esc(planName)} plan limit: ${fmt(limit)} / minute</text>`
      : '';
  const axis = `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="${COLORS.axis}"/><text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end" font-size="11" fill="${COLORS.text}">${fmt(top)}</text><text x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end" font-size="11" fill="${COLORS.text}">0</text><text x="${PAD.left}" y="${H - 6}" font-size="11" fill="${COLORS.text}">${p.step === 'minute' ? '60 minutes ago' : '24 hours ago'} (${hhmm(points[0]?.at ?? 0)} UTC)</text><text x="${W - PAD.right}" y="${H - 6}" text-anchor="end" font-size="11" fill="${COLORS.text}">now</text>`;
  const unit = p.step === 'minute' ? 'Calls per minute' : 'Calls in the busiest minute of each quarter hour';
  const desc = `${unit}, ${p.label.toLowerCase()}: ${fmt(p.total)} calls in all, ${fmt(p.limited)} refused by the rate limit, busiest minute ${fmt(p.peakPerMinute)} calls${limit !== null ? `; the ${planName} plan allows ${fmt(limit)} a minute` : ''}.`;
  return `<svg role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${W} ${H}" width="100%" data-testid="${id}-chart" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${esc(`${unit}, ${p.label.toLowerCase()}`)}</title><desc id="${id}-desc">${esc(desc)}</desc>${axis}${bars}${limitLine}</svg>`;
}

function figures(id: string, p: PeriodSummary): string {
  const ms = (v: number | null) => (v === null ? '<span class="muted">no calls reached the upstream</span>' : `about ${fmt(v)} ms`);
  const row = (label: string, key: string, v: string) => `<dt>${esc(label)}</dt><dd data-testid="${id}-${key}">${v}</dd>`;
  const paths = p.topPaths.length
    ? `<table><thead><tr><th>Top paths</th><th>Calls</th></tr></thead><tbody>${p.topPaths.map((t) => `<tr><td><code>${esc(t.path)}</code></td><td>${fmt(t.count)}</td></tr>`).join('')}</tbody></table>`
    : '';
  return `<dl>
${row('Calls', 'total', fmt(p.total))}
${row('Refused by the rate limit (429)', 'limited', fmt(p.limited))}
${p.blocked ? row('Refused by other policies', 'blocked', fmt(p.blocked)) : ''}
${row('Upstream answered 4xx / 5xx', 'errors', `${fmt(p.c4)} / ${fmt(p.c5)}`)}
${row('Latency p50 / p95 (calls that reached the upstream)', 'latency', `${ms(p.p50)} / ${ms(p.p95)}`)}
${row('Busiest minute', 'peak', `${fmt(p.peakPerMinute)} calls`)}
</dl>${paths}`;
}

function legend(): string {
  const sw = (color: string, label: string) =>
    `<svg width="12" height="12" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><rect width="12" height="12" fill="${color}"/></svg> ${esc(label)}`;
  return `<p class="muted">${sw(COLORS.processed, 'reached the upstream')} &nbsp; ${sw(COLORS.limited, 'refused by the rate limit')} &nbsp; ${sw(COLORS.blocked, 'refused by other policies')} &nbsp; <svg width="18" height="12" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><line x1="0" x2="18" y1="6" y2="6" stroke="${COLORS.limit}" stroke-width="1.5" stroke-dasharray="6 4"/></svg> your plan's limit</p>`;
}

function advice(v: TrafficView, current: string): string {
  const busiest = Math.max(v.hour.peakPerMinute, v.day.peakPerMinute);
  if (v.limitPerMinute === null || busiest === 0) return '';
  if (busiest <= v.limitPerMinute) {
    return `<p data-testid="traffic-fit">Your busiest minute of the last 24 hours had ${fmt(busiest)} calls: within the ${esc(v.planName)} plan's ${fmt(v.limitPerMinute)} a minute.</p>`;
  }
  const refused = v.day.limited;
  const fit = v.fits
    ? `The ${esc(v.fits.name)} plan (${fmt(v.fits.maximumRequests)} a minute) would fit: <code>heroku addons:upgrade anypoint-api-gateway:${esc(v.fits.slug)}</code>.`
    : 'No plan allows that many calls a minute: spread the calls, or contact support.';
  return `<p class="bad" data-testid="traffic-fit">Your busiest minute of the last 24 hours had ${fmt(busiest)} calls; the ${esc(v.planName)} plan allows ${fmt(v.limitPerMinute)} a minute, so ${fmt(refused)} calls were refused with 429. ${v.fits?.slug === current ? '' : fit}</p>`;
}

/** The traffic section of a provisioned add-on (with a link to the docs); for other states, the docs link alone. */
export function renderTraffic(rec: AddonRecord, view: TrafficView | undefined): string {
  const docs = `<p class="muted">How to read this, <code>heroku logs</code> and what to do about refused calls: <a href="${esc(DOCS_URL)}" data-testid="docs-link">the add-on's documentation</a> (<code>heroku addons:docs anypoint-api-gateway</code>).</p>`;
  if (rec.state !== 'provisioned') return `<section><h2>Help</h2>${docs}</section>`;
  if (!view) return `<section data-testid="traffic"><h2>Traffic</h2><p class="muted">The traffic figures cannot be read right now; reload in a minute.</p>${docs}</section>`;
  if (view.day.total === 0) {
    return `<section data-testid="traffic"><h2>Traffic</h2><p data-testid="traffic-empty">No calls in the last 24 hours yet. Calls through the proxy URL show here, and in <code>heroku logs --tail</code>, a few minutes after they happen.</p>${docs}</section>`;
  }
  const period = (id: string, p: PeriodSummary) => `<h3>${esc(p.label)}</h3>${chart(id, p, view.limitPerMinute, view.planName)}${figures(id, p)}`;
  return `<section data-testid="traffic"><h2>Traffic</h2>
<p class="muted">From Anypoint's analytics of your gateway: the figures and the <code>heroku logs</code> lines come a few minutes after the calls. Times in UTC.</p>
${legend()}
${advice(view, rec.plan)}
${period('traffic-hour', view.hour)}
${period('traffic-day', view.day)}
${docs}</section>`;
}
