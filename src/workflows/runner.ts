import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, cappedBackoff, QUEUE_NAMES, type AddonJobData } from '../queue';
import type { WorkflowDeps } from './deps';
import { AddonLocks } from './lock';
import { Wait } from './outcomes';
import { runProvision } from './provision';
import { runDeprovision } from './deprovision';
import { runPlanChange } from './plan-change';
import { jobIdFor } from '../domain/naming';
import { planDrift } from '../domain/addon';

/**
 * BullMQ workers around the workflows. Waiting never holds a worker slot: a Wait (or a busy
 * add-on lock) moves the job to the delayed set. Retryable errors are retried by BullMQ with
 * backoff; the sweeper re-drives any active record whose job is missing or has failed.
 */

export interface RunnerOptions {
  connection: Redis;
  concurrency: number;
  /** Heartbeat/progress marks for readiness. */
  onProgress?: () => void;
}

export interface Runner {
  workers: Worker<AddonJobData>[];
  sweep(): Promise<{ requeued: string[] }>;
  close(): Promise<void>;
}

const LOCK_BUSY_RETRY_MS = 1_000;

export function startRunner(deps: WorkflowDeps, opts: RunnerOptions): Runner {
  const locks = new AddonLocks(opts.connection, deps.config.KEY_PREFIX, deps.config.ADDON_LOCK_TTL_MS);
  const prefix = bullPrefix(deps.config.KEY_PREFIX);

  const guarded = (run: (uuid: string) => Promise<string>) => async (job: Job<AddonJobData>, token?: string) => {
    const uuid = job.data.uuid;
    const delay = async (ms: number) => {
      await job.moveToDelayed(Date.now() + ms, token);
      throw new DelayedError();
    };
    try {
      const res = await locks.withLock(uuid, () => run(uuid));
      if (!res.acquired) return await delay(LOCK_BUSY_RETRY_MS);
      opts.onProgress?.();
      return res.value;
    } catch (err) {
      if (err instanceof Wait) {
        opts.onProgress?.();
        return delay(err.ms);
      }
      if (!(err instanceof DelayedError)) {
        deps.logger.warn({ uuid, queue: job.queueName, attempt: job.attemptsMade + 1, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'job step failed, will retry');
      }
      throw err;
    }
  };

  const common = {
    connection: opts.connection,
    prefix,
    concurrency: opts.concurrency,
    autorun: true,
    stalledInterval: deps.config.WORKER_STALLED_INTERVAL_MS,
    lockDuration: deps.config.WORKER_LOCK_DURATION_MS,
    settings: { backoffStrategy: cappedBackoff(deps.config.JOB_BACKOFF_MS) },
  };
  const workers = [
    new Worker<AddonJobData>(QUEUE_NAMES.provision, guarded((u) => runProvision(deps, u)), common),
    new Worker<AddonJobData>(QUEUE_NAMES.deprovision, guarded((u) => runDeprovision(deps, u)), common),
    new Worker<AddonJobData>(QUEUE_NAMES.planChange, guarded((u) => runPlanChange(deps, u)), common),
  ];
  for (const w of workers) {
    w.on('error', (err) => deps.logger.warn({ err: { message: err.message } }, 'worker connection error'));
    w.on('completed', () => opts.onProgress?.());
  }

  async function sweep(): Promise<{ requeued: string[] }> {
    const requeued: string[] = [];
    const staleBefore = Date.now() - deps.config.SWEEP_STALE_MS;
    for (const uuid of await deps.store.activeIds()) {
      const rec = await deps.store.get(uuid);
      if (!rec || Date.parse(rec.updatedAt) > staleBefore) continue;
      if (planDrift(rec)) {
        // a plan change whose job was lost (or failed out of its retries): queue it again
        const job = await deps.queues.planChange.getJob(jobIdFor('plan-change', uuid, rec.plan));
        if (job) continue;
        await deps.queues.enqueuePlanChange(uuid, rec.plan);
        requeued.push(uuid);
        deps.logger.info({ uuid, kind: 'plan-change', plan: rec.plan }, 'sweeper re-queued a plan change');
        continue;
      }
      const kind = rec.state === 'provisioning' ? 'provision' : rec.state === 'deprovisioning' ? 'deprovision' : null;
      if (!kind) continue;
      const queue = kind === 'provision' ? deps.queues.provision : deps.queues.deprovision;
      const job = await queue.getJob(jobIdFor(kind, uuid));
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' && job) {
        await job.retry('failed').catch(() => undefined);
      } else if (state === 'completed' && job) {
        await job.remove().catch(() => undefined);
        await (kind === 'provision' ? deps.queues.enqueueProvision(uuid) : deps.queues.enqueueDeprovision(uuid));
      } else if (state === 'missing' || state === 'unknown') {
        await (kind === 'provision' ? deps.queues.enqueueProvision(uuid) : deps.queues.enqueueDeprovision(uuid));
      } else {
        continue;
      }
      requeued.push(uuid);
      deps.logger.info({ uuid, kind, jobState: state }, 'sweeper re-queued an add-on');
    }
    return { requeued };
  }

  return {
    workers,
    sweep,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
