import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The queues: one per workflow, BullMQ under `<KEY_PREFIX>:bull`. Job data carries ids only (never
 * a secret); job ids derive from the subject (the add-on uuid), so queuing the same work twice is
 * harmless.
 */

/** A unit of work: run `workflow` on subject `id` (`key` tells repeatable runs apart, e.g. a plan). */
export interface JobRef {
  workflow: string;
  id: string;
  key?: string;
}

export interface JobData {
  id: string;
  key?: string;
}

export interface QueueSpec {
  name: string;
  /**
   * Keep finished jobs a while, so a re-add of the same id is a no-op (provision, deprovision).
   * Repeatable work (a plan change basic → premium → basic) must not be blocked by its last run.
   */
  keepFinished: boolean;
}

/** BullMQ job ids must never contain ':'. */
export function jobIdFor(ref: JobRef): string {
  return [ref.workflow, ref.id, ...(ref.key ? [ref.key] : [])].join('_').replace(/:/g, '-');
}

export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

/** Tries per job for retryable failures (then the sweeper re-drives it); permanent failures never come here. */
export const JOB_ATTEMPTS = 25;

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

export class JobQueues {
  private readonly queues = new Map<string, Queue<JobData>>();

  /**
   * `connection` may be the web's fail-fast connection (no offline queue): the record write and the
   * job add then share one connection and one pipelined round trip, in that order. The queues send
   * nothing when built (no version check: the workers make it), so building them while Redis is
   * away leaves nothing broken; each call fails fast until it is back.
   */
  constructor(connection: Redis, keyPrefix: string, specs: readonly QueueSpec[], backoffMs = 1_000) {
    for (const spec of specs) {
      const defaultJobOptions: JobsOptions = {
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'capped', delay: backoffMs },
        ...(spec.keepFinished
          ? { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600, count: 10_000 } }
          : { removeOnComplete: true, removeOnFail: true }),
      };
      const q = new Queue<JobData>(spec.name, {
        connection,
        prefix: bullPrefix(keyPrefix),
        defaultJobOptions,
        skipWaitingForReady: true,
        skipVersionCheck: true,
      });
      // connection errors surface through the calls that fail (→ 503); don't print them twice
      q.on('error', () => undefined);
      this.queues.set(spec.name, q);
    }
  }

  /** The BullMQ queues (for the queue console, readiness and the metrics' depth gauge). */
  all(): Queue<JobData>[] {
    return [...this.queues.values()];
  }

  names(): string[] {
    return [...this.queues.keys()];
  }

  /** The BullMQ queue of a workflow. */
  queue(workflow: string): Queue<JobData> {
    const q = this.queues.get(workflow);
    if (!q) throw new Error(`no queue for workflow ${workflow}`);
    return q;
  }

  /** Queues the work (a no-op when a job with its id exists). */
  async enqueue(ref: JobRef): Promise<string> {
    const jobId = jobIdFor(ref);
    await this.queue(ref.workflow).add(ref.workflow, { id: ref.id, ...(ref.key ? { key: ref.key } : {}) }, { jobId });
    return jobId;
  }

  async job(ref: JobRef): Promise<Job<JobData> | undefined> {
    return this.queue(ref.workflow).getJob(jobIdFor(ref));
  }

  /**
   * Makes sure a job will run the work: a missing job is added, a failed one (out of tries) retried,
   * a finished one replaced. Returns what it did, or null when a job is already waiting or running.
   */
  async ensure(ref: JobRef): Promise<{ action: 'queued' | 'retried' | 'replaced'; jobState: string } | null> {
    const job = await this.job(ref);
    const state = job ? await job.getState() : 'missing';
    if (job && state === 'failed') {
      await job.retry('failed');
      return { action: 'retried', jobState: state };
    }
    if (job && state === 'completed') {
      await job.remove();
      await this.enqueue(ref);
      return { action: 'replaced', jobState: state };
    }
    if (state === 'missing' || state === 'unknown') {
      await this.enqueue(ref);
      return { action: 'queued', jobState: state };
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
