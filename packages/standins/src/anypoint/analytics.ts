import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import express, { Router, type Express } from 'express';
import { errorBody, HttpError, requireEnv, requireOrg, strQuery, type Ctx } from './http';
import type { SandboxState } from './state';
import type { ApiInstance } from './types';

/**
 * Gateway analytics: the data plane records every call it serves or refuses as an event, and the
 * control plane serves them as MuleSoft's Analytics Events Export does
 * (`GET /analytics/{version}/{organizationId}/environments/{envId}/events`, vendor spec
 * analytics-event-export; the shapes callers rely on are in README.md):
 *
 * - `format` json (an array of flat objects keyed by the spec's field names) or csv; anything else 400.
 * - `apiIds` a comma list (`all`/`*`/absent: every API); `apiVersionIds` narrows only with `apiIds`.
 * - `fields` comma- or period-delimited, from the spec's list (an unknown name is a 400);
 *   `Timestamp, API Name, API ID, API Version, API Version ID` always come.
 * - `startDate`/`endDate` (ISO 8601; both ends inclusive), else `duration` (`30s`, `2h`, `7d`)
 *   back from now, else the last day; events older than a month are gone.
 * - `maxResults` at most 20,000 (the default); the oldest events of the window first.
 * - `pathPrefix` filters on `Resource Path`.
 * Knobs: `delayMs` (an event becomes visible this long after the call: the platform's lag) and
 * `rateLimitPerMinute` (429 with Retry-After past it; the platform documents 10).
 */

export const FIELD_NAMES = [
  'Timestamp', 'API ID', 'API Version ID', 'Application', 'Message ID', 'Request Size', 'Response Size', 'Response Time', 'Browser',
  'User Agent Name', 'User Agent Version', 'OS Family', 'OS Version', 'Hardware Platform', 'Timezone', 'OS Minor Version', 'OS Major Version',
  'City', 'Client IP', 'Continent', 'Postal Code', 'Verb', 'Country', 'Resource Path', 'Status Code', 'Request Outcome', 'Violated Policy Name',
  'API Name', 'API Version Name', 'Application Name',
] as const;
const ALWAYS = ['Timestamp', 'API Name', 'API ID', 'API Version', 'API Version ID'];
const KNOWN = new Set<string>([...FIELD_NAMES, 'API Version']);

export const MAX_RESULTS = 20_000;
const RETENTION_MS = 30 * 24 * 3600_000;

export type AnalyticsEvent = Record<string, string | number | null>;

interface Stored {
  at: number;
  apiId: string;
  versionId: string;
  path: string;
  event: AnalyticsEvent;
}

export interface AnalyticsOptions {
  /** Events become visible this long after the call (default 0). */
  delayMs?: number;
  /** Export calls allowed per minute (default: no limit). */
  rateLimitPerMinute?: number;
  /** Events kept at most, newest kept (default 1,000,000). */
  maxEvents?: number;
}

/** The recorded events of one sandbox, oldest first. */
export class AnalyticsLog {
  private events: Stored[] = [];
  private window = { start: 0, count: 0 };
  /** Export calls answered (any status). */
  calls = 0;
  delayMs: number;
  rateLimitPerMinute: number | null;
  readonly maxEvents: number;

  constructor(opts: AnalyticsOptions = {}) {
    this.delayMs = opts.delayMs ?? 0;
    this.rateLimitPerMinute = opts.rateLimitPerMinute ?? null;
    this.maxEvents = opts.maxEvents ?? 1_000_000;
  }

  get size(): number {
    return this.events.length;
  }

  /** Adds an event (the export's field names; `Timestamp` ISO). Kept in time order. */
  add(event: AnalyticsEvent): void {
    const at = Date.parse(String(event.Timestamp));
    const s: Stored = { at, apiId: String(event['API ID']), versionId: String(event['API Version ID'] ?? ''), path: String(event['Resource Path'] ?? ''), event };
    const list = this.events;
    if (!list.length || list[list.length - 1].at <= at) list.push(s);
    else list.splice(this.indexAfter(at), 0, s);
    if (list.length > this.maxEvents) list.splice(0, list.length - this.maxEvents);
  }

