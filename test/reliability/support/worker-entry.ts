/**
 * A worker process for the reliability suite: src/worker.ts's startWorker, plus a checkpoint hook
 * that kill -9s this process at the point named by CRASH_AT (`<workflow>.<step>:before` /
 * `:after`), once: CRASH_MARKER names a file written just before the kill, so the restarted worker
 * goes on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../../src/config';
import { startWorker } from '../../../src/start';

async function main() {
  const config = loadConfig();
  const crashAt = process.env.CRASH_AT ?? '';
  const marker = process.env.CRASH_MARKER ?? '';
  const worker = await startWorker(config, {
    opsServer: false,
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
  worker.logger.info({ crashAt: crashAt || null }, 'reliability worker started');
  process.stdout.write('WORKER READY\n');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    await worker.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
