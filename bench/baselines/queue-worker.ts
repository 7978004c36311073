/**
 * Baseline for the provisioning pipeline: a raw BullMQ worker (same concurrency, same job options)
 * whose jobs do no work but make the same number of queue hops as a provision job: processed,
 * moved to the delayed set (delay 0) HOPS-1 times, then completed.
 * Env: REDIS_URL, BULL_PREFIX, QUEUE, HOPS, CONCURRENCY.
 */
import { DelayedError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';

const hops = Math.max(1, Number(process.env.HOPS ?? 1));
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });

const worker = new Worker(
  process.env.QUEUE ?? 'baseline',
  async (job: Job, token?: string) => {
    if (job.attemptsStarted < hops) {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    return 'done';
  },
  { connection, prefix: process.env.BULL_PREFIX ?? 'bench:bull', concurrency: Number(process.env.CONCURRENCY ?? 10), autorun: true },
);
worker.on('error', () => undefined);
worker.on('ready', () => console.log('baseline worker ready'));

process.on('SIGTERM', () => {
  void worker.close().finally(() => {
    connection.disconnect();
    process.exit(0);
  });
});
