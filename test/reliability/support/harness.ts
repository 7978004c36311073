/**
 * Shared pieces of the reliability suite: the stand-ins and an in-process web tier on a private key
 * prefix, child worker processes, private redis-servers, inventory counts, the figures rows, and
 * the secret scan. Every wait here is bounded in time; every process started here is tracked and
 * stopped by `stopAll()`.
 */
import manifest from '../../../addon-manifest.json';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { secretValues, type Config } from '../../../src/config';
import type { AddonRecord } from '../../../src/domain/addon';
import { proxyAppNameFor } from '../../../src/domain/targets';
import type { EngineHooks } from '../../../src/engine';
import type { JobQueues } from '../../../src/jobs';
import { createLogger } from '../../../src/logger';
import type { AddonStore } from '../../../src/store/addons';
import { connectRedis } from '../../../src/store/redis';
import type { SecretBox } from '../../../src/secrets';
import { startWeb, startWorker, type Web, type WorkerProcess } from '../../../src/start';
import { createAnypointSandbox, type AnypointSandbox, type SandboxInventory } from '@aag/standins';
import { createHerokuSandbox, type HerokuSandbox } from '@aag/standins';
import { basic, deletePrefix, LogCapture, REDIS_URL, testConfig, uniquePrefix } from '../../helpers/context';

export const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'reliability');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// figures

export interface FigureRow {
  scenario: string;
  subset: 'fast' | 'slow';
  addons: number;
  result: 'pass' | 'FAIL';
  /** What is left in the Anypoint stand-in (for the scenario's add-ons). */
  anypoint: string;
  /** Heroku actions / record states. */
  outcome: string;
  timing: string;
  note?: string;
}

/** Rows of one test file, written to test-artifacts/reliability/<name>.json after every add. */
export function figures(name: string) {
  const rows: FigureRow[] = [];
  return {
    rows,
    add(row: FigureRow) {
      rows.push(row);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, `${name}.json`), JSON.stringify({ file: name, writtenAt: new Date().toISOString(), rows }, null, 2));
    },
  };
}

/** Runs `fn` and records a row whether it passes or throws (the row's result says which). */
export async function measured(
  fig: ReturnType<typeof figures>,
  base: Omit<FigureRow, 'result' | 'anypoint' | 'outcome' | 'timing'>,
  fn: () => Promise<Pick<FigureRow, 'anypoint' | 'outcome' | 'timing'> & { note?: string }>,
): Promise<void> {
  const t0 = Date.now();
  try {
    const out = await fn();
    fig.add({ ...base, result: 'pass', ...out, note: out.note ?? base.note });
  } catch (err) {
    fig.add({ ...base, result: 'FAIL', anypoint: '-', outcome: '-', timing: `${Date.now() - t0} ms`, note: String((err as Error).message).split('\n')[0].slice(0, 160) });
    throw err;
  }
}

