import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEV_SECRETS } from '../src/config';
import { bullPrefix } from '../src/jobs';
import { createAnypointSandbox, createHerokuSandbox, type ProvisionRequestBody } from '@aag/standins';
import { acceptRequest, basicHeader, load, provisionBody, ssoRequest, type LoadResult } from './lib/load';
import {
  benchRedis,
  commandStats,
  cpuMsOf,
  deciles,
  deletePrefix,
  diffStats,
  freePort,
  median,
  rssOf,
  sleep,
  spawnTs,
  startPrivateRedis,
  totalCommands,
  waitHttp,
  type Child,
} from './lib/proc';

/** The benchmark phases. Each returns plain data for the results file. */

export interface BenchOpts {
  quick: boolean;
  rounds: number;
  runPrefix: string;
  sharedRedisUrl: string;
  /** extra node flags for the product's processes (e.g. --cpu-prof) */
  productNodeArgs: string[];
  log: (msg: string) => void;
}

const ADDON_ID = 'anypoint-api-gateway';
const ADDON_PASSWORD = DEV_SECRETS.ADDON_PASSWORD;
const AUTH = basicHeader(ADDON_ID, ADDON_PASSWORD);

interface Pair {
  product: LoadResult[];
  baseline: LoadResult[];
}

function summarizePair(p: Pair) {
  const pr = median(p.product.map((r) => r.rps));
  const br = median(p.baseline.map((r) => r.rps));
  return {
    product: { rps: pr, p50: median(p.product.map((r) => r.p50)), p99: median(p.product.map((r) => r.p99)) },
    baseline: { rps: br, p50: median(p.baseline.map((r) => r.p50)), p99: median(p.baseline.map((r) => r.p99)) },
    ratio: pr / br,
    rounds: p,
  };
}

/** The product's web process (src/server.ts, which calls startWeb) on a free port. */
async function spawnWeb(name: string, env: Record<string, string>, nodeArgs: string[]): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnTs(name, 'src/server.ts', { LOG_LEVEL: 'warn', PORT: String(port), ...env }, nodeArgs);
  await waitHttp(`${url}/healthz`, child);
  return { child, url };
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

async function postJson(url: string, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body });
  await res.arrayBuffer();
  return res.status;
}

/** Mean MEMORY USAGE (bytes, exact) over the given keys that exist. */
async function memoryUsage(redis: Redis, keys: string[]): Promise<{ mean: number; keys: number }> {
  const sizes: number[] = [];
  for (const k of keys) {
    const n = (await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) as number | null;
    if (typeof n === 'number') sizes.push(n);
  }
  return { mean: sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : NaN, keys: sizes.length };
}

// ───────────────────────────── 1, 2 and web footprint ─────────────────────────────