  /** Index of the first event later than `at`. */
  private indexAfter(at: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].at <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first event at or after `at`. */
  private indexFrom(at: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].at < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Events in [from, to] (both inclusive) that pass `keep`, oldest first, at most `max`. */
  query(from: number, to: number, max: number, keep: (s: Stored) => boolean, now = Date.now()): AnalyticsEvent[] {
    const out: AnalyticsEvent[] = [];
    const visibleUntil = Math.min(to, now - this.delayMs);
    for (let i = this.indexFrom(Math.max(from, now - RETENTION_MS)); i < this.events.length && out.length < max; i++) {
      const s = this.events[i];
      if (s.at > visibleUntil) break;
      if (keep(s)) out.push(s.event);
    }
    return out;
  }

  /** Counts a call against the per-minute limit; the seconds to wait when over it. */
  spend(now = Date.now()): number | null {
    this.calls += 1;
    if (this.rateLimitPerMinute === null) return null;
    if (now - this.window.start >= 60_000) this.window = { start: now, count: 0 };
    this.window.count += 1;
    return this.window.count > this.rateLimitPerMinute ? Math.max(1, Math.ceil((this.window.start + 60_000 - now) / 1000)) : null;
  }

  clear(): void {
    this.events = [];
    this.window = { start: 0, count: 0 };
    this.calls = 0;
  }
}

const logs = new WeakMap<SandboxState, AnalyticsLog>();

/** The analytics log of a sandbox (made with the sandbox's options on first use). */
export function analyticsOf(state: SandboxState, opts?: AnalyticsOptions): AnalyticsLog {
  let log = logs.get(state);
  if (!log) logs.set(state, (log = new AnalyticsLog(opts)));
  return log;
}

const blockedBy = new WeakMap<http.ServerResponse, string>();

/** The data plane refused this call with a policy (the event's outcome is BLOCKED). */
export function markBlocked(res: http.ServerResponse, policy: string): void {
  blockedBy.set(res, policy);
}

function clientIp(req: http.IncomingMessage): string {
  const fwd = String(req.headers['x-forwarded-for'] ?? '').split(',')[0].trim();
  return (fwd || req.socket.remoteAddress || '').replace(/^::ffff:/, '');
}

/** Records the call as an analytics event of `api` when its answer is sent (`path`: what the API saw). */
export function trackGatewayCall(state: SandboxState, api: ApiInstance, req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
  const t0 = performance.now();
  const at = new Date().toISOString();
  const ua = String(req.headers['user-agent'] ?? '');
  res.once('finish', () => {
    const policy = blockedBy.get(res);
    analyticsOf(state).add({
      'Message ID': randomUUID(),
      Timestamp: at,
      'API ID': String(api.id),
      'API Name': api.assetId,
      'API Version': api.assetVersion,
      'API Version ID': String(api.id),
      'API Version Name': api.productVersion ?? 'v1',
      Verb: req.method ?? 'GET',
      'Resource Path': path.split('?')[0] || '/',
      'Status Code': res.statusCode,
      'Response Time': Math.round(performance.now() - t0),
      'Request Outcome': policy ? 'BLOCKED' : 'PROCESSED',
      'Violated Policy Name': policy ?? null,
      'Client IP': clientIp(req),
      'User Agent Name': ua.split('/')[0] || null,
      'Request Size': Number(req.headers['content-length'] ?? 0) || null,
      'Response Size': Number(res.getHeader('content-length') ?? 0) || null,
      Application: null,
      'Application Name': '',
    });
  });
}

const DURATION = /^(\d+)([dhms])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

function csv(rows: AnalyticsEvent[], fields: string[]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\s]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [fields.map((f) => cell(f)).join(','), ...rows.map((r) => fields.map((f) => cell(r[f])).join(','))].join('\n');
}

