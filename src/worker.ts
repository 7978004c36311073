import { loadConfigOrExit } from './config';
import { createRuntime } from './runtime';
import { createWorkflowDeps, startRunner } from './workflows';
import { createMetrics, upstreamMetricsHook, workflowMetricsHooks } from './metrics';
import { oldestWaiting, ProgressMarker, startHeartbeat, startOpsServer, workerReadiness } from './health';

/** The worker process: BullMQ workers and the sweeper; on SIGTERM finish in-flight steps within 25 s. */
export async function main() {
  const config = loadConfigOrExit();
  const rt = createRuntime('worker', config);
  const metrics = createMetrics({ queues: () => rt.queues.all() });
  const deps = createWorkflowDeps(rt, { hooks: workflowMetricsHooks(metrics), onResponse: upstreamMetricsHook(metrics) });
  // readiness: progress marks when steps finish or re-schedule, and a heartbeat while idle
  const marker = new ProgressMarker(rt.redis, config.KEY_PREFIX);
  const runner = startRunner(deps, { connection: rt.redis, concurrency: config.WORKER_CONCURRENCY, onProgress: () => marker.mark() });
  const sweeper = setInterval(() => {
    runner.sweep().catch((err: unknown) => rt.logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'));
  }, config.SWEEP_INTERVAL_MS);
  let stopping = false;
  const running = () => !stopping && runner.workers.every((w) => w.isRunning() && !w.isPaused());
  const heartbeat = startHeartbeat(marker, async () => {
    if (!running()) return false;
    const oldest = await oldestWaiting(rt.queues.all());
    return !oldest || Date.now() - oldest.since <= config.READINESS_STALE_MS;
  });
  const ops = await startOpsServer({ port: config.WORKER_METRICS_PORT, registry: metrics.registry, readiness: workerReadiness(rt.redis, running) }).catch(
    (err: unknown) => {
      rt.logger.warn({ port: config.WORKER_METRICS_PORT, err: { message: (err as Error).message } }, 'worker ops server (metrics) not started');
      return null;
    },
  );
  rt.logger.info({ concurrency: config.WORKER_CONCURRENCY, metricsPort: ops ? (ops.address() as { port: number }).port : null }, 'worker started');

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'worker stopping');
    clearInterval(sweeper);
    heartbeat.stop();
    ops?.close();
    ops?.closeAllConnections();
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
