import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * One workflow run at a time per subject (an add-on, a gateway slot): the engine holds the
 * subject's lock for a whole run, so a teardown never races a step that is creating something.
 * The lock expires on its own when a worker dies (kill -9) and is renewed while held. The sweeper
 * takes a lock of its own the same way, so two workers never sweep at once.
 */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

export class SubjectLocks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = 30_000,
  ) {}

  key(subject: string): string {
    return `${this.prefix}:lock:${subject}`;
  }

  /** Runs `fn` holding the lock; returns `{acquired: false}` at once when another holds it. */
  async withLock<T>(subject: string, fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }> {
    const key = this.key(subject);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return { acquired: false };
    const timer = setInterval(() => {
      void this.redis.eval(RENEW_LUA, 1, key, token, String(this.ttlMs)).catch(() => undefined);
    }, Math.floor(this.ttlMs / 3));
    timer.unref();
    try {
      return { acquired: true, value: await fn() };
    } finally {
      clearInterval(timer);
      await this.redis.eval(RELEASE_LUA, 1, key, token).catch(() => undefined);
    }
  }
}
