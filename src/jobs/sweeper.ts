import type { Logger } from '../logger';
import type { SubjectLocks } from '../store/lock';
import type { JobQueues, JobRef } from './queues';

/**
 * The sweeper: every `intervalMs`, the work that records still need (`pending`, read from the
 * store by the caller) is matched against the queues, and any job that went missing, failed out of
 * its tries or finished too early is queued again. Job ids are deterministic, so queuing twice is
 * harmless. One sweep at a time over all workers: each sweep holds a Redis lock.
 */
export interface SweeperOptions {
  jobs: JobQueues;
  locks: SubjectLocks;
  intervalMs: number;
  /** The work records still need (already filtered to records untouched for a while). */
  pending: () => Promise<JobRef[]>;
  /** Slow work of each sweep, under the same lock (the apps' re-check); its failure is logged, the sweep goes on. */
  also?: () => Promise<unknown>;
  logger: Logger;
}

export interface Sweeper {
  /** One sweep now; `null` when another process holds the sweep lock. */
  sweepOnce(): Promise<{ requeued: JobRef[] } | null>;
  stop(): void;
}

export const SWEEP_LOCK = 'sweeper';

export function startSweeper(opts: SweeperOptions): Sweeper {
  async function sweepOnce(): Promise<{ requeued: JobRef[] } | null> {
    const held = await opts.locks.withLock(SWEEP_LOCK, async () => {
      const requeued: JobRef[] = [];
      for (const ref of await opts.pending()) {
        const did = await opts.jobs.ensure(ref);
        if (!did) continue;
        requeued.push(ref);
        opts.logger.info({ workflow: ref.workflow, subject: ref.id, key: ref.key, ...did }, 'sweeper re-queued work');
      }
      await opts.also?.().catch((err: unknown) => opts.logger.warn({ err: { message: (err as Error).message } }, 'sweep: app re-check failed'));
      return { requeued };
    });
    return held.acquired ? held.value : null;
  }

  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    sweepOnce()
      .catch((err: unknown) => opts.logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'))
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs);
  timer.unref();
  return { sweepOnce, stop: () => clearInterval(timer) };
}