export async function httpPhases(o: BenchOpts) {
  const prefix = `${o.runPrefix}-http`;
  const basePrefix = `${o.runPrefix}-http-base`;
  const shared = benchRedis(o.sharedRedisUrl);
  const web = await spawnWeb('web', { REDIS_URL: o.sharedRedisUrl, KEY_PREFIX: prefix }, o.productNodeArgs);
  const acceptPort = await freePort();
  const accept = spawnTs('baseline-accept', 'bench/baselines/accept.ts', {
    PORT: String(acceptPort),
    REDIS_URL: o.sharedRedisUrl,
    KEY_PREFIX: basePrefix,
    ADDON_ID,
    ADDON_PASSWORD,
  });
  const ssoPort = await freePort();
  const sso = spawnTs('baseline-sso', 'bench/baselines/sso.ts', { PORT: String(ssoPort), SSO_SALT: DEV_SECRETS.SSO_SALT });
  const acceptUrl = `http://127.0.0.1:${acceptPort}`;
  const ssoUrl = `http://127.0.0.1:${ssoPort}`;
  await waitHttp(`${acceptUrl}/healthz`, accept);
  await waitHttp(`${ssoUrl}/healthz`, sso);
  const clean = async () => {
    await deletePrefix(shared, prefix);
    await deletePrefix(shared, basePrefix);
  };

  try {
    // 1. accept path
    const dur = o.quick ? 4 : 20;
    const warm = o.quick ? 1 : 3;
    o.log(`accept: warm-up ${warm} s each`);
    await load({ url: web.url, connections: 50, duration: warm, request: acceptRequest(AUTH) });
    await load({ url: acceptUrl, connections: 50, duration: warm, request: acceptRequest(AUTH) });
    await clean();
    const acc: Pair = { product: [], baseline: [] };
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? (['product', 'baseline'] as const) : (['baseline', 'product'] as const);
      for (const which of order) {
        const res = await load({ url: which === 'product' ? web.url : acceptUrl, connections: 50, duration: dur, request: acceptRequest(AUTH) });
        acc[which].push(res);
        o.log(`accept round ${r + 1} ${which}: ${res.rps.toFixed(0)} req/s p50 ${res.p50} ms p99 ${res.p99} ms statuses ${JSON.stringify(res.statuses)} errors ${res.errors}`);
        await clean(); // the queue and records: flushed between runs so every run starts from the same state
      }
    }

    // 2. SSO: add-ons provisioned (accepted) first, then valid tokens for them
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) {
      const st = await postJson(`${web.url}/heroku/resources`, provisionBody(id));
      if (st !== 202) throw new Error(`provision for SSO answered ${st}`);
    }
    const ssoDur = o.quick ? 2 : 10;
    await load({ url: web.url, connections: 50, duration: warm, request: ssoRequest(ids, DEV_SECRETS.SSO_SALT) });
    await load({ url: ssoUrl, connections: 50, duration: warm, request: ssoRequest(ids, DEV_SECRETS.SSO_SALT) });
    const ssoPair: Pair = { product: [], baseline: [] };
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? (['product', 'baseline'] as const) : (['baseline', 'product'] as const);
      for (const which of order) {
        const res = await load({ url: which === 'product' ? web.url : ssoUrl, connections: 50, duration: ssoDur, request: ssoRequest(ids, DEV_SECRETS.SSO_SALT) });
        ssoPair[which].push(res);
        o.log(`sso round ${r + 1} ${which}: ${res.rps.toFixed(0)} req/s p50 ${res.p50} ms p99 ${res.p99} ms statuses ${JSON.stringify(res.statuses)}`);
      }
    }
    await clean();

    // 5a. web footprint: RSS across N accepted add-ons (10 connections), and bytes per accepted record
    const n = o.quick ? 2_000 : 10_000;
    let done = 0;
    const samples: { n: number; rss: number }[] = [];
    const sampler = setInterval(() => {
      const rss = rssOf(web.child.pid);
      if (rss) samples.push({ n: done, rss });
    }, 100);
    const fp = await load({ url: web.url, connections: 10, amount: n, request: acceptRequest(AUTH), onResponse: () => void done++ });
    clearInterval(sampler);
    const recKeys: string[] = [];
    const [, someKeys] = await shared.scan('0', 'MATCH', `${prefix}:addon:*`, 'COUNT', 500);
    recKeys.push(...someKeys.slice(0, 100));
    const acceptedRecord = await memoryUsage(shared, recKeys);
    const waitingJob = await memoryUsage(
      shared,
      recKeys.map((k) => `${bullPrefix(prefix)}:provision:provision_${k.slice(k.lastIndexOf(':') + 1)}`),
    );
    const d = deciles(samples.map((s) => s.rss));
    o.log(`web footprint: ${fp.requests} requests, RSS first decile ${(d.first / 2 ** 20).toFixed(1)} MB, last ${(d.last / 2 ** 20).toFixed(1)} MB`);
    await clean();

    return {
      accept: { ...summarizePair(acc), connections: 50, durationSeconds: dur, worker: 'none (accept path only; queue flushed after each run)' },
      sso: { ...summarizePair(ssoPair), connections: 50, durationSeconds: ssoDur, addons: ids.length },
      webFootprint: {
        addons: fp.requests,
        statuses: fp.statuses,
        rssFirstDecileMB: d.first / 2 ** 20,
        rssLastDecileMB: d.last / 2 ** 20,
        samples: d.samples,
        acceptedRecordBytes: acceptedRecord.mean,
        waitingJobBytes: waitingJob.mean,
        sampledKeys: acceptedRecord.keys,
      },
    };
  } finally {
    await Promise.all([web.child.stop(), accept.stop(), sso.stop()]);
    await clean().catch(() => undefined);
    shared.disconnect();
  }
}

// ───────────────────────────── stand-ins + product processes ─────────────────────────────

