/**
 * A worker process for the reliability suite: built like src/worker.ts, plus a checkpoint hook that
 * kill -9s this process at the point named by CRASH_AT (`<step>:before` / `<step>:after`), once:
 * CRASH_MARKER names a file written just before the kill, so the restarted worker goes on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config';
import { createRuntime } from '../../../src/runtime';
import { createWorkflowDeps, startRunner } from '../../../src/workflows';

function main() {
  const config = loadConfig();
  const crashAt = process.env.CRASH_AT ?? '';
  const marker = process.env.CRASH_MARKER ?? '';
  const rt = createRuntime('worker', config);
  const deps = createWorkflowDeps(rt, {
    hooks: {
      checkpoint(point) {
        if (!crashAt || point !== crashAt) return;
        if (marker && existsSync(marker)) return;
        if (marker) writeFileSync(marker, `${point} ${new Date().toISOString()}\n`);
        process.stdout.write(`CRASHING at ${point}\n`);
        process.kill(process.pid, 'SIGKILL');
      },
    },
  });
  const runner = startRunner(deps, { connection: rt.redis, concurrency: config.WORKER_CONCURRENCY });
  const sweeper = setInterval(() => {
    runner.sweep().catch((err: unknown) => rt.logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'));
  }, config.SWEEP_INTERVAL_MS);
  rt.logger.info({ crashAt: crashAt || null }, 'reliability worker started');
  process.stdout.write('WORKER READY\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweeper);
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    await runner.close().catch(() => undefined);
    await rt.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main();
