/**
 * The traffic poll cycle at 10,000 add-ons, against the stand-ins:
 *
 *   npx ts-node --transpile-only bench/traffic.ts            (about 5 minutes; needs redis-server on the PATH)
 *   BENCH_ADDONS=2000 BENCH_CYCLE_GAP_MS=5000 npx ts-node --transpile-only bench/traffic.ts   (a smoke run)
 *
 * 10,000 provisioned add-ons are written to a private redis-server (records as the workflows leave
 * them, each with its API instance id); the Anypoint stand-in's events export enforces MuleSoft's
 * 10 calls a minute. Cycles run a minute apart, as the worker runs them (BENCH_CYCLE_GAP_MS), so the
 * stand-in's limit sees the real cadence. Each measured cycle first adds a minute's worth of gateway
 * events (one call per add-on, 50 for 1 % of them), then runs the product's `pollOnce` (src/traffic/poll.ts) with the
 * product's export client, as the worker does with the default settings (TRAFFIC_POLL_MS 60 s,
 * TRAFFIC_EXPORT_CALLS_PER_MINUTE 8; TRAFFIC_SETTLE_MS 0 here: the stand-in shows events at once).
 * Reported: export calls per cycle (and 429s), wall time, Redis commands, events; then a burst
 * (25,000 events in one window: a capped answer read again in halves); then Redis bytes per add-on
 * of the traffic keys (MEMORY USAGE, exact), as the cycles left them and in the worst case (an
 * add-on with calls every minute for 24 hours on more paths than are kept, and a full dedup window).
 * Writes bench/results/traffic-<date>.json and prints the markdown table of BENCHMARKS.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { createAnypointSandbox } from '@aag/standins';
import { newRecord } from '../src/domain/addon';
import { emptyCounts, LATENCY_BINS, MINUTE_MS, packMinute, PATH_SLOTS, PATHS_PER_SLOT } from '../src/domain/traffic';
import { createAnypointClient } from '../src/clients/anypoint';
import { DEV_SECRETS } from '../src/config';
import { createLogger } from '../src/logger';
import { AddonStore } from '../src/store/addons';
import { TrafficStore } from '../src/store/traffic';
import { createTrafficMetrics, pollOnce, type PollDeps, type PollResult } from '../src/traffic';
import { killAllChildren, ROOT, round, startPrivateRedis, stopAll, totalCommands } from './lib/proc';

const N = Number(process.env.BENCH_ADDONS ?? 10_000);
const PREFIX = `bench-traffic-${randomUUID().slice(0, 8)}`;
const API_BASE = 30_000_000;
const GAP_MS = Number(process.env.BENCH_CYCLE_GAP_MS ?? 60_000);
const log = (m: string) => console.log(`[traffic bench] ${m}`);

async function memoryOf(redis: Redis, keys: string[]): Promise<number> {
  let sum = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const p = redis.pipeline();
    for (const k of keys.slice(i, i + 500)) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0');
    for (const [, v] of (await p.exec()) ?? []) if (typeof v === 'number') sum += v;
  }
  return sum;
}

async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5_000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

async function main() {
  const started = Date.now();
  const redisSrv = await startPrivateRedis();
  const redis = redisSrv.client;
  const sb = createAnypointSandbox({ analytics: { rateLimitPerMinute: 10, maxEvents: 2_000_000 } });
  const { url } = await sb.start(0);
  try {
    const addons = new AddonStore(redis, PREFIX);
    const traffic = new TrafficStore(redis, PREFIX);
    // ── 10,000 provisioned add-ons, as the workflows leave them ──
    const t0 = Date.now();
    const provisionedAt = new Date(Date.now() - 60_000);
    const uuids: string[] = [];
    for (let i = 0; i < N; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, N - i) }, async (_, j) => {
          const uuid = randomUUID();
          uuids[i + j] = uuid;
          const rec = newRecord({ uuid, plan: 'basic', target: 'omni', region: 'us', name: `bench-${i + j}`, options: {}, now: provisionedAt });
          await addons.create(rec);
          await addons.update(uuid, (r) => ({ ...r, state: 'provisioned', provisionedAt: provisionedAt.toISOString(), placement: { target: 'omni', region: 'us', apiId: String(API_BASE + i + j) } }));
        }),
      );
    }
    log(`${N} provisioned add-on records in ${Date.now() - t0} ms`);
    const usedBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);

    const client = createAnypointClient({
      ANYPOINT_BASE_URL: url,
      ANYPOINT_CLIENT_ID: DEV_SECRETS.ANYPOINT_CLIENT_ID,
      ANYPOINT_CLIENT_SECRET: DEV_SECRETS.ANYPOINT_CLIENT_SECRET,
      ANYPOINT_ENVIRONMENT: 'Sandbox',
      ANYPOINT_PROXY_TEMPLATE_VERSION: '2.0.0',
      HTTP_TIMEOUT_MS: 60_000,
      HTTP_MAX_TRIES: 1,
      HTTP_BACKOFF_BASE_MS: 100,
      HTTP_BACKOFF_MAX_MS: 1_000,
    });
    const registry = new Registry();
    const deps: PollDeps = {
      addons,
      traffic,
      analytics: client.analytics,
      metrics: createTrafficMetrics(registry),
      logger: createLogger({ level: 'warn' }),
      now: () => Date.now(),
      settleMs: 0,
      pollMs: 60_000,
      callsPerMinute: 8,
    };

    /** One minute's events: one call per add-on, 50 for 1 % of them, stamped between `from` and `to`. */
    function addMinute(from: number, to: number, busyEvery = 100, busyCalls = 50, perAddon = 1): number {
      let n = 0;
      for (let i = 0; i < N; i++) {
        const calls = i % busyEvery === 0 ? busyCalls : perAddon;
        for (let c = 0; c < calls; c++) {
          const at = from + Math.floor(((to - from) * (c + 1)) / (calls + 1));
          const blocked = c >= 40;
          sb.analytics.add({
            'Message ID': randomUUID(),
            Timestamp: new Date(at).toISOString(),
            'API ID': String(API_BASE + i),
            'API Name': `heroku-addon-${i}`,
            'API Version': '1.0.0',
            'API Version ID': String(API_BASE + i),
            Verb: 'GET',
            'Resource Path': `/items/${c % 7}`,
            'Status Code': blocked ? 429 : c % 13 === 0 ? 500 : 200,
            'Response Time': blocked ? 1 : 5 + (c % 40),
            'Request Outcome': blocked ? 'BLOCKED' : 'PROCESSED',
            'Violated Policy Name': blocked ? 'Rate limiting' : null,
            'Client IP': '198.51.100.7',
          });
          n++;
        }
      }
      return n;
    }

    async function cycle(label: string): Promise<{ label: string; wallMs: number; redisCommands: number; exportCalls: number; status429: number } & PollResult> {
      const callsBefore = sb.analytics.calls;
      const c0 = await totalCommands(redis);
      const t = Date.now();
      const r = await pollOnce(deps);
      const wallMs = Date.now() - t;
      const redisCommands = (await totalCommands(redis)) - c0 - 1;
      const exportCalls = sb.analytics.calls - callsBefore;
      const rl = (await registry.getSingleMetric('aag_traffic_export_calls_total')!.get()).values.find((v) => v.labels.outcome === 'rate_limited')?.value ?? 0;
      log(`${label}: ${wallMs} ms (records ${r.ms.records}, export ${r.ms.export}, commits ${r.ms.commit}), ${exportCalls} export call(s) (${r.mode}, budget ${r.budget}), ${r.events} events, ${r.fresh} new, ${redisCommands} Redis commands${r.stopped ? `; stopped: ${r.stopped}` : ''}`);
      return { label, wallMs, redisCommands, exportCalls, status429: rl, ...r };
    }

    const cycles = [];
    // warm-up: every cursor starts at its add-on's provisioning; nothing to read yet
    cycles.push(await cycle('warm-up (first cursors)'));
    let last = Date.now();
    for (let k = 1; k <= 3; k++) {
      await new Promise((r) => setTimeout(r, GAP_MS));
      const now = Date.now();
      const added = addMinute(last, now - 200);
      log(`added ${added} events`);
      const c = await cycle(`cycle ${k}`);
      cycles.push({ ...c, added });
      last = Date.now() - 100;
    }
    // a burst: 25,000 events in one window (more than one answer holds): read again in halves
    await new Promise((r) => setTimeout(r, GAP_MS));
    const burstAdded = addMinute(last, Date.now() - 200, 4, 10, 0);
    const burst = { ...(await cycle('burst')), added: burstAdded };

    // ── Redis bytes per add-on ──
    const usedAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const aggBytes = await memoryOf(redis, uuids.map((u) => traffic.aggKey(u)));
    const seenBytes = await memoryOf(redis, uuids.map((u) => traffic.seenKey(u)));
    const cursorBytes = await memoryOf(redis, [traffic.cursorKey]);
    const pathKeys = await keysMatching(redis, `${PREFIX}:traffic:path:*`);
    const pathBytes = await memoryOf(redis, pathKeys);
    const steady = {
      aggPerAddon: aggBytes / N,
      seenPerAddon: seenBytes / N,
      cursorPerAddon: cursorBytes / N,
      pathPerAddon: pathBytes / N,
      totalPerAddon: (aggBytes + seenBytes + cursorBytes + pathBytes) / N,
      usedMemoryDeltaPerAddon: (usedAfter - usedBefore) / N,
    };
    log(`steady state: ${JSON.stringify(Object.fromEntries(Object.entries(steady).map(([k, v]) => [k, round(v, 0)])))}`);

    // ── worst case: calls every minute for 24 hours, on more paths than are kept; a full dedup window ──
    const worst: { agg: number; paths: number; seen: number; total: number }[] = [];
    const now = Date.now();
    for (let w = 0; w < 20; w++) {
      const uuid = `worst-${w}`;
      let expected = { cursor: now - 24 * 3_600_000, from: now - 24 * 3_600_000, raw: '' };
      for (let m = 1_440; m >= 1; m--) {
        const at = now - m * MINUTE_MS;
        const minute = Math.floor(at / MINUTE_MS);
        const c = emptyCounts();
        Object.assign(c, { n: 9_999, limited: 999, blocked: 99, c4: 999, c5: 999, lat: Array.from({ length: LATENCY_BINS }, () => 999) });
        const paths = PATH_SLOTS.flatMap((s) => Array.from({ length: PATHS_PER_SLOT + 3 }, (_, i) => ({ kind: s.kind, slot: Math.floor(at / s.ms), path: `/a/rather/long/resource/path/${m % 40}/${i}`, count: 3 })));
        const last1 = m === 1;
        // the dedup window: ids of the last 10 s before the cursor, 2,500 offered, 128 kept
        const ids = last1 ? Array.from({ length: 2_500 }, (_, i) => ({ id: randomUUID(), at: at + MINUTE_MS - 10_000 + i * 4 })) : [];
        const res = await traffic.commit(uuid, { expected, cursor: at + MINUTE_MS, ids, lines: [], minutes: [packMinute(minute, c)], paths });
        if (!res.cursor) throw new Error('worst-case commit refused');
        expected = res.cursor;
      }
      const paths = await keysMatching(redis, `${PREFIX}:traffic:path:${uuid}:*`);
      const agg = await memoryOf(redis, [traffic.aggKey(uuid)]);
      const pathB = await memoryOf(redis, paths);
      const seen = await memoryOf(redis, [traffic.seenKey(uuid)]);
      worst.push({ agg, paths: pathB, seen, total: agg + pathB + seen + steady.cursorPerAddon });
    }
    const worstMean = {
      agg: worst.reduce((a, w) => a + w.agg, 0) / worst.length,
      paths: worst.reduce((a, w) => a + w.paths, 0) / worst.length,
      seen: worst.reduce((a, w) => a + w.seen, 0) / worst.length,
      total: worst.reduce((a, w) => a + w.total, 0) / worst.length,
    };
    log(`worst case per add-on: ${JSON.stringify(Object.fromEntries(Object.entries(worstMean).map(([k, v]) => [k, round(v, 0)])))}`);
    // the outbox, while a log input refuses to take lines, holds at most 10,000 lines
    const line = `${new Date().toISOString()} method=GET path=/a/rather/long/resource/path/12 status=200 duration_ms=37 outcome=PROCESSED client_ip=198.51.100.7 id=${randomUUID()}`;
    await redis.rpush(traffic.outboxKey('worst-outbox'), ...Array.from({ length: traffic.limits.maxOutbox }, () => line));
    const outboxFull = await memoryOf(redis, [traffic.outboxKey('worst-outbox')]);

    const results = {
      date: new Date().toISOString().slice(0, 10),
      command: 'npx ts-node --transpile-only bench/traffic.ts',
      seconds: Math.round((Date.now() - started) / 1000),
      machine: { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: os.loadavg().map((x) => round(x)) },
      addons: N,
      settings: { pollMs: deps.pollMs, callsPerMinute: deps.callsPerMinute, settleMs: deps.settleMs, standInRateLimitPerMinute: 10, cycleGapMs: GAP_MS },
      cycles,
      burst,
      memory: { steady, worstCase: worstMean, outboxFullBytes: outboxFull, maxOutboxLines: traffic.limits.maxOutbox },
    };
    const dir = path.join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `traffic-${results.date}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, file)}`);

    const measured = cycles.slice(1);
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    const kb = (x: number) => `${(x / 1024).toFixed(1)} KB`;
    console.log(`
| traffic poll cycle, ${fmt(N)} add-ons (\`${results.command}\`, ${results.date}) | value |
|---|---|
| export calls per cycle (one cycle a minute at TRAFFIC_POLL_MS 60 s; MuleSoft allows 10 a minute) | ${measured.map((c) => c.exportCalls).join(', ')} (${measured[0].mode} mode: ${fmt(N)} API ids need ${Math.ceil(N / 200)} lists of 200, more than the budget of ${measured[0].budget}); 429s: ${measured.reduce((a, c) => a + c.status429, 0)} |
| events per cycle / new | ${measured.map((c) => `${fmt(c.events)} / ${fmt(c.fresh)}`).join('; ')} |
| wall time per cycle (reads ${fmt(N)} records, one export call, one commit per add-on with events) | ${measured.map((c) => `${fmt(c.wallMs)} ms (records ${fmt(c.ms.records)}, export call ${fmt(c.ms.export)}, commits ${fmt(c.ms.commit)})`).join('; ')} |
| Redis commands per cycle | ${measured.map((c) => fmt(c.redisCommands)).join(', ')} |
| burst: ${fmt(burst.added)} events in one window (the export answers at most 20,000) | ${burst.exportCalls} calls (capped answer read again in halves), ${fmt(burst.fresh)} new, ${fmt(burst.wallMs)} ms |
| Redis bytes per add-on after these cycles (minute/quarter ring + top paths + dedup ids + cursor; MEMORY USAGE) | ${fmt(steady.totalPerAddon)} B (ring ${fmt(steady.aggPerAddon)}, paths ${fmt(steady.pathPerAddon)}, ids ${fmt(steady.seenPerAddon)}, cursor ${fmt(steady.cursorPerAddon)}); used_memory delta ${fmt(steady.usedMemoryDeltaPerAddon)} B |
| Redis bytes per add-on, worst case (calls every minute for 24 h on more paths than kept, a full dedup window of 128 ids) | ${kb(worstMean.total)} (ring ${kb(worstMean.agg)}, paths ${kb(worstMean.paths)}, ids ${kb(worstMean.seen)}); at most 10,000 add-ons × that = ${(worstMean.total * 10_000 / 1024 / 1024).toFixed(0)} MB |
| an outbox at its bound (10,000 lines while a log input refuses for a while) | ${kb(outboxFull)} |
`);
  } finally {
    await sb.close();
    await redisSrv.stop();
    await stopAll();
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