export function pct(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

// ---------------------------------------------------------------------------------------------
// inventory

export interface Counts {
  assets: number;
  softDeletedAssets: number;
  apis: number;
  policies: number;
  /** Dedicated CloudHub 2.0 proxy applications (ch2). */
  applications: number;
}

export function countFor(inv: SandboxInventory, uuid: string): Counts {
  const u = uuid.toLowerCase();
  const apis = inv.apis.filter((a) => String(a.assetId).includes(u));
  const apiIds = new Set(apis.map((a) => String(a.id)));
  return {
    assets: inv.assets.filter((a) => a.assetId.includes(u)).length,
    softDeletedAssets: inv.softDeletedAssets.filter((a) => a.assetId.includes(u)).length,
    apis: apis.length,
    policies: inv.policies.filter((p) => apiIds.has(String(p.apiId))).length,
    applications: inv.applications.filter((a) => a.name === proxyAppNameFor(u)).length,
  };
}

export function totals(inv: SandboxInventory): Counts {
  return {
    assets: inv.assets.length,
    softDeletedAssets: inv.softDeletedAssets.length,
    apis: inv.apis.length,
    policies: inv.policies.length,
    applications: inv.applications.length,
  };
}

/** One add-on on the default (omni) target, no dedicated application: its asset, its API instance, three policies (the plan's rate limit, the origin secret's header removal and injection). */
export const ONE: Counts = { assets: 1, softDeletedAssets: 0, apis: 1, policies: 3, applications: 0 };
/** One add-on on the ch2 target. */
export const ONE_CH2: Counts = { ...ONE, applications: 1 };
export const NONE: Counts = { assets: 0, softDeletedAssets: 0, apis: 0, policies: 0, applications: 0 };
export const fmtCounts = (c: Counts) => `assets ${c.assets}, soft-deleted ${c.softDeletedAssets}, apis ${c.apis}, policies ${c.policies}, apps ${c.applications}`;

/** Anypoint resources that belong to no record under `uuids` (orphans). */
export function orphans(inv: SandboxInventory, uuids: string[]): number {
  const known = uuids.map((u) => u.toLowerCase());
  const mine = (s: string) => known.some((u) => s.includes(u) || s.includes(u.replace(/-/g, '')));
  return (
    inv.assets.filter((a) => !mine(a.assetId)).length +
    inv.softDeletedAssets.length +
    inv.apis.filter((a) => !mine(String(a.assetId))).length +
    inv.applications.filter((a) => !mine(a.name)).length
  );
}

// ---------------------------------------------------------------------------------------------
// waiting

export async function waitUntil<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// the environment: stand-ins + in-process web tier (workers are child processes or in-process)

export interface Env {
  tag: string;
  prefix: string;
  config: Config;
  anypoint: AnypointSandbox;
  heroku: HerokuSandbox;
  anypointUrl: string;
  herokuUrl: string;
  web: Web;
  redis: Redis;
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  logs: LogCapture;
  app: Web['app'];
  auth: string;
  /** Env for a child worker process on this environment. */
  childEnv(extra?: Record<string, string>): Record<string, string>;
  provision(input?: { plan?: string; upstream?: string }): Promise<{ uuid: string; status: number; body: Record<string, unknown> }>;
  deprovision(uuid: string): Promise<number>;
  changePlan(uuid: string, plan: string): Promise<number>;
  record(uuid: string): Promise<AddonRecord | null>;
  waitFor(uuid: string, pred: (r: AddonRecord) => boolean, timeoutMs: number, what?: string): Promise<AddonRecord>;
  close(): Promise<void>;
}

/** Settings that make recovery fast enough to test (all bounded). */
export const FAST_RECOVERY: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  HTTP_TIMEOUT_MS: '2000',
  HTTP_MAX_TRIES: '4',
  HTTP_BACKOFF_BASE_MS: '5',
  HTTP_BACKOFF_MAX_MS: '50',
  DEPLOY_POLL_MS: '100',
  POLICY_APPLY_MS: '100',
  ORIGIN_SECRET_RESTART_MS: '100',
  JOB_BACKOFF_MS: '50',
  SWEEP_INTERVAL_MS: '500',
  SWEEP_STALE_MS: '1000',
  WORKER_STALLED_INTERVAL_MS: '500',
  WORKER_LOCK_DURATION_MS: '1500',
  ADDON_LOCK_TTL_MS: '1500',
  WORKER_CONCURRENCY: '10',
};

