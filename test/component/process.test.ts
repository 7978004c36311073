import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/store/redis';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/context';

/**
 * The two processes as Heroku runs them: start, answer, and on SIGTERM (what Heroku sends on
 * restart, deploy and scale-down) exit 0 — the web within a few seconds, the worker within 25 s.
 * They run through ts-node so the test does not depend on a fresh `npm run build`.
 */

const ROOT = path.resolve(__dirname, '../..');
const prefix = uniquePrefix('process');
let redis: Redis;

beforeAll(() => {
  redis = connectRedis({ REDIS_URL, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function start(entry: string, env: Record<string, string>): Proc {
  let out = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', REDIS_URL, KEY_PREFIX: prefix, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, output: () => out, exited };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms: number, proc: Proc): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (proc.child.exitCode !== null) throw new Error(`${what}: the process exited (${proc.child.exitCode}):\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers: { connection: 'close', ...headers } });
  return { status: res.status, text: await res.text() };
};

function stopAll(p: Proc) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

describe('web process (src/server.ts)', () => {
  it('answers /healthz and /readyz, guards /metrics, and exits 0 within a few seconds of SIGTERM', async () => {
    const port = await freePort();
    const web = start('src/server.ts', { PORT: String(port) });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('web /healthz', async () => ((await get(`${base}/healthz`)).status === 200 ? true : undefined), 20_000, web);
      expect((await get(`${base}/readyz`)).status).toBe(200);
      expect((await get(`${base}/openapi.json`)).status).toBe(200);
      expect((await get(`${base}/metrics`)).status).toBe(401);
      expect((await get(`${base}/admin/queues`)).status).toBe(401);

      const t0 = Date.now();
      web.child.kill('SIGTERM');
      const { code, at } = await web.exited;
      expect(code).toBe(0);
      expect(at - t0).toBeLessThan(5_000);
      expect(web.output()).toContain('web stopped');
    } finally {
      stopAll(web);
    }
  }, 40_000);
});

describe('worker process (src/worker.ts)', () => {
  it('serves /healthz, /readyz and /metrics on WORKER_METRICS_PORT, marks progress, and exits 0 within 25 s of SIGTERM', async () => {
    const port = await freePort();
    const worker = start('src/worker.ts', { WORKER_METRICS_PORT: String(port) });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('worker started', async () => (worker.output().includes('worker started') ? true : undefined), 20_000, worker);
      await waitFor('worker /healthz', async () => ((await get(`${base}/healthz`)).status === 200 ? true : undefined), 10_000, worker);
      expect((await get(`${base}/readyz`)).status).toBe(200);
      const metrics = await get(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('aag_queue_depth{queue="provision",state="waiting"} 0');
      expect(metrics.text).toContain('aag_provisions_total{outcome="succeeded"} 0');
      // idle and caught up: the heartbeat keeps the progress mark fresh
      const mark = await waitFor('progress mark', async () => (await redis.get(`${prefix}:worker:progress`)) ?? undefined, 5_000, worker);
      expect(Date.now() - Number(mark)).toBeLessThan(15_000);

      const t0 = Date.now();
      worker.child.kill('SIGTERM');
      const { code, at } = await worker.exited;
      expect(code).toBe(0);
      expect(at - t0).toBeLessThan(25_000);
      expect(worker.output()).toContain('worker stopped');
    } finally {
      stopAll(worker);
    }
  }, 60_000);
});
