import type { Redis } from 'ioredis';

/**
 * Failed Basic-auth attempts per source IP, in a fixed window in Redis (shared by every web dyno):
 * `<prefix>:authfail:<scope>:<ip>:<window>`, counted with INCR and expiring with its window. Once a
 * source reached the limit, every attempt from it (right credentials or not) is refused until the
 * window ends, so guessing learns nothing more.
 */
export class AuthFailures {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  private window(): { key: (scope: string, source: string) => string; retryAfter: number } {
    const ms = this.windowSeconds * 1000;
    const t = this.now();
    const index = Math.floor(t / ms);
    return {
      key: (scope, source) => `${this.prefix}:authfail:${scope}:${source}:${index}`,
      retryAfter: Math.max(1, Math.ceil(((index + 1) * ms - t) / 1000)),
    };
  }

  /** Seconds to wait when `source` is over the limit in `scope`, else null. */
  async check(scope: string, source: string): Promise<number | null> {
    const w = this.window();
    const n = Number(await this.redis.get(w.key(scope, source)));
    return n >= this.limit ? w.retryAfter : null;
  }

  /** Counts one failed attempt. */
  async fail(scope: string, source: string): Promise<void> {
    const w = this.window();
    const key = w.key(scope, source);
    await this.redis.multi().incr(key).expire(key, this.windowSeconds + 1).exec();
  }
}
