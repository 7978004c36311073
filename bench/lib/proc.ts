import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/store/redis';

/** Child processes, ports, Redis helpers and small statistics for the benchmarks. */

export const ROOT = path.resolve(__dirname, '..', '..');

const children = new Set<ChildProcess>();

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point under ts-node (transpile only) as a plain `node` child, so the pid
 * is the process that serves (its RSS is the server's). Output is kept (last 20 kB) for diagnosis.
 */
export function spawnTs(name: string, entry: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, '-r', 'ts-node/register/transpile-only', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(name, proc);
}

export function spawnCmd(name: string, cmd: string, args: string[]): Child {
  return track(name, spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function track(name: string, proc: ChildProcess): Child {
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  children.add(proc);
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.once('exit', () => children.delete(proc));
  return {
    name,
    proc,
    pid: proc.pid,
    output: () => out,
    stop: () => stopProc(proc),
  };
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
export function stopProc(proc: ChildProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Last resort on exit: kill (by pid) every child this run started that is still alive. */
export function killAllChildren(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopProc(c)));
}

/** Polls `url` until it answers 2xx, or throws after `ms` (naming the child and its output). */
export async function waitHttp(url: string, child: Child, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}):\n${child.output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not ready at ${url} after ${ms} ms:\n${child.output()}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resident set size of a process, bytes (from /proc/<pid>/status). */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

let clockTicks: number | undefined;

/** CPU time (user + system) a process has used so far, ms (from /proc/<pid>/stat; clock-tick resolution). */
export function cpuMsOf(pid: number): number | null {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 (utime) and 15 (stime) of the whole line are 12 and 13 after the name
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** A Redis connection built the product's one way (`connectRedis`, the worker's flavour: waits, reconnects). */
export function benchRedis(url: string): Redis {
  return connectRedis({ REDIS_URL: url, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
}

/** A private Redis (no persistence) on a free port; `stop()` shuts it down. */
export async function startPrivateRedis(): Promise<{ url: string; port: number; child: Child; client: Redis; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnCmd('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes']);
  const url = `redis://127.0.0.1:${port}`;
  const client = benchRedis(url);
  const until = Date.now() + 10_000;
  while (client.status !== 'ready') {
    if (Date.now() > until) {
      client.disconnect();
      await child.stop();
      throw new Error(`private redis did not start:\n${child.output()}`);
    }
    await sleep(50);
  }
  return {
    url,
    port,
    child,
    client,
    async stop() {
      client.disconnect();
      await child.stop();
    },
  };
}

/** Deletes every key under `prefix:` (only what this run made). */
export { deleteKeysUnder as deletePrefix } from '../../src/store/redis';

export async function totalCommands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  const m = /total_commands_processed:(\d+)/.exec(info);
  return m ? Number(m[1]) : NaN;
}

/** `INFO commandstats` as {command: calls}. */
export async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

export function diffStats(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Means of the first and last tenth of a series (at least one sample each). */
export function deciles(xs: number[]): { first: number; last: number; samples: number } {
  const k = Math.max(1, Math.floor(xs.length / 10));
  return { first: mean(xs.slice(0, k)), last: mean(xs.slice(-k)), samples: xs.length };
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
