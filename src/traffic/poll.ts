import type { Logger } from '../logger';
import type { AddonRecord } from '../domain/addon';
import { logLine, minuteDeltas, pathDeltas, type GatewayEvent } from '../domain/traffic';
import type { EventsPage, EventsQuery } from '../clients/anypoint/analytics';
import { isUpstreamError } from '../clients/errors';
import type { AddonStore } from '../store/addons';
import { advanced, type Cursor, type TrafficStore } from '../store/traffic';
import type { TrafficMetrics } from './metrics';

/**
 * One poll cycle: the gateway events of every provisioned add-on, read from Anypoint's Analytics
 * Events Export, become each add-on's `heroku logs` lines (its outbox) and dashboard counts.
 *
 * - **Windows.** Each add-on has a cursor (everything before it is handled). A cycle reads up to
 *   `now − settleMs` (the export shows events late) from the earliest `from` of the add-ons it
 *   asks about; `from` lies up to 10 s before the cursor (the dedup window), so an event the export
 *   shows a little late, or at a window's edge, is still found, and a handled one is recognised by
 *   its message id.
 * - **Sharing calls.** The add-ons' API ids go into as few calls as possible: lists of up to
 *   `idsPerCall` ids per call while those lists fit the cycle's budget; past that, one call for the
 *   whole environment (no `apiIds`), whose events are routed by API id. The budget is
 *   `callsPerMinute × pollMs / 60 s` calls (at least one): the export allows 10 a minute.
 * - **Capped answers.** An answer of `maxResults` rows may hide more: that window is read again in
 *   halves (down to one second), each half a call of the budget. A window left when the budget runs
 *   out waits for the next cycle (the cursors stay where they are).
 * - **Once.** Each add-on's new events, lines, counts and cursor are written in one atomic commit,
 *   compare-and-set on the cursor: a window is committed once even when a worker dies half-way or
 *   two read it.
 */

export interface Analytics {
  events(q: EventsQuery): Promise<EventsPage>;
}

export interface PollDeps {
  addons: AddonStore;
  traffic: TrafficStore;
  analytics: Analytics;
  metrics: TrafficMetrics;
  logger: Logger;
  now: () => number;
  settleMs: number;
  pollMs: number;
  callsPerMinute: number;
  /** API ids per call in list mode (URL length: 200 ids are about 2 KB). */
  idsPerCall?: number;
  /** Rows per call (default the export's maximum, 20,000). */
  maxResults?: number;
  /** Test seam: awaited at `traffic.poll:before-commit` (a reliability test kills the worker there). */
  checkpoint?: (point: string) => Promise<void>;
}

export interface PollResult {
  /** Provisioned add-ons considered. */
  addons: number;
  /** Export calls made, and the cycle's budget. */
  calls: number;
  budget: number;
  /** 'list' (apiIds lists) or 'environment' (one call for every API of the environment). */
  mode: 'list' | 'environment' | 'none';
  events: number;
  /** New events committed (after the dedup window) and lines queued for log inputs. */
  fresh: number;
  lines: number;
  /** Windows left for the next cycle (the budget ran out, or a call failed). */
  deferred: number;
  /** Why the cycle stopped early, if it did. */
  stopped?: string;
  /** Where the time went (ms): reading the records and cursors, the export calls, the commits. */
  ms: { records: number; export: number; commit: number };
}

interface Live {
  uuid: string;
  apiIds: string[];
  /** Epoch ms before which its gateway served nobody's calls (its provisioning). */
  since: number;
  hasLog: boolean;
  cur?: Cursor;
}

/** How far back a new cursor may start: the export keeps a month. */
const RETENTION_MS = 30 * 24 * 3600_000;
/** A capped window is not split below this. */
const MIN_WINDOW_MS = 1_000;
export const DEFAULT_IDS_PER_CALL = 200;
/** Add-ons committed side by side. */
const COMMIT_CONCURRENCY = 32;

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** The add-ons whose gateway traffic is read: provisioned, with at least one API instance. */
export function liveAddons(records: readonly AddonRecord[]): Live[] {
  const out: Live[] = [];
  for (const r of records) {
    if (r.state !== 'provisioned') continue;
    const apiIds = [r.placement?.apiId, r.next?.apiId, r.retired?.apiId].filter((x): x is string => !!x);
    if (!apiIds.length) continue;
    out.push({ uuid: r.uuid, apiIds: [...new Set(apiIds)], since: Date.parse(r.provisionedAt ?? r.updatedAt) || 0, hasLog: !!r.logInputUrlSealed });
  }
  return out;
}

