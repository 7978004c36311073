import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobIdFor } from '../domain/naming';

/**
 * The queues and the producer helpers. Job data carries ids only (never a secret); job ids are
 * derived from the add-on uuid, so queuing the same work twice is harmless.
 */

export const QUEUE_NAMES = {
  provision: 'provision',
  deprovision: 'deprovision',
  planChange: 'plan-change',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export interface AddonJobData {
  uuid: string;
  /** plan-change only: the plan asked for (informational; the worker applies the record's plan). */
  plan?: string;
}

/** Retry budget for retryable failures; permanent failures are handled inside the workflows. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 25,
  backoff: { type: 'capped', delay: 1_000 },
  // A finished provision/deprovision job is kept a while (its id then makes a re-add a no-op).
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** Longest wait between two tries of a job. */
export const MAX_JOB_BACKOFF_MS = 5 * 60_000;

/**
 * The workers' backoff for type 'capped': exponential from `baseMs`, at most MAX_JOB_BACKOFF_MS,
 * with jitter (half to all of it) so a burst of failures does not come back as a burst. BullMQ's own
 * 'exponential' has no cap: its 25th try would wait 2^24 × the base.
 */
export function cappedBackoff(baseMs: number, random: () => number = Math.random) {
  return (attemptsMade: number): number => {
    const full = Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), MAX_JOB_BACKOFF_MS);
    return Math.round(full * (0.5 + random() / 2));
  };
}

export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

export class AddonQueues {
  readonly provision: Queue<AddonJobData>;
  readonly deprovision: Queue<AddonJobData>;
  readonly planChange: Queue<AddonJobData>;
  private readonly own?: Redis;

  /**
   * BullMQ asks Redis for its version when a queue is constructed. On the web tier's fail-fast
   * connection (no offline queue) that would fail while Redis is still connecting — or away — and
   * leave the queue broken for good. So the queues get their own duplicate of such a connection
   * with the offline queue on; its 1 s command timeout still turns an outage into a quick error.
   */
  constructor(connection: Redis, keyPrefix: string, jobBackoffMs = 1_000) {
    if (connection.options.enableOfflineQueue === false) {
      this.own = connection.duplicate({ enableOfflineQueue: true });
      this.own.on('error', () => undefined);
    }
    const jobOptions: JobsOptions = { ...DEFAULT_JOB_OPTIONS, backoff: { type: 'capped', delay: jobBackoffMs } };
    const opts = { connection: this.own ?? connection, prefix: bullPrefix(keyPrefix), defaultJobOptions: jobOptions, skipWaitingForReady: true };
    this.provision = new Queue<AddonJobData>(QUEUE_NAMES.provision, opts);
    this.deprovision = new Queue<AddonJobData>(QUEUE_NAMES.deprovision, opts);
    // plan changes may repeat (basic → premium → basic): a finished one — done or failed — must not
    // block the next with the same id; the outcome is on the add-on's timeline
    this.planChange = new Queue<AddonJobData>(QUEUE_NAMES.planChange, {
      ...opts,
      defaultJobOptions: { ...jobOptions, removeOnComplete: true, removeOnFail: true },
    });
    // connection errors surface through the calls that fail (→ 503); don't print them twice
    for (const q of this.all()) q.on('error', () => undefined);
  }

  all(): Queue<AddonJobData>[] {
    return [this.provision, this.deprovision, this.planChange];
  }

  async enqueueProvision(uuid: string): Promise<string> {
    const jobId = jobIdFor('provision', uuid);
    await this.provision.add('provision', { uuid }, { jobId });
    return jobId;
  }

  async enqueueDeprovision(uuid: string): Promise<string> {
    const jobId = jobIdFor('deprovision', uuid);
    await this.deprovision.add('deprovision', { uuid }, { jobId });
    return jobId;
  }

  async enqueuePlanChange(uuid: string, plan: string): Promise<string> {
    const jobId = jobIdFor('plan-change', uuid, plan);
    await this.planChange.add('plan-change', { uuid, plan }, { jobId });
    return jobId;
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
    this.own?.disconnect();
  }
}
