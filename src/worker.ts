import { ConfigError, loadConfig } from './config';
import { createRuntime } from './runtime';
import { createWorkflowDeps, startRunner } from './workflows';

/** The worker process: BullMQ workers and the sweeper; on SIGTERM finish in-flight steps within 25 s. */
export async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const rt = createRuntime('worker', config);
  const deps = createWorkflowDeps(rt);
  const runner = startRunner(deps, { connection: rt.redis, concurrency: config.WORKER_CONCURRENCY });
  const sweeper = setInterval(() => {
    runner.sweep().catch((err: unknown) => rt.logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'));
  }, config.SWEEP_INTERVAL_MS);
  rt.logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'worker stopping');
    clearInterval(sweeper);
    const force = setTimeout(() => process.exit(0), 25_000);
    force.unref();
    await runner.close().catch(() => undefined);
    await rt.close();
    rt.logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return runner;
}

if (require.main === module) void main();