interface ProductStack {
  web: { child: Child; url: string };
  worker: Child;
  prefix: string;
  /** The environment the web and worker processes run with (a baseline reads the same config). */
  env: Record<string, string>;
  anypointUrl: string;
  heroku: ReturnType<typeof createHerokuSandbox>;
  anypoint: ReturnType<typeof createAnypointSandbox>;
  close(): Promise<void>;
}

async function productStack(
  o: BenchOpts,
  redisUrl: string,
  prefix: string,
  sandbox: { deployDelayMs: number; latencyMs?: number; gatewayCreateDelayMs?: number; apiGoLiveDelayMs?: number; gatewayApiLimit?: number },
  env: Record<string, string>,
): Promise<ProductStack> {
  // unless a phase measures the pool's growth, one shared gateway holds every add-on of a round
  const anypoint = createAnypointSandbox({
    deployDelayMs: sandbox.deployDelayMs,
    gatewayCreateDelayMs: sandbox.gatewayCreateDelayMs ?? sandbox.deployDelayMs,
    apiGoLiveDelayMs: sandbox.apiGoLiveDelayMs ?? 0,
    gatewayApiLimit: sandbox.gatewayApiLimit ?? 100_000,
    seed: 1,
  });
  // the call log must hold every call of a pipeline round (≈ 6 Heroku calls an add-on) to count them
  const heroku = createHerokuSandbox({ maxCalls: 200_000 });
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  if (sandbox.latencyMs) {
    anypoint.setFaults([{ path: '.*', latencyMs: sandbox.latencyMs }]);
    heroku.setFaults([{ path: '*', latencyMs: sandbox.latencyMs }]);
  }
  const common = {
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    // a phase that measures the pool's growth lets the platform's own API limit decide
    ...(sandbox.gatewayApiLimit === undefined ? { OMNI_GATEWAY_API_LIMIT: '100000' } : {}),
    JOB_BACKOFF_MS: '50',
    HTTP_BACKOFF_BASE_MS: '5',
    HTTP_BACKOFF_MAX_MS: '50',
    SWEEP_INTERVAL_MS: '600000',
    LOG_LEVEL: 'warn',
    // the accept phases post many thousands of free add-ons: measure the accept path, not the cap
    MAX_FREE_ADDONS: '100000000',
    ...env,
  };
  const web = await spawnWeb('web', common, []);
  const workerOps = await freePort();
  const worker = spawnTs('worker', 'src/worker.ts', { ...common, WORKER_METRICS_PORT: String(workerOps) }, o.productNodeArgs);
  // measured work starts only once the worker serves (its ops server starts after its queues' workers)
  await waitHttp(`http://127.0.0.1:${workerOps}/healthz`, worker);
  return {
    web,
    worker,
    prefix,
    env: common,
    anypointUrl: a.url,
    heroku,
    anypoint,
    async close() {
      await Promise.all([web.child.stop(), worker.stop()]);
      await anypoint.close();
      await heroku.close();
    },
  };
}

/** Posts every body (≤ 20 in flight), then waits until no record is provisioning. */
async function provisionAll(s: ProductStack, redis: Redis, bodies: ProvisionRequestBody[], timeoutMs: number): Promise<void> {
  await pool(bodies, 20, async (b) => {
    const st = await postJson(`${s.web.url}/heroku/resources`, JSON.stringify(b));
    if (st !== 202) throw new Error(`provision answered ${st}`);
  });
  const until = Date.now() + timeoutMs;
  while ((await redis.scard(`${s.prefix}:addons:active`)) > 0) {
    if (Date.now() > until) throw new Error(`add-ons still provisioning after ${timeoutMs} ms; worker output:\n${s.worker.output()}`);
    if (s.worker.proc.exitCode !== null) throw new Error(`worker exited:\n${s.worker.output()}`);
    await sleep(20);
  }
}

async function recordsOf(redis: Redis, prefix: string, uuids: string[]) {
  const raw = await redis.mget(...uuids.map((u) => `${prefix}:addon:${u}`));
  return raw.map((r) => (r ? (JSON.parse(r) as { state: string; createdAt: string; provisionedAt?: string; failureReason?: string }) : null));
}

async function hopsOf(redis: Redis, prefix: string, uuids: string[]): Promise<number[]> {
  const p = redis.pipeline();
  for (const u of uuids) p.hget(`${bullPrefix(prefix)}:provision:provision_${u}`, 'ats');
  const res = (await p.exec()) ?? [];
  return res.map(([, v]) => Number(v));
}

