import { loadConfigOrExit } from './config';
import { startWorker } from './start';

/** The worker process: the workflow workers and the sweeper; on SIGTERM finish in-flight steps within 25 s. */
export async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const worker = await startWorker(config);
  worker.logger.info({ concurrency: config.WORKER_CONCURRENCY, metricsPort: worker.opsPort ?? null }, 'worker started');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    worker.logger.info({ signal }, 'worker stopping');
    const force = setTimeout(() => process.exit(0), 25_000);
    force.unref();
    await worker.close();
    worker.logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

if (require.main === module) void main();
