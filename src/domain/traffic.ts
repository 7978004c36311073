import { createHash } from 'node:crypto';
import { PLANS, type Plan } from './plans';

/**
 * What users see of their gateway's traffic, as pure rules (no I/O): one gateway call (an event of
 * Anypoint's analytics export) becomes one log line for `heroku logs`; events are counted into
 * minute slots (last hour) and quarter-hour slots (last 24 hours) with a latency histogram; the
 * dashboard's figures (requests a minute, refused by the rate limit, upstream 4xx/5xx, p50/p95,
 * top paths, the plan that would fit) are read back from those slots.
 */

/** One call through the gateway, as the export reports it (the fields we read). */
export interface GatewayEvent {
  /** `Message ID`, or one derived from the event's fields when the export gives none. */
  id: string;
  apiId: string;
  /** Epoch ms (`Timestamp`). */
  at: number;
  method: string;
  path: string;
  status: number | null;
  /** `Response Time`, ms. */
  durationMs: number | null;
  /** `Request Outcome`: PROCESSED (reached the upstream) or BLOCKED (refused by a policy). */
  outcome: string;
  /** `Violated Policy Name` of a blocked call. */
  policy?: string;
  clientIp?: string;
}

/** The event fields asked of the export (its exact names; `Timestamp` and `API ID` always come). */
export const EXPORT_FIELDS = ['Message ID', 'Verb', 'Resource Path', 'Status Code', 'Response Time', 'Request Outcome', 'Violated Policy Name', 'Client IP'] as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/**
 * An export row (an object keyed by the export's field names) as an event; null when it names no
 * API or no time. Numbers may come as strings; a row without `Message ID` gets an id hashed from
 * its fields (two identical calls in the same millisecond then count once).
 */
export function eventFromExport(row: unknown): GatewayEvent | null {
  if (!row || typeof row !== 'object' || Array.isArray(row)) return null;
  const r = row as Record<string, unknown>;
  const apiId = str(r['API ID']);
  const at = Date.parse(str(r.Timestamp) ?? '');
  if (!apiId || !Number.isFinite(at)) return null;
  const e: Omit<GatewayEvent, 'id'> = {
    apiId,
    at,
    method: (str(r.Verb) ?? '-').toUpperCase(),
    path: str(r['Resource Path']) ?? '/',
    status: num(r['Status Code']),
    durationMs: num(r['Response Time']),
    outcome: (str(r['Request Outcome']) ?? 'PROCESSED').toUpperCase(),
    policy: str(r['Violated Policy Name']) || undefined,
    clientIp: str(r['Client IP']) || undefined,
  };
  const given = str(r['Message ID']);
  const id = given || `h${createHash('sha1').update(JSON.stringify([apiId, at, e.method, e.path, e.status, e.durationMs, e.outcome, e.clientIp ?? ''])).digest('hex').slice(0, 24)}`;
  return { id, ...e };
}

/** Refused by the plan's rate limit (as opposed to another policy). */
export function isRateLimited(e: Pick<GatewayEvent, 'outcome' | 'policy' | 'status'>): boolean {
  return e.outcome === 'BLOCKED' && (/rate.?limit/i.test(e.policy ?? '') || (!e.policy && e.status === 429));
}