// ───────────────────────────── 3, worker footprint, kept jobs ─────────────────────────────

/** Calls the stand-ins have answered so far (Anypoint: its counter; Heroku: its call log). */
async function standinCalls(s: ProductStack): Promise<number> {
  const res = await fetch(`${s.anypointUrl}/__sandbox/calls?limit=0`);
  return ((await res.json()) as { total: number }).total + s.heroku.calls().length;
}

/** CPU ms of the processes of a round, read before and after it (/proc/<pid>/stat). */
function cpuMeter(pids: Record<string, number>) {
  const read = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMsOf(pid) ?? NaN]));
  const before = read();
  const bench0 = process.cpuUsage();
  return (): Record<string, number> => {
    const after = read();
    const bench = process.cpuUsage(bench0);
    return { ...Object.fromEntries(Object.keys(pids).map((k) => [k, after[k] - before[k]])), bench: (bench.user + bench.system) / 1000 };
  };
}

const perAddon = (xs: Record<string, number>, n: number) => Object.fromEntries(Object.entries(xs).map(([k, v]) => [k, Math.round((v / n) * 100) / 100]));

interface PipelineBaselineAnswer {
  ms: number;
  cpuMs: number;
  concurrency: number;
  provisioned: number;
  failed: number;
  waits: number;
  retries: number;
  reasons: Record<string, number>;
}

/** The job options the product gave its provision jobs, as stored on a job (BullMQ keeps them in the job hash). */
async function storedJobOptions(redis: Redis, jobKey: string): Promise<{ removeOnComplete: { age: number; count: number }; removeOnFail: { age: number; count: number } }> {
  const raw = await redis.hget(jobKey, 'opts');
  const opts = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const bound = (v: unknown) => (v && typeof v === 'object' && 'count' in v && 'age' in v ? (v as { age: number; count: number }) : null);
  const removeOnComplete = bound(opts.removeOnComplete);
  const removeOnFail = bound(opts.removeOnFail);
  if (!removeOnComplete || !removeOnFail) throw new Error(`provision job ${jobKey} carries no {age, count} bounds: ${raw}`);
  return { removeOnComplete, removeOnFail };
}