export async function startEnv(
  tag: string,
  opts: { deployDelayMs?: number; gatewayCreateDelayMs?: number; apiGoLiveDelayMs?: number; gatewayApiLimit?: number; redisUrl?: string; config?: Record<string, string>; prefix?: string; seed?: number; cluster?: boolean } = {},
): Promise<Env> {
  const anypoint = createAnypointSandbox({
    deployDelayMs: opts.deployDelayMs ?? 150,
    gatewayCreateDelayMs: opts.gatewayCreateDelayMs ?? opts.deployDelayMs ?? 150,
    apiGoLiveDelayMs: opts.apiGoLiveDelayMs ?? 20,
    gatewayApiLimit: opts.gatewayApiLimit,
    seed: opts.seed ?? 7,
  });
  const heroku = createHerokuSandbox({ configVars: manifest.api.config_vars });
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  // the apps' herokuapp.com hosts are served by the Heroku stand-in's router
  anypoint.routeHosts('.herokuapp.com', h.routerUrl);
  const prefix = opts.prefix ?? uniquePrefix(`rel-${tag}`);
  const redisUrl = opts.redisUrl ?? REDIS_URL;
  const settings: Record<string, string> = {
    ...FAST_RECOVERY,
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    ...opts.config,
  };
  if (opts.cluster) settings.REDIS_CLUSTER = 'true';
  const config = testConfig(settings);
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info' }, logs);
  // the web tier as the product wires it (its fail-fast connection), in this process
  const web = await startWeb(config, { listen: false, logger });
  const { redis, store, jobs, box, app } = web;
  const auth = basic(config.ADDON_ID, config.ADDON_PASSWORD);
  const env: Env = {
    tag,
    prefix,
    config,
    anypoint,
    heroku,
    anypointUrl: a.url,
    herokuUrl: h.url,
    web,
    redis,
    store,
    jobs,
    box,
    logs,
    app,
    auth,
    childEnv(extra = {}) {
      const base: Record<string, string> = {};
      for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) base[k] = process.env[k] as string;
      return { ...base, ...settings, TS_NODE_TRANSPILE_ONLY: 'true', ...extra };
    },
    async provision(input = {}) {
      const body = heroku.createAddon({ plan: input.plan ?? 'test', options: input.upstream ? { upstream: input.upstream } : undefined });
      const res = await request(app).post('/heroku/resources').set('Authorization', auth).send(body);
      return { uuid: body.uuid, status: res.status, body: res.body as Record<string, unknown> };
    },
    async deprovision(uuid) {
      const res = await request(app).delete(`/heroku/resources/${uuid}`).set('Authorization', auth);
      return res.status;
    },
    async changePlan(uuid, plan) {
      const res = await request(app).put(`/heroku/resources/${uuid}`).set('Authorization', auth).send({ plan });
      return res.status;
    },
    record: (uuid) => store.get(uuid),
    async waitFor(uuid, pred, timeoutMs, what = 'the record') {
      let last: AddonRecord | null = null;
      try {
        return await waitUntil(async () => {
          last = await store.get(uuid);
          return last && pred(last) ? last : undefined;
        }, timeoutMs, what);
      } catch (err) {
        const l = last as AddonRecord | null;
        throw new Error(`${(err as Error).message} for ${uuid}; last: ${JSON.stringify(l && { state: l.state, failureReason: l.failureReason, timeline: l.timeline.slice(-4) })}`);
      }
    },
    async close() {
      await deletePrefix(redis, prefix).catch(() => undefined);
      await web.close().catch(() => undefined);
      await anypoint.close().catch(() => undefined);
      await heroku.close().catch(() => undefined);
    },
  };
  return env;
}

// ---------------------------------------------------------------------------------------------
// child processes

const live = new Set<Child>();

export class Child {
  out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedAt = 0;
  private done = false;
  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    live.add(this);
    proc.stdout?.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    proc.stderr?.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.done = true;
        this.exitedAt = Date.now();
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }
  get running() {
    return !this.done;
  }
  async ready(marker: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(() => this.out.includes(marker) || !this.running, timeoutMs, `${this.name} to print ${marker}`, 25);
    if (!this.out.includes(marker)) throw new Error(`${this.name} exited before it was ready:\n${this.out.slice(-2000)}`);
  }
  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 6_000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
  kill9(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}

export function spawnTs(name: string, script: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Child(name, proc);
}

export async function spawnWeb(env: Env, port: number, name = 'web'): Promise<Child> {
  const c = spawnTs(name, path.join(ROOT, 'test/reliability/support/web-entry.ts'), env.childEnv({ PORT: String(port) }));
  await c.ready('WEB READY');
  return c;
}

export async function spawnWorker(env: Env | Record<string, string>, extra: Record<string, string> = {}, name = 'worker'): Promise<Child> {
  const vars = 'childEnv' in env && typeof env.childEnv === 'function' ? (env as Env).childEnv(extra) : { ...(env as Record<string, string>), ...extra };
  const c = spawnTs(name, path.join(ROOT, 'test/reliability/support/worker-entry.ts'), vars);
  await c.ready('WORKER READY');
  return c;
}

/** Stops every child process and private redis-server this file started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(3_000)));
  await Promise.all([...servers].map((s) => s.stop('SIGKILL')));
}

// ---------------------------------------------------------------------------------------------
// private redis-server

const servers = new Set<PrivateRedis>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export class PrivateRedis {
  proc?: ChildProcess;
  readonly dir: string;
  constructor(
    readonly port: number,
    readonly extraArgs: string[] = ['--save', '', '--appendonly', 'no'],
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'aag-redis-'));
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    servers.add(this);
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...this.extraArgs], { stdio: 'ignore' });
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
    const probe = connectRedis({ REDIS_URL: this.url, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'web');
    try {
      await waitUntil(async () => (await probe.ping().catch(() => '')) === 'PONG', 10_000, `redis-server on ${this.port}`, 50);
    } finally {
      probe.disconnect();
    }
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    servers.delete(this);
    if (!p) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  }
  pause() {
    this.proc?.kill('SIGSTOP');
  }
  resume() {
    this.proc?.kill('SIGCONT');
  }
}

// ---------------------------------------------------------------------------------------------
// secrets

/** Every value under `prefix` (strings, hashes, lists, sets, sorted sets, streams) as text. */
export async function dumpPrefix(redis: Redis, prefix: string): Promise<{ keys: number; text: string }> {
  const parts: string[] = [];
  let cursor = '0';
  let keys = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) {
      keys++;
      const type = await redis.type(k);
      let v: unknown;
      if (type === 'string') v = await redis.get(k);
      else if (type === 'hash') v = await redis.hgetall(k);
      else if (type === 'list') v = await redis.lrange(k, 0, -1);
      else if (type === 'set') v = await redis.smembers(k);
      else if (type === 'zset') v = await redis.zrange(k, '0', '-1');
      else if (type === 'stream') v = await redis.xrange(k, '-', '+');
      parts.push(`${k} ${JSON.stringify(v)}`);
    }
  } while (cursor !== '0');
  return { keys, text: parts.join('\n') };
}

