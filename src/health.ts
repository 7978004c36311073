import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { scrub } from './redact';

/**
 * Readiness that reports progress, not only a Redis ping.
 *
 * Ready = Redis answers AND (no queue has a job that has been waiting longer than `staleMs`
 *                            OR a worker marked progress within the last `staleMs`).
 *
 * The worker writes the progress mark (`<KEY_PREFIX>:worker:progress` = epoch ms, with a TTL) when
 * a job step finishes or re-schedules itself (the runner's `onProgress`, throttled to once a
 * second) and from a heartbeat while it is running and caught up. The web reads the mark and the
 * oldest waiting job of each queue. So a worker that stopped taking jobs shows up as 503 with a
 * reason once a job has waited for a minute; an idle service with empty queues stays ready.
 */

export const DEFAULT_STALE_MS = 60_000;
export const PROGRESS_TTL_MS = 10 * 60_000;

export const progressKey = (keyPrefix: string) => `${keyPrefix}:worker:progress`;

/** What the decision is made from (read from Redis by `readReadinessFacts`). */
export interface ReadinessFacts {
  now: number;
  redis: 'up' | 'down';
  /** Why Redis counts as down (no secrets: our own words or the client's error message). */
  redisError?: string;
  /** Epoch ms of the last worker progress mark, null when there is none. */
  lastProgressAt: number | null;
  /** The job that has been waiting longest, over all queues; null when nothing waits. */
  oldestWaiting: { queue: string; since: number } | null;
}

export interface ReadinessVerdict {
  ok: boolean;
  reason?: string;
  redis: 'up' | 'down';
  worker?: { lastProgressAgeMs: number | null };
  queues?: { oldestWaitingAgeMs: number | null; oldestWaitingQueue?: string };
  [k: string]: unknown;
}

const secs = (ms: number) => `${Math.round(ms / 1000)} s`;

/** The pure decision. */
export function decideReadiness(f: ReadinessFacts, staleMs = DEFAULT_STALE_MS): ReadinessVerdict {
  if (f.redis === 'down') return { ok: false, redis: 'down', reason: `Redis unreachable${f.redisError ? `: ${f.redisError}` : ''}` };
  const progressAge = f.lastProgressAt === null ? null : Math.max(0, f.now - f.lastProgressAt);
  const waitAge = f.oldestWaiting ? Math.max(0, f.now - f.oldestWaiting.since) : null;
  const details = {
    redis: 'up' as const,
    worker: { lastProgressAgeMs: progressAge },
    queues: { oldestWaitingAgeMs: waitAge, ...(f.oldestWaiting ? { oldestWaitingQueue: f.oldestWaiting.queue } : {}) },
  };
  const backlog = waitAge !== null && waitAge > staleMs;
  const progressing = progressAge !== null && progressAge <= staleMs;
  if (!backlog || progressing) return { ok: true, ...details };
  const progress = progressAge === null ? 'no worker progress recorded' : `no worker progress for ${secs(progressAge)}`;
  return {
    ok: false,
    reason: `queue '${f.oldestWaiting?.queue}' has a job waiting for ${secs(waitAge)} and ${progress}: are worker dynos running?`,
    ...details,
  };
}

/** The few Redis commands the reader needs (an ioredis client fits). */
export interface ReadinessRedis {
  ping(): Promise<string>;
  get(key: string): Promise<string | null>;
}

/** A queue whose oldest waiting jobs can be listed (a BullMQ Queue fits). */
export interface WaitingQueue {
  readonly name: string;
  getJobs(types: 'wait'[], start: number, end: number, asc: boolean): Promise<({ timestamp: number; processedOn?: number; delay?: number } | undefined | null)[]>;
}

export interface ReadinessSource {
  redis: ReadinessRedis;
  queues: readonly WaitingQueue[];
  keyPrefix: string;
  /** Budget for all the reads; past it Redis counts as down (default 900 ms, so /readyz answers within ~1 s). */
  timeoutMs?: number;
  now?: () => number;
}

export class TimeoutError extends Error {}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    t.unref?.();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * When a waiting job became eligible to run: BullMQ keeps `timestamp` (added) for its whole life,
 * so a job that came back from the delayed set (a deployment poll, a retry backoff) counts from its
 * last start (`processedOn`) plus the delay it was given, not from when it was first added.
 */
export function waitingSince(job: { timestamp: number; processedOn?: number; delay?: number }): number {
  return (job.processedOn || job.timestamp) + (job.delay || 0);
}

/** The longest-waiting job over the queues (looks at the few oldest of each). */
export async function oldestWaiting(queues: readonly WaitingQueue[]): Promise<ReadinessFacts['oldestWaiting']> {
  let oldest: ReadinessFacts['oldestWaiting'] = null;
  const lists = await Promise.all(queues.map(async (q) => ({ queue: q.name, jobs: await q.getJobs(['wait'], 0, 4, true) })));
  for (const { queue, jobs } of lists) {
    for (const job of jobs) {
      if (!job) continue;
      const since = waitingSince(job);
      if (!oldest || since < oldest.since) oldest = { queue, since };
    }
  }
  return oldest;
}