/** Calls one cycle may make. */
export function callBudget(callsPerMinute: number, pollMs: number): number {
  return Math.max(1, Math.floor((callsPerMinute * pollMs) / 60_000));
}

/** Groups of add-ons that share a call: id lists while they fit the budget, else one group with no list (the environment). */
export function groupsFor(live: readonly Live[], budget: number, idsPerCall: number): { mode: PollResult['mode']; groups: { apiIds?: string[]; addons: Live[] }[] } {
  if (!live.length) return { mode: 'none', groups: [] };
  const groups: { apiIds: string[]; addons: Live[] }[] = [];
  let cur: { apiIds: string[]; addons: Live[] } | undefined;
  for (const a of live) {
    if (!cur || cur.apiIds.length + a.apiIds.length > idsPerCall) groups.push((cur = { apiIds: [], addons: [] }));
    cur.apiIds.push(...a.apiIds);
    cur.addons.push(a);
  }
  if (groups.length <= budget) return { mode: 'list', groups };
  return { mode: 'environment', groups: [{ addons: [...live] }] };
}

export async function pollOnce(deps: PollDeps): Promise<PollResult> {
  const started = Date.now();
  const now = deps.now();
  const end = now - deps.settleMs;
  const budget = callBudget(deps.callsPerMinute, deps.pollMs);
  const result: PollResult = { addons: 0, calls: 0, budget, mode: 'none', events: 0, fresh: 0, lines: 0, deferred: 0, ms: { records: 0, export: 0, commit: 0 } };
  const lap = (what: keyof PollResult['ms'], since: number) => (result.ms[what] += Date.now() - since);
  try {
    const live = liveAddons(await deps.addons.getMany(await deps.addons.allIds()));
    result.addons = live.length;
    const liveIds = new Set(live.map((a) => a.uuid));
    // add-ons that are gone: their lines and counts go too
    for (const uuid of await deps.traffic.trackedIds()) {
      if (liveIds.has(uuid)) continue;
      const left = await deps.traffic.forget(uuid);
      if (left) deps.metrics.linesDropped.inc({ reason: 'removed' }, left);
    }
    const cursors = await deps.traffic.cursors([...liveIds]);
    for (const a of live) {
      a.cur = cursors.get(a.uuid);
      if (!a.cur) {
        const start = Math.max(a.since, now - RETENTION_MS);
        a.cur = { cursor: start, from: start, raw: '' };
      }
    }
    lap('records', started);
    const paused = await deps.traffic.exportPausedUntil();
    if (paused > now) {
      result.stopped = `the export asked to wait until ${new Date(paused).toISOString()}`;
      return result;
    }
    const { mode, groups } = groupsFor(live, budget, deps.idsPerCall ?? DEFAULT_IDS_PER_CALL);
    result.mode = mode;
    const byApi = new Map<string, Live>();
    for (const a of live) for (const id of a.apiIds) byApi.set(id, a);

    for (const g of groups) {
      const start = Math.min(...g.addons.map((a) => a.cur!.from));
      if (start >= end) continue;
      const windows: [number, number][] = [[start, end]];
      while (windows.length) {
        if (result.calls >= budget) {
          result.deferred += windows.length;
          result.stopped ??= 'the cycle used its export budget';
          break;
        }
        const [from, to] = windows.shift()!;
        let page: EventsPage;
        const asked = Date.now();
        try {
          result.calls += 1;
          page = await deps.analytics.events({ apiIds: g.apiIds, from, to, maxResults: deps.maxResults });
          lap('export', asked);
        } catch (err) {
          const limited = isUpstreamError(err) && err.status === 429;
          deps.metrics.exportCalls.inc({ outcome: limited ? 'rate_limited' : 'error' });
          if (limited) await deps.traffic.pauseExport(now + Math.max(err.retryAfterMs ?? 0, deps.pollMs), now);
          result.deferred += windows.length + 1;
          result.stopped = limited ? 'the export answered 429' : `the export failed: ${(err as Error).message}`;
          deps.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message }, from: new Date(from).toISOString(), to: new Date(to).toISOString() }, 'traffic: export call failed; the window is read again next cycle');
          return result;
        }
        if (page.capped && to - from > MIN_WINDOW_MS) {
          deps.metrics.exportCalls.inc({ outcome: 'capped' });
          const mid = from + Math.floor((to - from) / 2);
          windows.unshift([from, mid], [mid, to]);
          continue;
        }
        deps.metrics.exportCalls.inc({ outcome: page.capped ? 'capped' : 'ok' });
        if (page.capped) deps.logger.warn({ from: new Date(from).toISOString(), rows: page.rows }, 'traffic: a one-second window holds more events than one export call answers; the rest of it is not read');
        result.events += page.events.length;
        const committing = Date.now();
        await handleWindow(deps, g.addons, byApi, page.events, to, result);
        lap('commit', committing);
      }
    }
    const slowest = Math.min(...live.map((a) => a.cur!.cursor));
    if (Number.isFinite(slowest)) deps.metrics.lagSeconds.set(Math.max(0, (now - slowest) / 1000));
    return result;
  } finally {
    deps.metrics.pollSeconds.observe((Date.now() - started) / 1000);
  }
}

