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
  backoff: { type: 'exponential', delay: 1_000 },
  // A finished provision/deprovision job is kept a while (its id then makes a re-add a no-op).
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

export class AddonQueues {
  private made?: { provision: Queue<AddonJobData>; deprovision: Queue<AddonJobData>; planChange: Queue<AddonJobData> };

  /**
   * Queues are made on first use, once the connection is ready: BullMQ asks Redis for its version
   * when a queue is constructed, and on the web tier's fail-fast connection (no offline queue) that
   * must not happen while Redis is away — it would leave the queue broken for good.
   */
  constructor(
    private readonly connection: Redis,
    private readonly keyPrefix: string,
    private readonly jobBackoffMs = 1_000,
  ) {}

  private queues() {
    if (this.made) return this.made;
    if (this.connection.status !== 'ready' && this.connection.options.enableOfflineQueue === false) {
      throw new Error('Redis connection not ready');
    }
    const jobOptions: JobsOptions = { ...DEFAULT_JOB_OPTIONS, backoff: { type: 'exponential', delay: this.jobBackoffMs } };
    const opts = { connection: this.connection, prefix: bullPrefix(this.keyPrefix), defaultJobOptions: jobOptions, skipWaitingForReady: true };
    this.made = {
      provision: new Queue<AddonJobData>(QUEUE_NAMES.provision, opts),
      deprovision: new Queue<AddonJobData>(QUEUE_NAMES.deprovision, opts),
      // plan changes may repeat (basic → premium → basic): a finished one must not block the next
      planChange: new Queue<AddonJobData>(QUEUE_NAMES.planChange, { ...opts, defaultJobOptions: { ...jobOptions, removeOnComplete: true } }),
    };
    // connection errors surface through the calls that fail (→ 503); don't print them twice
    for (const q of Object.values(this.made)) q.on('error', () => undefined);
    return this.made;
  }

  get provision(): Queue<AddonJobData> {
    return this.queues().provision;
  }

  get deprovision(): Queue<AddonJobData> {
    return this.queues().deprovision;
  }

  get planChange(): Queue<AddonJobData> {
    return this.queues().planChange;
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
    if (this.made) await Promise.all(Object.values(this.made).map((q) => q.close()));
  }
}