function describe(err: unknown): string {
  if (err instanceof TimeoutError) return 'no answer within the time limit';
  const msg = err instanceof Error ? err.message : String(err);
  // client messages name host:port at most; keep them short, scrubbed, and free of URLs
  return scrub(msg).replace(/\b[a-z]+:\/\/\S+/gi, '<url>').slice(0, 200);
}

/** Reads the facts from Redis, all within `timeoutMs`. Never rejects: a failure is "Redis down". */
export async function readReadinessFacts(src: ReadinessSource): Promise<ReadinessFacts> {
  const now = src.now ?? Date.now;
  const budget = src.timeoutMs ?? 900;
  try {
    const [pong, mark, oldest] = await withTimeout(
      Promise.all([src.redis.ping(), src.redis.get(progressKey(src.keyPrefix)), oldestWaiting(src.queues)]),
      budget,
      'Redis',
    );
    if (pong !== 'PONG') return { now: now(), redis: 'down', redisError: 'unexpected PING reply', lastProgressAt: null, oldestWaiting: null };
    const at = mark === null ? NaN : Number(mark);
    return { now: now(), redis: 'up', lastProgressAt: Number.isFinite(at) ? at : null, oldestWaiting: oldest };
  } catch (err) {
    return { now: now(), redis: 'down', redisError: describe(err), lastProgressAt: null, oldestWaiting: null };
  }
}

/** The web's `readiness` hook for buildApp. */
export function createReadiness(src: ReadinessSource, staleMs = DEFAULT_STALE_MS): () => Promise<ReadinessVerdict> {
  return async () => decideReadiness(await readReadinessFacts(src), staleMs);
}

/** Writes the worker's progress mark: at most once per `throttleMs`, never throwing, never blocking. */
export class ProgressMarker {
  private last = 0;
  private inFlight = false;
  private readonly throttleMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: { set(key: string, value: string, px: 'PX', ms: number): Promise<unknown> },
    private readonly keyPrefix: string,
    opts: { throttleMs?: number; ttlMs?: number; now?: () => number } = {},
  ) {
    this.throttleMs = opts.throttleMs ?? 1_000;
    this.ttlMs = opts.ttlMs ?? PROGRESS_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Returns true when a write was started. */
  mark(): boolean {
    const t = this.now();
    if (this.inFlight || t - this.last < this.throttleMs) return false;
    this.last = t;
    this.inFlight = true;
    this.redis
      .set(progressKey(this.keyPrefix), String(t), 'PX', this.ttlMs)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = false;
      });
    return true;
  }
}

/**
 * The worker's heartbeat: every `intervalMs`, marks progress if `alive()` says so. The worker's
 * `alive` is "BullMQ workers running and no job waiting past the limit" — an idle worker is
 * progressing; a stuck one with a backlog is not, and must not be masked by its heartbeat.
 */
export function startHeartbeat(marker: ProgressMarker, alive: () => Promise<boolean>, intervalMs = 10_000, timeoutMs = 2_000): { stop(): void } {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      if (await withTimeout(alive(), timeoutMs, 'heartbeat')) marker.mark();
    } catch {
      // Redis away or slow: no mark
    } finally {
      busy = false;
    }
  };
  void tick();
  const t = setInterval(() => void tick(), intervalMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}

/** The worker's own /readyz: Redis answers within the budget and its BullMQ workers run. */
export function workerReadiness(redis: Pick<ReadinessRedis, 'ping'>, running: () => boolean, timeoutMs = 900): () => Promise<ReadinessVerdict> {
  return async () => {
    let up = false;
    let error: string | undefined;
    try {
      up = (await withTimeout(redis.ping(), timeoutMs, 'Redis')) === 'PONG';
    } catch (err) {
      error = describe(err);
    }
    if (!up) return { ok: false, redis: 'down', reason: `Redis unreachable${error ? `: ${error}` : ''}` };
    if (!running()) return { ok: false, redis: 'up', reason: 'worker is not running (stopping or paused)' };
    return { ok: true, redis: 'up' };
  };
}

/**
 * The worker's small HTTP server: `/metrics` (Prometheus text), `/healthz`, `/readyz`. Worker dynos
 * receive no routed traffic on Heroku; this is for a metrics agent on the dyno or in the space.
 */
export function startOpsServer(opts: { port: number; host?: string; registry: Registry; readiness: () => Promise<ReadinessVerdict> }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ message: 'method not allowed' }));
    if (path === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      opts.readiness().then(
        (v) => send(v.ok ? 200 : 503, 'application/json', JSON.stringify({ status: v.ok ? 'ok' : 'unavailable', ...v })),
        () => send(503, 'application/json', JSON.stringify({ status: 'unavailable', ok: false, reason: 'readiness check failed' })),
      );
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (body) => send(200, opts.registry.contentType, body),
        () => send(500, 'application/json', JSON.stringify({ message: 'metrics collection failed' })),
      );
      return;
    }
    send(404, 'application/json', JSON.stringify({ message: 'not found' }));
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