/** The export operation (after the token and contract checks, like every API route). */
export function registerAnalytics(app: Express, ctx: Ctx): void {
  app.get('/analytics/:version/:orgId/environments/:envId/events', (req, res) => {
    const p = req.params as Record<string, string>;
    if (p.version !== '1.0') throw new HttpError(404, `No analytics API version ${p.version}`);
    requireOrg(ctx, p.orgId);
    requireEnv(ctx, p.envId);
    const log = analyticsOf(ctx.state);
    const wait = log.spend();
    if (wait !== null) {
      res.status(429).setHeader('Retry-After', String(wait));
      res.json(errorBody(429, `Too many requests: the events export allows ${log.rateLimitPerMinute} calls a minute`));
      return;
    }
    const format = strQuery(req, 'format');
    if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'format must be json or csv');
    const rawFields = strQuery(req, 'fields');
    const asked = rawFields ? rawFields.split(/[,.]/).map((f) => f.trim()).filter(Boolean) : [];
    const unknown = asked.find((f) => !KNOWN.has(f));
    if (unknown) throw new HttpError(400, `Unknown field "${unknown}"`);
    if (format === 'csv' && !asked.length) throw new HttpError(400, 'fields is required for csv');
    const fields = asked.length ? [...new Set([...asked, ...ALWAYS])] : null;
    const maxRaw = strQuery(req, 'maxResults');
    const max = maxRaw === undefined ? MAX_RESULTS : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw new HttpError(400, `maxResults must be between 1 and ${MAX_RESULTS}`);
    const now = Date.now();
    const date = (name: string) => {
      const v = strQuery(req, name);
      if (v === undefined) return undefined;
      const t = Date.parse(v);
      if (!Number.isFinite(t)) throw new HttpError(400, `${name} must be an ISO 8601 date-time`);
      return t;
    };
    let from = date('startDate');
    let to = date('endDate');
    const duration = strQuery(req, 'duration');
    if (from === undefined && to === undefined) {
      const m = duration ? DURATION.exec(duration) : null;
      if (duration && !m) throw new HttpError(400, 'duration must be a number and one of d, h, m, s (e.g. 30s, 2h, 7d)');
      from = now - (m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : UNIT_MS.d);
      to = now;
    }
    from ??= 0;
    to ??= now;
    if (from > to) throw new HttpError(400, 'startDate is after endDate');
    const idsRaw = strQuery(req, 'apiIds');
    const ids = idsRaw && idsRaw !== 'all' && idsRaw !== '*' ? new Set(idsRaw.split(',').map((x) => x.trim())) : null;
    const versionsRaw = strQuery(req, 'apiVersionIds');
    const versions = ids && versionsRaw && versionsRaw !== 'all' && versionsRaw !== '*' ? new Set(versionsRaw.split(',').map((x) => x.trim())) : null;
    const prefix = strQuery(req, 'pathPrefix');
    const rows = log
      .query(from, to, max, (s) => (!ids || ids.has(s.apiId)) && (!versions || versions.has(s.versionId)) && (!prefix || s.path.startsWith(prefix)), now)
      .map((e) => (fields ? Object.fromEntries(fields.map((f) => [f, e[f] ?? null])) : { ...e }));
    if (format === 'csv') {
      res.type('text/csv').send(csv(rows, fields ?? []));
      return;
    }
    res.json(rows);
  });
}

/** `/__sandbox/analytics`: GET `{events, calls, delayMs, rateLimitPerMinute}`, POST `{delayMs?, rateLimitPerMinute?}` (null: no limit), DELETE clears. */
export function analyticsControl(log: AnalyticsLog): Router {
  const r = Router();
  r.use(express.json());
  const view = () => ({ events: log.size, calls: log.calls, delayMs: log.delayMs, rateLimitPerMinute: log.rateLimitPerMinute });
  r.get('/', (_req, res) => {
    res.json(view());
  });
  r.post('/', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const bad = Object.keys(b).find((k) => k !== 'delayMs' && k !== 'rateLimitPerMinute');
    if (bad) return void res.status(400).json(errorBody(400, `unknown key ${bad}`));
    if (b.delayMs !== undefined) {
      if (typeof b.delayMs !== 'number' || b.delayMs < 0) return void res.status(400).json(errorBody(400, 'delayMs must be a non-negative number'));
      log.delayMs = b.delayMs;
    }
    if (b.rateLimitPerMinute !== undefined) {
      if (b.rateLimitPerMinute !== null && (typeof b.rateLimitPerMinute !== 'number' || b.rateLimitPerMinute < 1)) return void res.status(400).json(errorBody(400, 'rateLimitPerMinute must be a positive number or null'));
      log.rateLimitPerMinute = b.rateLimitPerMinute as number | null;
    }
    res.json(view());
  });
  r.delete('/', (_req, res) => {
    log.clear();
    res.status(204).end();
  });
  return r;
}