/** logfmt value: bare when it can be, else double-quoted with `\` and `"` escaped; control characters as `\xNN`. */
function value(v: string): string {
  const control = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;
  const quote = /[\s"=\\]/.test(v) || [...v].some(control);
  const out = [...v.replace(/[\\"]/g, (c) => `\\${c}`)].map((c) => (control(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
  return quote ? `"${out}"` : out;
}

/** Paths longer than this are cut in log lines and in the top-paths table. */
export const PATH_MAX = 512;

/**
 * The `heroku logs` line of one call, e.g.
 * `method=GET path=/orders status=429 duration_ms=3 outcome=BLOCKED policy="Rate limiting" client_ip=203.0.113.9 id=…`.
 */
export function logLine(e: GatewayEvent): string {
  const parts = [
    `method=${value(e.method)}`,
    `path=${value(e.path.slice(0, PATH_MAX) || '/')}`,
    `status=${e.status ?? '-'}`,
    `duration_ms=${e.durationMs ?? '-'}`,
    `outcome=${value(e.outcome)}`,
  ];
  if (e.policy) parts.push(`policy=${value(e.policy)}`);
  if (e.clientIp) parts.push(`client_ip=${value(e.clientIp)}`);
  parts.push(`id=${value(e.id)}`);
  return parts.join(' ');
}

// ── aggregates ────────────────────────────────────────────────────────────────────────────

export const MINUTE_MS = 60_000;
export const QUARTER_MS = 15 * MINUTE_MS;
/** Minute slots kept (the last hour) and quarter-hour slots (the last 24 hours). */
export const MINUTE_SLOTS = 60;
export const QUARTER_SLOTS = 96;

/** Upper bounds (ms) of the latency histogram's bins; the last bin is everything above. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000] as const;
export const LATENCY_BINS = LATENCY_BOUNDS_MS.length + 1;

export interface Counts {
  /** Every call. */
  n: number;
  /** Refused by the rate limit. */
  limited: number;
  /** Refused by another policy. */
  blocked: number;
  /** Reached the upstream, which answered 4xx / 5xx (a gateway 502/504 counts as 5xx). */
  c4: number;
  c5: number;
  /** Latency of the calls that reached the upstream, per bin of LATENCY_BOUNDS_MS. */
  lat: number[];
}

export function emptyCounts(): Counts {
  return { n: 0, limited: 0, blocked: 0, c4: 0, c5: 0, lat: new Array<number>(LATENCY_BINS).fill(0) };
}

export function latencyBin(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BINS - 1 : i;
}

export function countEvent(c: Counts, e: GatewayEvent): void {
  c.n += 1;
  if (e.outcome === 'BLOCKED') {
    if (isRateLimited(e)) c.limited += 1;
    else c.blocked += 1;
    return;
  }
  if (e.status !== null && e.status >= 400 && e.status < 500) c.c4 += 1;
  if (e.status !== null && e.status >= 500) c.c5 += 1;
  if (e.durationMs !== null && e.durationMs >= 0) c.lat[latencyBin(e.durationMs)] += 1;
}

/** One minute's counts, packed for the store: `minute,n,limited,blocked,c4,c5,h0:h1:…` (minute = epoch ms / 60,000). */
export function packMinute(minute: number, c: Counts): string {
  return [minute, c.n, c.limited, c.blocked, c.c4, c.c5, c.lat.join(':')].join(',');
}

/** The events' counts per minute, packed (what one commit adds to an add-on's slots). */
export function minuteDeltas(events: readonly GatewayEvent[]): string[] {
  const byMinute = new Map<number, Counts>();
  for (const e of events) {
    const m = Math.floor(e.at / MINUTE_MS);
    let c = byMinute.get(m);
    if (!c) byMinute.set(m, (c = emptyCounts()));
    countEvent(c, e);
  }
  return [...byMinute.entries()].sort((a, b) => a[0] - b[0]).map(([m, c]) => packMinute(m, c));
}

/** A stored slot: its period (minute or quarter number), counts and, for quarters, the busiest minute's calls. */
export interface Slot extends Counts {
  period: number;
  peak: number;
}

/** Reads a stored slot value `period,n,limited,blocked,c4,c5,peak,h0:h1:…`; null when malformed. */
export function parseSlot(raw: string | undefined | null): Slot | null {
  if (!raw) return null;
  const p = raw.split(',');
  if (p.length !== 8) return null;
  const [period, n, limited, blocked, c4, c5, peak] = p.slice(0, 7).map(Number);
  const lat = p[7].split(':').map(Number);
  if ([period, n, limited, blocked, c4, c5, peak, ...lat].some((x) => !Number.isFinite(x))) return null;
  while (lat.length < LATENCY_BINS) lat.push(0);
  return { period, n, limited, blocked, c4, c5, peak, lat: lat.slice(0, LATENCY_BINS) };
}

/** Top paths are kept per time slot: 10-minute slots for the last hour, hourly ones for the last day. */
export const PATH_SLOTS = [
  { kind: 't', ms: 10 * MINUTE_MS, keep: 7 },
  { kind: 'h', ms: 60 * MINUTE_MS, keep: 25 },
] as const;
/** Distinct paths a slot counts on their own; the rest are `(other)`. */
export const PATHS_PER_SLOT = 12;
export const OTHER_PATHS = '(other)';
/** Paths are cut to this length in the top-paths table (a Redis small-hash field stays small). */
export const PATH_KEY_MAX = 48;

/** The path a call is counted under (no query string, cut). */
export function pathKey(path: string): string {
  const bare = path.split('?')[0] || '/';
  return bare.length > PATH_KEY_MAX ? `${bare.slice(0, PATH_KEY_MAX - 1)}…` : bare;
}

/** Calls per path and slot: `{kind, slot, path, count}` (what one commit adds). */
export function pathDeltas(events: readonly GatewayEvent[]): { kind: 't' | 'h'; slot: number; path: string; count: number }[] {
  const m = new Map<string, { kind: 't' | 'h'; slot: number; path: string; count: number }>();
  for (const e of events) {
    const path = pathKey(e.path);
    for (const s of PATH_SLOTS) {
      const slot = Math.floor(e.at / s.ms);
      const k = `${s.kind}|${slot}|${path}`;
      const cur = m.get(k);
      if (cur) cur.count += 1;
      else m.set(k, { kind: s.kind, slot, path, count: 1 });
    }
  }
  return [...m.values()];
}

// ── what the dashboard shows ──────────────────────────────────────────────────────────────

export interface SeriesPoint {
  /** Start of the period (epoch ms). */
  at: number;
  /** Calls in the period; refused by the rate limit; refused by other policies. */
  n: number;
  limited: number;
  blocked: number;
  /** Calls in the period's busiest minute (quarters), or n (minutes). */
  peak: number;
}

export interface PeriodSummary {
  label: string;
  /** Minutes the period spans. */
  minutes: number;
  total: number;
  limited: number;
  blocked: number;
  c4: number;
  c5: number;
  /** Calls in the busiest minute. */
  peakPerMinute: number;
  /** Approximate percentiles of the calls that reached the upstream, ms; null without such calls. */
  p50: number | null;
  p95: number | null;
  topPaths: { path: string; count: number }[];
  points: SeriesPoint[];
  /** Minutes (or quarters) per point. */
  step: 'minute' | 'quarter';
}

export interface TrafficView {
  hour: PeriodSummary;
  day: PeriodSummary;
  /** The plan's limit per minute, drawn on the charts. */
  limitPerMinute: number | null;
  planName: string;
  /** The smallest plan whose limit covers the busiest minute of the day (null: none does). */
  fits: Plan | null;
  /** When the figures were read. */
  at: number;
}

/**
 * A percentile from histogram bins: the bin where the cumulative count crosses `p`, interpolated
 * linearly inside it (the last bin, open above, answers its lower bound).
 */
export function percentile(bins: readonly number[], p: number): number | null {
  const total = bins.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = p * total;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    if (bins[i] === 0) continue;
    if (seen + bins[i] >= rank) {
      const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      if (i >= LATENCY_BOUNDS_MS.length) return lo;
      const hi = LATENCY_BOUNDS_MS[i];
      return Math.round(lo + ((hi - lo) * (rank - seen)) / bins[i]);
    }
    seen += bins[i];
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

function sum(slots: readonly Slot[]): Counts {
  const c = emptyCounts();
  for (const s of slots) {
    c.n += s.n;
    c.limited += s.limited;
    c.blocked += s.blocked;
    c.c4 += s.c4;
    c.c5 += s.c5;
    s.lat.forEach((v, i) => (c.lat[i] += v));
  }
  return c;
}

function top(counts: Map<string, number>, n = 5): { path: string; count: number }[] {
  return [...counts.entries()]
    .map(([path, count]) => ({ path, count }))
    .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path))
    .slice(0, n);
}

export interface StoredTraffic {
  /** Minute slots and quarter slots as stored (any order, stale ones included). */
  minutes: Slot[];
  quarters: Slot[];
  /** Path counts per path slot. */
  paths: { kind: 't' | 'h'; slot: number; counts: Map<string, number> }[];
}

/** The dashboard's figures for the last hour and the last 24 hours, as of `now`. */
export function trafficView(stored: StoredTraffic, plan: Plan | undefined, now: number): TrafficView {
  const nowMinute = Math.floor(now / MINUTE_MS);
  const nowQuarter = Math.floor(now / QUARTER_MS);
  const minutes = new Map(stored.minutes.map((s) => [s.period, s]));
  const quarters = new Map(stored.quarters.map((s) => [s.period, s]));
  const hourSlots: Slot[] = [];
  const hourPoints: SeriesPoint[] = [];
  for (let m = nowMinute - MINUTE_SLOTS + 1; m <= nowMinute; m++) {
    const s = minutes.get(m);
    if (s) hourSlots.push(s);
    hourPoints.push({ at: m * MINUTE_MS, n: s?.n ?? 0, limited: s?.limited ?? 0, blocked: s?.blocked ?? 0, peak: s?.n ?? 0 });
  }
  const daySlots: Slot[] = [];
  const dayPoints: SeriesPoint[] = [];
  for (let q = nowQuarter - QUARTER_SLOTS + 1; q <= nowQuarter; q++) {
    const s = quarters.get(q);
    if (s) daySlots.push(s);
    dayPoints.push({ at: q * QUARTER_MS, n: s?.n ?? 0, limited: s?.limited ?? 0, blocked: s?.blocked ?? 0, peak: s?.peak ?? 0 });
  }
  const pathsSince = (kind: 't' | 'h', from: number) => {
    const m = new Map<string, number>();
    for (const p of stored.paths) if (p.kind === kind && p.slot >= from) for (const [k, v] of p.counts) m.set(k, (m.get(k) ?? 0) + v);
    return m;
  };
  const tenMin = PATH_SLOTS[0].ms;
  const hourMs = PATH_SLOTS[1].ms;
  const summary = (label: string, minutesSpan: number, slots: Slot[], points: SeriesPoint[], step: 'minute' | 'quarter', paths: Map<string, number>): PeriodSummary => {
    const c = sum(slots);
    return {
      label,
      minutes: minutesSpan,
      total: c.n,
      limited: c.limited,
      blocked: c.blocked,
      c4: c.c4,
      c5: c.c5,
      peakPerMinute: Math.max(0, ...points.map((p) => p.peak)),
      p50: percentile(c.lat, 0.5),
      p95: percentile(c.lat, 0.95),
      topPaths: top(paths),
      points,
      step,
    };
  };
  const hour = summary('Last hour', 60, hourSlots, hourPoints, 'minute', pathsSince('t', Math.floor((now - 60 * MINUTE_MS) / tenMin)));
  const day = summary('Last 24 hours', 24 * 60, daySlots, dayPoints, 'quarter', pathsSince('h', Math.floor((now - 24 * hourMs) / hourMs)));
  const limitPerMinute = plan ? Math.round((plan.maximumRequests * MINUTE_MS) / plan.timePeriodInMilliseconds) : null;
  const busiest = Math.max(hour.peakPerMinute, day.peakPerMinute);
  return { hour, day, limitPerMinute, planName: plan?.name ?? '', fits: planThatFits(busiest), at: now };
}

/** The smallest plan whose per-minute limit covers `callsPerMinute` (null when none does). */
export function planThatFits(callsPerMinute: number): Plan | null {
  const perMinute = (p: Plan) => (p.maximumRequests * MINUTE_MS) / p.timePeriodInMilliseconds;
  return [...PLANS].sort((a, b) => perMinute(a) - perMinute(b)).find((p) => perMinute(p) >= callsPerMinute) ?? null;
}

/** The provision's `log_input_url` when it is one we can post to (an http(s) URL), else undefined. */
export function logInputUrlOf(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? raw : undefined;
  } catch {
    return undefined;
  }
}
