import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { RunOutcome } from '../engine';
import { bullPrefix, cappedBackoff, type JobData, type JobRef } from './queues';

/**
 * BullMQ workers, one per queue, around a handler that runs a workflow. What the handler answers
 * becomes BullMQ behaviour: a wait (or a busy subject) moves the job to the delayed set without
 * holding a slot; a thrown error is retried with capped, jittered backoff; anything else completes
 * the job.
 */

export type JobHandler = (ref: JobRef) => Promise<RunOutcome>;

export interface WorkerOptions {
  connection: Redis;
  keyPrefix: string;
  queues: readonly string[];
  concurrency: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  backoffMs: number;
  logger: Logger;
  /** Marks progress (readiness) when a job finishes or re-schedules itself. */
  onProgress?: () => void;
}

/** How soon a job whose subject is busy (another workflow holds its lock) looks again. */
export const BUSY_RETRY_MS = 1_000;

export interface JobWorkers {
  running(): boolean;
  close(): Promise<void>;
}

export function startJobWorkers(handler: JobHandler, opts: WorkerOptions): JobWorkers {
  const process = async (job: Job<JobData>, token?: string) => {
    const ref: JobRef = { workflow: job.queueName, id: job.data.id, key: job.data.key };
    const delay = async (ms: number): Promise<never> => {
      await job.moveToDelayed(Date.now() + ms, token);
      throw new DelayedError();
    };
    let outcome: RunOutcome;
    try {
      outcome = await handler(ref);
    } catch (err) {
      opts.logger.warn(
        { workflow: ref.workflow, subject: ref.id, attempt: job.attemptsMade + 1, err: { name: (err as Error)?.name, message: (err as Error)?.message } },
        'job failed, will retry',
      );
      throw err;
    }
    if (outcome.kind === 'busy') return delay(BUSY_RETRY_MS);
    opts.onProgress?.();
    if (outcome.kind === 'wait') return delay(outcome.ms);
    return outcome.outcome;
  };

  const workers = opts.queues.map((name) => {
    const w = new Worker<JobData>(name, process, {
      connection: opts.connection,
      prefix: bullPrefix(opts.keyPrefix),
      concurrency: opts.concurrency,
      autorun: true,
      stalledInterval: opts.stalledIntervalMs,
      lockDuration: opts.lockDurationMs,
      settings: { backoffStrategy: cappedBackoff(opts.backoffMs) },
    });
    w.on('error', (err) => opts.logger.warn({ err: { message: err.message } }, 'worker connection error'));
    w.on('completed', () => opts.onProgress?.());
    return w;
  });

  return {
    running: () => workers.every((w) => w.isRunning() && !w.isPaused()),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
