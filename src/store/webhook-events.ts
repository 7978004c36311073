import type { Redis } from 'ioredis';

/**
 * The webhook events already taken, by add-on and event id: `SET NX` with a TTL longer than Heroku
 * retries a `sync` delivery (about 7 days), so a repeated delivery, however late, is taken once.
 */
export const WEBHOOK_EVENT_TTL_SECONDS = 8 * 24 * 3600;

export class WebhookEvents {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(uuid: string, eventId: string): string {
    return `${this.prefix}:webhook-event:${uuid}:${eventId}`;
  }

  /** true the first time an event is seen (it is then ours to record and queue), false for a repeat. */
  async claim(uuid: string, eventId: string): Promise<boolean> {
    return (await this.redis.set(this.key(uuid, eventId), '1', 'EX', WEBHOOK_EVENT_TTL_SECONDS, 'NX')) === 'OK';
  }

  /** Gives an event back when recording it failed, so Heroku's next try is taken. */
  async release(uuid: string, eventId: string): Promise<void> {
    await this.redis.del(this.key(uuid, eventId));
  }
}
