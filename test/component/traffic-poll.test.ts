import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { newRecord } from '../../src/domain/addon';
import type { GatewayEvent } from '../../src/domain/traffic';
import type { EventsQuery } from '../../src/clients/anypoint/analytics';
import { UpstreamError } from '../../src/clients/errors';
import { createLogger } from '../../src/logger';
import { SecretBox } from '../../src/secrets';
import { AddonStore } from '../../src/store/addons';
import { connectRedis } from '../../src/store/redis';
import { TrafficStore } from '../../src/store/traffic';
import { createTrafficMetrics, pollOnce, type PollDeps } from '../../src/traffic';
import { deletePrefix, LogCapture, REDIS_URL, uniquePrefix } from '../helpers/context';

/**
 * The poll cycle against real Redis and an export that behaves as the vendor spec allows (time
 * windows, no cursor, at most maxResults rows, both ends of a window inclusive, a row twice): each
 * event is handled once, a capped window is read again in halves within the budget, a 429 pauses
 * the export, the memory each add-on may use is bounded, and an add-on that is gone leaves nothing.
 */

let redis: Redis;
let prefix: string;
let addons: AddonStore;
let traffic: TrafficStore;
const box = new SecretBox(Buffer.alloc(32, 9));
const T0 = Date.parse('2026-11-28T10:00:00.000Z');

