import os from 'node:os';
import path from 'node:path';
import { callGateway, startUpstream } from '../../helpers/stack';
import { spawnWorker, startEnv, waitUntil, type Child } from './harness';

/** Traffic crash cases: a worker kill -9'd at a traffic checkpoint, a fresh one started; the app's log lines after it. */

export const CALLS = 100;

export async function crashAt(point: string): Promise<{ lines: string[]; killed: boolean; recoveryMs: number }> {
  const env = await startEnv(`traffic-${point.replace(/[^a-z]+/gi, '-').toLowerCase()}`, { config: { TRAFFIC_POLL_MS: '300', TRAFFIC_SETTLE_MS: '0' } });
  const upstream = await startUpstream();
  const marker = path.join(os.tmpdir(), `aag-crash-${env.prefix}`);
  const children: Child[] = [];
  try {
    const w1 = await spawnWorker(env, { CRASH_AT: point, CRASH_MARKER: marker }, 'worker-1');
    children.push(w1);
    const { uuid, status } = await env.provision({ plan: 'test', upstream: upstream.url });
    if (status !== 202) throw new Error(`provision answered ${status}`);
    const rec = await env.waitFor(uuid, (r) => r.state === 'provisioned', 20_000, 'provisioned');
    for (let i = 0; i < CALLS; i++) await callGateway(rec.placement!.proxyUrl!, `/items/${i}`);
    const exit = await waitUntil(async () => (w1.running ? undefined : w1.exited), 20_000, `the worker to die at ${point}`);
    const w2 = await spawnWorker(env, { CRASH_AT: point, CRASH_MARKER: marker }, 'worker-2');
    children.push(w2);
    await waitUntil(() => env.heroku.logs(uuid).length >= CALLS, 20_000, `${CALLS} lines after the restart`);
    const recoveryMs = Date.now() - w1.exitedAt;
    // a few more cycles: anything sent twice would show up now
    await new Promise((r) => setTimeout(r, 1_500));
    return { lines: env.heroku.logs(uuid).map((l) => l.message), killed: exit.signal === 'SIGKILL', recoveryMs };
  } finally {
    for (const c of children) await c.stop(3_000);
    await upstream.close();
    await env.close();
  }
}

export const idOf = (line: string) => /id=(\S+)$/.exec(line)?.[1];

