import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config';

/**
 * Redis connections. Two flavours:
 * - `web`: fails fast (no offline queue, 1 s command timeout) so the HTTP tier answers 503 within a
 *   second when Redis is gone, instead of hanging;
 * - `worker`: what BullMQ workers need (maxRetriesPerRequest null, reconnect forever).
 * `rediss://` URLs get TLS; Heroku Redis uses a self-signed certificate, so verification is off
 * unless REDIS_TLS_REJECT_UNAUTHORIZED=true.
 */
export function redisOptions(cfg: Pick<Config, 'REDIS_URL' | 'REDIS_TLS_REJECT_UNAUTHORIZED'>, kind: 'web' | 'worker'): RedisOptions {
  const tls = cfg.REDIS_URL.startsWith('rediss:') ? { rejectUnauthorized: cfg.REDIS_TLS_REJECT_UNAUTHORIZED } : undefined;
  const base: RedisOptions = {
    tls,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
    lazyConnect: false,
  };
  if (kind === 'web') {
    return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, enableAutoPipelining: true };
  }
  return { ...base, maxRetriesPerRequest: null, enableReadyCheck: true };
}

export function connectRedis(
  cfg: Pick<Config, 'REDIS_URL' | 'REDIS_TLS_REJECT_UNAUTHORIZED'> & Partial<Pick<Config, 'REDIS_CLUSTER'>>,
  kind: 'web' | 'worker',
): Redis {
  if (cfg.REDIS_CLUSTER) {
    // REDIS_URL names one node; the rest are discovered. Every key shares the prefix's hash tag.
    const u = new URL(cfg.REDIS_URL);
    const { tls, connectTimeout, maxRetriesPerRequest, commandTimeout } = redisOptions(cfg, kind);
    const c = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      // BullMQ duplicates the connection and uses the copy before it is ready: keep the offline
      // queue (the per-command timeout still bounds the web tier once connected)
      enableOfflineQueue: true,
      redisOptions: { tls, connectTimeout, maxRetriesPerRequest, commandTimeout, password: u.password || undefined },
      clusterRetryStrategy: (times) => Math.min(200 * times, 2_000),
    });
    c.on('error', () => undefined);
    // BullMQ and the store accept a Cluster wherever they take a Redis connection
    return c as unknown as Redis;
  }
  const r = new Redis(cfg.REDIS_URL, redisOptions(cfg, kind));
  // Errors surface through the commands that fail; keep the process alive while Redis is away.
  r.on('error', () => undefined);
  return r;
}

/** Resolves when the connection is ready, or after `timeoutMs` (false: not ready yet; it keeps trying). */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    redis.once('ready', onReady);
  });
}

/** Deletes every key under `<prefix>:` (SCAN, never KEYS); returns how many. For tests, tools and the demo. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.del(...keys);
  } while (cursor !== '0');
  return n;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const UNREACHABLE_MESSAGES = [
  /enableOfflineQueue/i,
  /Command timed out/i,
  /Connection is closed/i,
  /max retries per request/i,
  /Failed to refresh slots cache/i,
  /None of startup nodes is available/i,
  /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN)\b/,
];

/** Whether an error means Redis could not be reached or did not answer (as opposed to a bug of ours). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ClusterAllFailedError') return true;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return UNREACHABLE_MESSAGES.some((re) => re.test(message));
}