beforeAll(() => {
  redis = connectRedis({ REDIS_URL, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
});
beforeEach(() => {
  prefix = uniquePrefix('traffic-poll');
  addons = new AddonStore(redis, prefix);
  traffic = new TrafficStore(redis, prefix);
});
afterEach(async () => {
  await deletePrefix(redis, prefix);
});
afterAll(() => redis.disconnect());

/** An export over a list of events: [from, to] inclusive (the spec does not say), oldest first, capped. */
class FakeExport {
  events: GatewayEvent[] = [];
  calls: EventsQuery[] = [];
  fail?: unknown;
  async events_(q: EventsQuery) {
    this.calls.push(q);
    if (this.fail) throw this.fail;
    const max = q.maxResults ?? 20_000;
    const rows = this.events.filter((e) => (!q.apiIds?.length || q.apiIds.includes(e.apiId)) && e.at >= q.from && e.at <= q.to).sort((a, b) => a.at - b.at);
    const page = rows.slice(0, max);
    // the client leaves out what is outside [from, to)
    return { events: page.filter((e) => e.at < q.to), rows: page.length, capped: page.length >= max };
  }
  get api() {
    return { events: (q: EventsQuery) => this.events_(q) };
  }
}

async function provisioned(apiId: string, withLog = true): Promise<string> {
  const uuid = randomUUID();
  const rec = newRecord({ uuid, plan: 'test', target: 'omni', region: 'us', name: uuid, options: {}, now: new Date(T0 - 3_600_000) });
  await addons.create({ ...rec, ...(withLog ? { logInputUrlSealed: box.sealField(uuid, 'logInputUrlSealed', 'https://token:t@logs.test/logs') } : {}) });
  await addons.update(uuid, (r) => ({ ...r, state: 'provisioned', provisionedAt: new Date(T0 - 60_000).toISOString(), placement: { target: 'omni', region: 'us', apiId } }));
  return uuid;
}

function deps(exp: FakeExport, now: () => number, over: Partial<PollDeps> = {}): PollDeps & { registry: Registry } {
  const registry = new Registry();
  return {
    addons,
    traffic,
    analytics: exp.api,
    metrics: createTrafficMetrics(registry),
    logger: createLogger({ level: 'silent' }, new LogCapture()),
    now,
    settleMs: 0,
    pollMs: 60_000,
    callsPerMinute: 8,
    registry,
    ...over,
  };
}

const call = (apiId: string, at: number, i: number, over: Partial<GatewayEvent> = {}): GatewayEvent => ({
  id: `${apiId}-${i}`,
  apiId,
  at,
  method: 'GET',
  path: `/p${i % 3}`,
  status: i % 5 === 0 ? 429 : 200,
  durationMs: 5,
  outcome: i % 5 === 0 ? 'BLOCKED' : 'PROCESSED',
  policy: i % 5 === 0 ? 'Rate limiting' : undefined,
  ...over,
});

async function outbox(uuid: string): Promise<string[]> {
  return redis.lrange(traffic.outboxKey(uuid), 0, -1);
}
const ids = (lines: string[]) => lines.map((l) => /id=(\S+)$/.exec(l)?.[1]);

it('each event once: windows back to back, an event at the very end of one, a row the export gives twice, a re-read overlap', async () => {
  const uuid = await provisioned('11');
  const exp = new FakeExport();
  let now = T0 + 60_000;
  const d = deps(exp, () => now);
  exp.events.push(call('11', T0 + 1_000, 1), call('11', T0 + 1_000, 1), call('11', T0 + 60_000, 2));
  const first = await pollOnce(d);
  expect(first).toMatchObject({ addons: 1, calls: 1, mode: 'list', fresh: 1, lines: 1 });
  // the window starts at the add-on's provisioning
  expect(exp.calls[0]).toMatchObject({ apiIds: ['11'], from: T0 - 60_000, to: T0 + 60_000 });
  // an event that shows up late (its time is before the cursor, within the dedup window), and one new
  exp.events.push(call('11', T0 + 55_000, 3), call('11', T0 + 90_000, 4));
  now = T0 + 120_000;
  const second = await pollOnce(d);
  expect(second).toMatchObject({ calls: 1, fresh: 3 });
  expect(exp.calls[1]).toMatchObject({ from: T0 + 50_000, to: T0 + 120_000 });
  now = T0 + 180_000;
  await pollOnce(d);
  expect(ids(await outbox(uuid))).toEqual(['11-1', '11-3', '11-2', '11-4']);
  expect((await traffic.read(uuid, now)).minutes.reduce((a, m) => a + m.n, 0)).toBe(4);
});

it('many add-ons share a call; a commit is compare-and-set on the cursor (a second reader of the same window changes nothing)', async () => {
  const a = await provisioned('21');
  const b = await provisioned('22', false);
  const exp = new FakeExport();
  exp.events.push(...Array.from({ length: 30 }, (_, i) => call(i % 2 ? '21' : '22', T0 + i * 1_000, i)));
  const now = () => T0 + 60_000;
  const [r1, r2] = await Promise.all([pollOnce(deps(exp, now)), pollOnce(deps(exp, now))]);
  // both read the window (in real life the lock keeps them apart); the cursor let one commit each add-on
  expect(exp.calls.map((c) => [...(c.apiIds ?? [])].sort())).toEqual([['21', '22'], ['21', '22']]);
  expect(r1.fresh + r2.fresh).toBe(30);
  expect(await outbox(a)).toHaveLength(15);
  // no log input: counts, no lines
  expect(await outbox(b)).toHaveLength(0);
  expect((await traffic.read(b, T0 + 60_000)).minutes.reduce((x, m) => x + m.n, 0)).toBe(15);
});

it('a capped answer is read again in halves within the budget; what the budget leaves waits for the next cycle; nothing twice, nothing lost', async () => {
  const uuid = await provisioned('31');
  const exp = new FakeExport();
  exp.events.push(...Array.from({ length: 100 }, (_, i) => call('31', T0 + i * 500, i)));
  const now = () => T0 + 60_000;
  const d = deps(exp, now, { maxResults: 30, callsPerMinute: 4 });
  const first = await pollOnce(d);
  expect(first.calls).toBe(4);
  expect(first.deferred).toBeGreaterThan(0);
  expect(first.stopped).toBe('the cycle used its export budget');
  let rounds = 1;
  while ((await outbox(uuid)).length < 100 && rounds < 20) {
    await pollOnce(d);
    rounds++;
  }
  const lines = await outbox(uuid);
  expect(lines).toHaveLength(100);
  expect(new Set(ids(lines)).size).toBe(100);
  expect(ids(lines)).toEqual(Array.from({ length: 100 }, (_, i) => `31-${i}`));
  const capped = await d.registry.getSingleMetric('aag_traffic_export_calls_total')!.get();
  expect(capped.values.find((v) => v.labels.outcome === 'capped')!.value).toBeGreaterThan(0);
});

it("a 429 from the export pauses it (Retry-After, at least a cycle) for every worker; the window is read when it may", async () => {
  const uuid = await provisioned('41');
  const exp = new FakeExport();
  exp.events.push(call('41', T0 + 1_000, 1));
  let now = T0 + 60_000;
  const d = deps(exp, () => now, { pollMs: 1_000 });
  exp.fail = new UpstreamError({ api: 'analytics', method: 'GET', path: '/analytics', status: 429, retryable: true, retryAfterMs: 30_000 });
  expect((await pollOnce(d)).stopped).toBe('the export answered 429');
  exp.fail = undefined;
  now += 10_000;
  const paused = await pollOnce(d);
  expect(paused.calls).toBe(0);
  expect(paused.stopped).toMatch(/asked to wait/);
  now += 30_000;
  await pollOnce(d);
  expect(await outbox(uuid)).toHaveLength(1);
});

it('memory is bounded: the outbox keeps its last lines (the oldest dropped and counted), the dedup window its last ids', async () => {
  traffic = new TrafficStore(redis, prefix, { overlapMs: 10_000, maxSeen: 50, maxOutbox: 120 });
  const uuid = await provisioned('51');
  const exp = new FakeExport();
  exp.events.push(...Array.from({ length: 200 }, (_, i) => call('51', T0 + 59_000 + i, i)));
  const d = deps(exp, () => T0 + 60_000);
  await pollOnce(d);
  const lines = await outbox(uuid);
  expect(lines).toHaveLength(120);
  expect(ids(lines)[0]).toBe('51-80');
  expect(await redis.zcard(traffic.seenKey(uuid))).toBe(50);
  const dropped = await d.registry.getSingleMetric('aag_log_lines_dropped_total')!.get();
  expect(dropped.values.find((v) => v.labels.reason === 'backlog')!.value).toBe(80);
  // the events whose ids left the window are behind the cursor's `from`: a re-read adds nothing
  const again = await pollOnce({ ...d, now: () => T0 + 61_000 });
  expect(again.fresh).toBe(0);
  expect(await outbox(uuid)).toHaveLength(120);
  for (const k of traffic.keysOf(uuid)) expect(await redis.pttl(k)).toBeGreaterThan(24 * 3600_000);
});

it('an add-on that is gone (deprovisioned) leaves nothing: its cursor, ids, lines and counts go, the lines counted as removed', async () => {
  const uuid = await provisioned('61');
  const exp = new FakeExport();
  exp.events.push(call('61', T0 + 1_000, 1));
  const d = deps(exp, () => T0 + 60_000);
  await pollOnce(d);
  expect(await outbox(uuid)).toHaveLength(1);
  await addons.update(uuid, (r) => ({ ...r, state: 'deprovisioning' }));
  await pollOnce(d);
  for (const k of traffic.keysOf(uuid)) expect(await redis.exists(k)).toBe(0);
  expect(await redis.hexists(traffic.cursorKey, uuid)).toBe(0);
  expect(await redis.sismember(traffic.pendingKey, uuid)).toBe(0);
  const dropped = await d.registry.getSingleMetric('aag_log_lines_dropped_total')!.get();
  expect(dropped.values.find((v) => v.labels.reason === 'removed')!.value).toBe(1);
});

it('with the default limits the dedup window stays a compact listpack of 128 short hashed ids, however busy the add-on', async () => {
  const uuid = await provisioned('71');
  const exp = new FakeExport();
  exp.events.push(...Array.from({ length: 1_000 }, (_, i) => call('71', T0 + 50_000 + i * 10, i)));
  await pollOnce(deps(exp, () => T0 + 60_000));
  expect(await redis.zcard(traffic.seenKey(uuid))).toBe(128);
  expect(await redis.call('OBJECT', 'ENCODING', traffic.seenKey(uuid))).toBe('listpack');
  const members = await redis.zrange(traffic.seenKey(uuid), '0', '-1');
  expect(members.every((m) => /^[A-Za-z0-9_-]{12}$/.test(m))).toBe(true);
  expect((await outbox(uuid)).length).toBe(1_000);
});