export interface Secret {
  name: string;
  value: string;
}

export function configSecrets(config: Config): Secret[] {
  const names = ['ADDON_PASSWORD', 'SSO_SALT', 'HEROKU_OAUTH_CLIENT_SECRET', 'SESSION_SECRET', 'ENCRYPTION_KEY', 'ANYPOINT_CLIENT_SECRET', 'ADMIN_PASSWORD'];
  return secretValues(config).map((value, i) => ({ name: names[i] ?? `secret${i}`, value }));
}

/** Heroku tokens of the records that still hold them (read through the SecretBox). */
export async function herokuTokensOf(env: Pick<Env, 'store' | 'box'>, uuids: string[]): Promise<Secret[]> {
  const out: Secret[] = [];
  for (const uuid of uuids) {
    const rec = await env.store.get(uuid);
    if (!rec?.herokuTokensSealed) continue;
    const t = env.box.openField<{ accessToken?: string; refreshToken?: string; access_token?: string; refresh_token?: string }>(uuid, 'herokuTokensSealed', rec.herokuTokensSealed);
    for (const [k, v] of Object.entries(t)) if (typeof v === 'string' && /token/i.test(k) && v.length >= 8) out.push({ name: `heroku ${k} of ${uuid}`, value: v });
  }
  return out;
}

/** Names of the secrets found in any haystack (empty = clean). */
export function leaks(haystacks: { name: string; text: string }[], secrets: Secret[]): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    if (!s.value || s.value.length < 6) continue;
    for (const h of haystacks) if (h.text.includes(s.value)) found.push(`${s.name} in ${h.name}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// truth to Heroku

/**
 * For a provisioned add-on: Heroku got exactly one provision action, and it came after its API
 * served (on its gateway, or through its proxy application: the stand-in knows since when).
 */
export function truthOf(env: Pick<Env, 'heroku' | 'anypoint'>, rec: AddonRecord): { actions: number; actionAt: number; startedAt: number; ok: boolean } {
  const actions = env.heroku.actionCount(rec.uuid, 'provision');
  const call = env.heroku.calls().find((c) => c.method === 'POST' && c.path === `/addons/${rec.uuid}/actions/provision` && c.status < 300);
  const api = env.anypoint.inspect().apis.find((a) => String(a.id) === String(rec.placement?.apiId));
  const actionAt = call ? Date.parse(call.at) : NaN;
  const startedAt = api?.liveSince ?? NaN;
  return { actions, actionAt, startedAt, ok: actions === 1 && actionAt >= startedAt };
}

// ---------------------------------------------------------------------------------------------
// raw HTTP (no client-side normalisation of paths)

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function rawRequest(
  base: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: Number(u.port), method: opts.method, path: opts.path, headers: opts.headers, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function closeAgent() {
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// in-process workers (for the scenarios that need no process kill)

export interface InProcessWorkers {
  worker: WorkerProcess;
  close(): Promise<void>;
}

/** The worker as the product wires it (startWorker: workflow workers and the sweeper), inside the test process. */
export async function startWorkers(env: Env, opts: { hooks?: EngineHooks; sweep?: boolean } = {}): Promise<InProcessWorkers> {
  const logger = createLogger({ level: 'info' }, env.logs);
  const worker = await startWorker(env.config, { logger, hooks: opts.hooks, sweeper: opts.sweep !== false, opsServer: false });
  return { worker, close: () => worker.close() };
}

/** Listens the env's web app on a loopback port (for concurrent raw HTTP). */
export async function listen(app: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
