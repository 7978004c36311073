/**
 * The demo's Redis: the one at REDIS_URL (default redis://127.0.0.1:6379) when it answers;
 * otherwise a private redis-server on a free local port, nothing persisted, stopped by `stop()` or
 * when the demo's process exits. The redis-server binary comes from scripts/needs.sh (apt-get when
 * missing and running as root, else one line saying what to install).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface DemoRedis {
  url: string;
  /** One line for the demo's timeline: which Redis it uses. */
  said: string;
  stop(): Promise<void>;
}

/** Something answers a Redis PING at host:port within timeoutMs (PONG, or NOAUTH from a Redis with a password). */
export function redisAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function demoRedis(url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<DemoRedis> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 6379);
  // A TLS Redis (rediss:) is taken as given: a plain-text PING says nothing about it.
  if (u.protocol === 'rediss:' || (await redisAnswers(host, port))) {
    return { url, said: `Redis at ${host}:${port}`, stop: async () => {} };
  }

  try {
    execFileSync('bash', [path.join(__dirname, 'needs.sh'), 'redis-server'], { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch (err) {
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err);
    throw new Error(`no Redis answers at ${host}:${port} and no private one can start: ${why.replace(/^needs: /, '')}`);
  }
  const own = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aag-demo-redis-'));
  const server: ChildProcess = spawn('redis-server', ['--port', String(own), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const kill = () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  const end = Date.now() + 10_000;
  while (!(await redisAnswers('127.0.0.1', own, 500))) {
    if (server.exitCode !== null || Date.now() > end) {
      kill();
      throw new Error(`no Redis answers at ${host}:${port}, and a private redis-server on 127.0.0.1:${own} did not start`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `redis://127.0.0.1:${own}`,
    said: `no Redis answered at ${host}:${port}: started a private redis-server on 127.0.0.1:${own} (stopped at the end)`,
    stop: async () => {
      process.removeListener('exit', kill);
      if (server.exitCode === null && server.signalCode === null) {
        const gone = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        const t = setTimeout(() => server.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
