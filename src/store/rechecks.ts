import type { Redis } from 'ioredis';

/**
 * When each add-on's app was last re-checked (the slow re-check of follow-app): one sorted set,
 * uuid → epoch ms. A sweep enrolls the add-ons it has not seen (`ZADD NX`: their first check is
 * one interval later), then reads only the few that are due, oldest first, so no sweep reads
 * every record.
 */
export class AppRechecks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private get key(): string {
    return `${this.prefix}:app-recheck`;
  }

  /** Adds the uuids not enrolled yet, as checked at `at`. */
  async enroll(uuids: readonly string[], at: number): Promise<void> {
    for (let i = 0; i < uuids.length; i += 500) {
      const slice = uuids.slice(i, i + 500);
      if (slice.length) await this.redis.zadd(this.key, 'NX', ...slice.flatMap((u) => [String(at), u]));
    }
  }

  /** Up to `limit` uuids last checked at or before `before`, the longest unchecked first. */
  due(before: number, limit: number): Promise<string[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.redis.zrangebyscore(this.key, '-inf', String(before), 'LIMIT', 0, limit);
  }

  async mark(uuid: string, at: number): Promise<void> {
    await this.redis.zadd(this.key, String(at), uuid);
  }

  async drop(uuid: string): Promise<void> {
    await this.redis.zrem(this.key, uuid);
  }

  size(): Promise<number> {
    return this.redis.zcard(this.key);
  }
}