/** Commits one window's events for every add-on of the group whose cursor is before its end. */
async function handleWindow(deps: PollDeps, addons: readonly Live[], byApi: Map<string, Live>, events: readonly GatewayEvent[], to: number, result: PollResult): Promise<void> {
  const mine = new Set(addons.map((a) => a.uuid));
  const perAddon = new Map<string, GatewayEvent[]>();
  let unknown = 0;
  for (const e of events) {
    const a = byApi.get(e.apiId);
    if (!a || !mine.has(a.uuid)) {
      unknown += 1;
      continue;
    }
    let list = perAddon.get(a.uuid);
    if (!list) perAddon.set(a.uuid, (list = []));
    list.push(e);
  }
  if (unknown) deps.metrics.events.inc({ kind: 'unknown' }, unknown);
  const quiet: Live[] = [];
  const busy: Live[] = [];
  for (const a of addons) {
    if (a.cur!.cursor >= to) continue;
    (perAddon.has(a.uuid) ? busy : quiet).push(a);
  }
  if (busy.length) await deps.checkpoint?.('traffic.poll:before-commit');
  // add-ons side by side: their commits are independent (one script each, on one connection)
  await pool(busy, COMMIT_CONCURRENCY, async (a) => {
    const cur = a.cur!;
    const list = perAddon.get(a.uuid) ?? [];
    // before `from`: handled; a message id twice in one answer counts once
    const inWindow = list.filter((e) => e.at >= cur.from);
    if (inWindow.length < list.length) deps.metrics.events.inc({ kind: 'early' }, list.length - inWindow.length);
    const unique = [...new Map(inWindow.map((e) => [e.id, e])).values()];
    // only an event before the cursor (the re-read part of the window) can have been handled
    const again = unique.filter((e) => e.at < cur.cursor);
    const seen = again.length ? await deps.traffic.seen(a.uuid, again.map((e) => e.id)) : new Set<string>();
    const fresh = unique.filter((e) => !seen.has(e.id)).sort((x, y) => x.at - y.at || x.id.localeCompare(y.id));
    const dup = inWindow.length - fresh.length;
    if (dup) deps.metrics.events.inc({ kind: 'duplicate' }, dup);
    if (!fresh.length) {
      quiet.push(a);
      return;
    }
    const lines = a.hasLog ? fresh.map((e) => `${new Date(e.at).toISOString()} ${logLine(e)}`) : [];
    const done = await deps.traffic.commit(a.uuid, {
      expected: cur,
      cursor: to,
      ids: fresh.map((e) => ({ id: e.id, at: e.at })),
      lines,
      minutes: minuteDeltas(fresh),
      paths: pathDeltas(fresh),
    });
    if (!done.committed) {
      // another commit moved this cursor (another worker read the same window): that one counts
      deps.logger.info({ addon: a.uuid }, 'traffic: window already committed elsewhere');
      const now = (await deps.traffic.cursors([a.uuid])).get(a.uuid);
      if (now) a.cur = now;
      return;
    }
    a.cur = done.cursor;
    deps.metrics.events.inc({ kind: 'new' }, fresh.length);
    result.fresh += fresh.length;
    result.lines += lines.length;
    if (done.dropped) deps.metrics.linesDropped.inc({ reason: 'backlog' }, done.dropped);
  });
  if (quiet.length) {
    await deps.traffic.advance(
      quiet.map((a) => ({ uuid: a.uuid, floor: a.cur!.from })),
      to,
    );
    for (const a of quiet) a.cur = advanced(a.cur!, to, deps.traffic.limits.overlapMs);
  }
}