export async function pipelinePhase(o: BenchOpts) {
  const n = o.quick ? 200 : 1_000;
  const concurrency = 10;
  const priv = await startPrivateRedis();
  const redis = priv.client;
  const prefix = `${o.runPrefix}-pipe`;
  const s = await productStack(o, priv.url, prefix, { deployDelayMs: 0 }, { DEPLOY_POLL_MS: '50', WORKER_CONCURRENCY: String(concurrency) });
  // the baseline: the product's provision steps in a plain loop, same config (same env), same stand-ins
  const basePort = await freePort();
  const baseUrl = `http://127.0.0.1:${basePort}`;
  const base = spawnTs('baseline-pipeline', 'bench/baselines/pipeline.ts', { ...s.env, PORT: String(basePort) }, o.productNodeArgs);
  const rssSamples: number[] = [];
  let workerAddons = 0;
  const runBaseline = async (bodies: ProvisionRequestBody[]): Promise<PipelineBaselineAnswer> => {
    const res = await fetch(`${baseUrl}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ addons: bodies }) });
    const answer = (await res.json()) as PipelineBaselineAnswer & { message?: string };
    if (!res.ok) throw new Error(`baseline pipeline answered ${res.status}: ${answer.message}\n${base.output()}`);
    if (answer.provisioned !== bodies.length) throw new Error(`baseline pipeline provisioned ${answer.provisioned}/${bodies.length}: ${JSON.stringify(answer.reasons)}\n${base.output()}`);
    return answer;
  };
  try {
    await waitHttp(`${baseUrl}/healthz`, base);
    // warm-up (JIT, tokens, connections) of both, and the hop count of one provision job
    const warm = Array.from({ length: 20 }, () => s.heroku.createAddon({ plan: 'test' }));
    await provisionAll(s, redis, warm, 120_000);
    workerAddons += warm.length;
    const warmHops = await hopsOf(redis, prefix, warm.map((b) => b.uuid));
    const hops = Math.max(1, Math.round(median(warmHops)));
    await runBaseline(Array.from({ length: 20 }, () => s.heroku.createAddon({ plan: 'test' })));

    type Cpu = Record<string, number>;
    const product: {
      perSecond: number;
      seconds: number;
      provisioned: number;
      failed: number;
      hopsMedian: number;
      commandsPerAddon: number;
      workerCpuMsPerAddon: number;
      cpuMsPerAddon: Cpu;
      standinCallsPerAddon: number;
      commandstats: Record<string, number>;
    }[] = [];
    const baseline: {
      perSecond: number;
      seconds: number;
      provisioned: number;
      failed: number;
      waits: number;
      retries: number;
      workerCpuMsPerAddon: number;
      selfReportedCpuMsPerAddon: number;
      cpuMsPerAddon: Cpu;
      standinCallsPerAddon: number;
    }[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? (['product', 'baseline'] as const) : (['baseline', 'product'] as const);
      for (const which of order) {
        const bodies = Array.from({ length: n }, () => s.heroku.createAddon({ plan: 'test' }));
        await sleep(200); // let the previous round's last writes and polls settle
        const calls0 = await standinCalls(s);
        if (which === 'product') {
          const c0 = await totalCommands(redis);
          const st0 = await commandStats(redis);
          const sampler = setInterval(() => {
            const rss = rssOf(s.worker.pid);
            if (rss) rssSamples.push(rss);
          }, 250);
          const cpu = cpuMeter({ worker: s.worker.pid, web: s.web.child.pid, redis: priv.child.pid });
          const t0 = performance.now();
          await provisionAll(s, redis, bodies, 300_000).finally(() => clearInterval(sampler));
          const ms = performance.now() - t0;
          const used = cpu();
          const c1 = await totalCommands(redis);
          const st = diffStats(await commandStats(redis), st0);
          const calls = (await standinCalls(s)) - calls0;
          workerAddons += n;
          const ids = bodies.map((b) => b.uuid);
          const recs = await recordsOf(redis, prefix, ids);
          const hopsAll = await hopsOf(redis, prefix, ids);
          const row = {
            perSecond: n / (ms / 1000),
            seconds: ms / 1000,
            provisioned: recs.filter((x) => x?.state === 'provisioned').length,
            failed: recs.filter((x) => x?.state === 'failed').length,
            hopsMedian: median(hopsAll),
            commandsPerAddon: (c1 - c0 - 2) / n,
            workerCpuMsPerAddon: used.worker / n,
            cpuMsPerAddon: perAddon(used, n),
            standinCallsPerAddon: calls / n,
            commandstats: perAddon(st, n),
          };
          if (row.provisioned !== n) throw new Error(`pipeline product round: ${row.provisioned}/${n} provisioned, ${row.failed} failed`);
          product.push(row);
          o.log(
            `pipeline round ${r + 1} product: ${row.perSecond.toFixed(1)} add-ons/s, worker CPU ${row.workerCpuMsPerAddon.toFixed(2)} ms/add-on (web ${row.cpuMsPerAddon.web}, redis ${row.cpuMsPerAddon.redis}, stand-ins+bench ${row.cpuMsPerAddon.bench}), ${row.standinCallsPerAddon.toFixed(1)} stand-in calls/add-on, ${row.commandsPerAddon.toFixed(1)} Redis commands/add-on, hops ${row.hopsMedian}`,
          );
        } else {
          const cpu = cpuMeter({ worker: base.pid });
          const t0 = performance.now();
          const answer = await runBaseline(bodies);
          const ms = performance.now() - t0;
          const used = cpu();
          const calls = (await standinCalls(s)) - calls0;
          const row = {
            perSecond: n / (ms / 1000),
            seconds: ms / 1000,
            provisioned: answer.provisioned,
            failed: answer.failed,
            waits: answer.waits,
            retries: answer.retries,
            workerCpuMsPerAddon: used.worker / n,
            selfReportedCpuMsPerAddon: answer.cpuMs / n,
            cpuMsPerAddon: perAddon(used, n),
            standinCallsPerAddon: calls / n,
          };
          baseline.push(row);
          o.log(
            `pipeline round ${r + 1} baseline: ${row.perSecond.toFixed(1)} add-ons/s, worker CPU ${row.workerCpuMsPerAddon.toFixed(2)} ms/add-on (self-reported ${row.selfReportedCpuMsPerAddon.toFixed(2)}; stand-ins+bench ${row.cpuMsPerAddon.bench}), ${row.standinCallsPerAddon.toFixed(1)} stand-in calls/add-on, ${answer.waits} waits, ${answer.retries} retries`,
          );
        }
      }
    }

    // footprint: bytes per provisioned record and per finished job kept; the kept-jobs bound
    const [, recKeys] = await redis.scan('0', 'MATCH', `${prefix}:addon:*`, 'COUNT', 1000);
    const sample = recKeys.slice(0, 100);
    const record = await memoryUsage(redis, sample);
    const jobKeys = sample.map((k) => `${bullPrefix(prefix)}:provision:provision_${k.slice(k.lastIndexOf(':') + 1)}`);
    const job = await memoryUsage(redis, jobKeys);
    const completedKey = `${bullPrefix(prefix)}:provision:completed`;
    const failedKey = `${bullPrefix(prefix)}:provision:failed`;
    const kept = await redis.zcard(completedKey);
    const keptFailed = await redis.zcard(failedKey);
    const zset = await memoryUsage(redis, [completedKey]);
    // the bound is what the product itself gave its jobs (no copy of its options here)
    const { removeOnComplete, removeOnFail } = await storedJobOptions(redis, jobKeys[0]);
    const boundOk = kept <= removeOnComplete.count && keptFailed <= removeOnFail.count;
    if (!boundOk) throw new Error(`kept jobs over the bound: ${kept} completed, ${keptFailed} failed`);
    const perKeptJob = job.mean + zset.mean / Math.max(1, kept);
    const d = deciles(rssSamples);
    o.log(`worker footprint: ${workerAddons} add-ons, RSS first decile ${(d.first / 2 ** 20).toFixed(1)} MB, last ${(d.last / 2 ** 20).toFixed(1)} MB`);

    const pr = median(product.map((x) => x.perSecond));
    const br = median(baseline.map((x) => x.perSecond));
    const cpuMedian = (rows: { cpuMsPerAddon: Cpu }[]) => Object.fromEntries(Object.keys(rows[0].cpuMsPerAddon).map((k) => [k, median(rows.map((x) => x.cpuMsPerAddon[k]))]));
    return {
      pipeline: {
        addonsPerRound: n,
        hopsPerProvisionJob: hops,
        workerConcurrency: concurrency,
        deployDelayMs: 0,
        deployPollMs: 50,
        baselineKind: 'steps-loop',
        product: {
          perSecond: pr,
          commandsPerAddon: median(product.map((x) => x.commandsPerAddon)),
          workerCpuMsPerAddon: median(product.map((x) => x.workerCpuMsPerAddon)),
          cpuMsPerAddon: cpuMedian(product),
          standinCallsPerAddon: median(product.map((x) => x.standinCallsPerAddon)),
        },
        baseline: {
          perSecond: br,
          workerCpuMsPerAddon: median(baseline.map((x) => x.workerCpuMsPerAddon)),
          cpuMsPerAddon: cpuMedian(baseline),
          standinCallsPerAddon: median(baseline.map((x) => x.standinCallsPerAddon)),
          waitsPerAddon: median(baseline.map((x) => x.waits / n)),
        },
        ratio: pr / br,
        rounds: { product, baseline },
      },
      workerFootprint: {
        addons: workerAddons,
        rssFirstDecileMB: d.first / 2 ** 20,
        rssLastDecileMB: d.last / 2 ** 20,
        samples: d.samples,
      },
      redisFootprint: {
        provisionedRecordBytes: record.mean,
        finishedJobBytes: perKeptJob,
        jobHashBytes: job.mean,
        sampledKeys: record.keys,
        keptCompleted: kept,
        keptFailed,
        removeOnComplete,
        removeOnFail,
        boundHolds: boundOk,
        keptJobsAtBoundMB: (perKeptJob * removeOnComplete.count) / 2 ** 20,
      },
    };
  } finally {
    await s.close();
    await base.stop();
    await priv.stop();
  }
}

// ───────────────────────────── 4. overhead with latency, per target ─────────────────────────────

/**
 * Time-to-provisioned against the waits the platform imposes, on one target: every call takes
 * `latencyMs`, and the target's own wait is modelled (omni: an API goes live on a running gateway
 * `waitMs` after its deployment; ch2: a dedicated proxy runs `waitMs` after its deployment). The
 * ideal is the critical path's calls × latency + that wait; the polls made while waiting overlap it.
 * On omni the first add-on of the region also waits for its gateway (`gatewayCreateMs`): measured
 * apart, as the region's first add-on.
 */
export async function overheadPhase(o: BenchOpts, target: 'omni' | 'ch2' = 'omni') {
  const latencyMs = 50;
  const waitMs = 2_000;
  const gatewayCreateMs = target === 'omni' ? 10_000 : 0;
  const pollMs = Number(process.env.BENCH_DEPLOY_POLL_MS ?? 100);
  // calls one waiting look makes: omni reads the instance and its deployment, ch2 finds the application by name and reads it
  const callsPerPoll = 2;
  const n = o.quick ? 3 : 7;
  const priv = await startPrivateRedis();
  const redis = priv.client;
  const prefix = `${o.runPrefix}-over-${target}`;
  const sandbox = target === 'omni' ? { deployDelayMs: 0, gatewayCreateDelayMs: gatewayCreateMs, apiGoLiveDelayMs: waitMs, latencyMs } : { deployDelayMs: waitMs, latencyMs };
  const s = await productStack(o, priv.url, prefix, sandbox, { DEPLOY_POLL_MS: String(pollMs), ANYPOINT_DEFAULT_TARGET: target });
  /** The Anypoint calls answered since `from` (the call log is in order; it keeps the last 10,000). */
  const anypointCalls = async (from?: number) => {
    const res = await fetch(`${s.anypointUrl}/__sandbox/calls`);
    const body = (await res.json()) as { total: number; calls: { method: string; path: string }[] };
    return { total: body.total, since: from === undefined ? [] : body.calls.slice(Math.max(0, body.calls.length - (body.total - from))) };
  };
  // the waiting looks: an instance and its deployment (omni), a gateway's status (omni's first add-on), a CH2 application found by name and read
  const isPoll = (c: { method: string; path: string }) =>
    c.method === 'GET' && (/\/apis\/\d+$/.test(c.path) || /\/apis\/\d+\/deployments\/[^/]+(\/status)?$/.test(c.path) || /\/gateways\/[^/]+\/status$/.test(c.path) || /\/amc\/application-manager\/.*\/deployments(\/[^/]+)?$/.test(c.path));
  const measure = async (wait: number, finalLooks: number) => {
    const body = s.heroku.createAddon({ plan: 'test' });
    await sleep(200); // let the call logs settle
    const h0 = s.heroku.calls().length;
    const a0 = (await anypointCalls()).total;
    await provisionAll(s, redis, [body], 120_000);
    await sleep(200);
    const { since } = await anypointCalls(a0);
    const herokuCalls = s.heroku.calls().length - h0;
    const calls = herokuCalls + since.length;
    const [rec] = await recordsOf(redis, prefix, [body.uuid]);
    if (rec?.state !== 'provisioned' || !rec.provisionedAt) throw new Error(`add-on not provisioned: ${JSON.stringify(rec)}`);
    const ms = Date.parse(rec.provisionedAt) - Date.parse(rec.createdAt);
    // the waiting looks overlap the wait, except the last of each wait (it finds the thing ready): on the critical path
    const polls = since.filter(isPoll).length - finalLooks;
    const crit = calls - polls;
    const ideal = crit * latencyMs + wait;
    return { ms, calls, polls, critical: crit, ideal, ratio: ms / ideal };
  };
  try {
    // the region's first add-on: on omni it also waits for the gateway it creates (the gateway workflow's polls overlap it too)
    const first = await measure(gatewayCreateMs + waitMs, target === 'omni' ? callsPerPoll + 1 : callsPerPoll);
    o.log(`overhead ${target}: the region's first add-on ${first.ms} ms (ideal ${first.ideal} ms, ratio ${first.ratio.toFixed(3)})`);
    const rows: Awaited<ReturnType<typeof measure>>[] = [];
    for (let i = 0; i < n; i++) {
      const row = await measure(waitMs, callsPerPoll);
      rows.push(row);
      o.log(`overhead ${target} add-on ${i + 1}: ${row.ms} ms; ${row.calls} calls (${row.polls} in polls, ${row.critical} on the critical path), ideal ${row.ideal} ms, ratio ${row.ratio.toFixed(3)}`);
    }
    const critical = median(rows.map((r) => r.critical));
    return {
      target,
      latencyMs,
      waitMs,
      // kept under its old name for the before/after table
      deployDelayMs: waitMs,
      gatewayCreateMs,
      deployPollMs: pollMs,
      addons: n,
      medianMs: median(rows.map((r) => r.ms)),
      criticalCalls: critical,
      idealMs: critical * latencyMs + waitMs,
      ratio: median(rows.map((r) => r.ratio)),
      first,
      rows,
    };
  } finally {
    await s.close();
    await priv.stop();
  }
}

// ───────────────────────────── 6. runtimes per target, the pool under a burst ─────────────────────────────

/**
 * What 1,000 add-ons cost in runtimes on each target, read from the stand-in's state once they are
 * provisioned: shared gateways (omni, the platform's API limit per gateway `apiLimit`) against one
 * application per add-on (ch2). On omni the first 200 arrive as one burst into an empty region: the
 * pool must make exactly ceil(200 / apiLimit) gateways, never two for one slot.
 */
export async function targetsPhase(o: BenchOpts) {
  const n = o.quick ? 200 : 1_000;
  const burst = 200;
  const apiLimit = 50;
  const run = async (target: 'omni' | 'ch2') => {
    const priv = await startPrivateRedis();
    const redis = priv.client;
    const prefix = `${o.runPrefix}-targets-${target}`;
    const s = await productStack(
      o,
      priv.url,
      prefix,
      { deployDelayMs: 0, gatewayCreateDelayMs: 200, apiGoLiveDelayMs: 0, gatewayApiLimit: apiLimit },
      { DEPLOY_POLL_MS: '50', WORKER_CONCURRENCY: '10', ANYPOINT_DEFAULT_TARGET: target },
    );
    try {
      const t0 = performance.now();
      const first = Array.from({ length: burst }, () => s.heroku.createAddon({ plan: 'test' }));
      await provisionAll(s, redis, first, 300_000);
      const afterBurst = s.anypoint.inspect();
      const burstSeconds = (performance.now() - t0) / 1000;
      const rest = Array.from({ length: n - burst }, () => s.heroku.createAddon({ plan: 'test' }));
      if (rest.length) await provisionAll(s, redis, rest, 600_000);
      const seconds = (performance.now() - t0) / 1000;
      const recs = await recordsOf(redis, prefix, [...first, ...rest].map((b) => b.uuid));
      const provisioned = recs.filter((r) => r?.state === 'provisioned').length;
      if (provisioned !== n) throw new Error(`targets ${target}: ${provisioned}/${n} provisioned`);
      const inv = s.anypoint.inspect();
      const row = {
        addons: n,
        seconds,
        gateways: inv.gateways.length,
        gatewayNames: inv.gateways.map((g) => g.name).sort(),
        apisPerGateway: inv.gateways.map((g) => g.apis),
        applications: inv.applications.length,
        apiInstances: inv.apis.length,
        burst: { addons: burst, seconds: burstSeconds, gateways: afterBurst.gateways.length, expected: target === 'omni' ? Math.ceil(burst / apiLimit) : 0 },
      };
      o.log(`targets ${target}: ${n} add-ons in ${seconds.toFixed(1)} s → ${row.gateways} gateways, ${row.applications} applications; burst of ${burst}: ${row.burst.gateways} gateways (expected ${row.burst.expected})`);
      return row;
    } finally {
      await s.close();
      await priv.stop();
    }
  };
  const omni = await run('omni');
  const ch2 = await run('ch2');
  if (omni.burst.gateways !== omni.burst.expected) throw new Error(`a burst of ${burst} made ${omni.burst.gateways} gateways, expected ${omni.burst.expected}`);
  if (omni.gateways !== Math.ceil(n / apiLimit) || omni.applications !== 0) throw new Error(`omni: ${omni.gateways} gateways and ${omni.applications} applications for ${n} add-ons`);
  if (ch2.applications !== n || ch2.gateways !== 0) throw new Error(`ch2: ${ch2.applications} applications and ${ch2.gateways} gateways for ${n} add-ons`);
  return {
    targets: {
      addons: n,
      apiLimit,
      omni,
      ch2,
      // the sources of the estimate are in BENCHMARKS.md's notes
      vCores: { ch2PerApplication: 0.1, ch2: ch2.applications * 0.1, cloudHub1PerAddon: 0.1, cloudHub1: n * 0.1 },
    },
  };
}
