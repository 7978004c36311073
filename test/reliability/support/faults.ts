/**
 * Upstream fault storms: both stand-ins answer 5xx at random (20 %), with 429 bursts and latency
 * spikes in turns, while N add-ons provision. Everything must still end provisioned with one of
 * everything and nothing orphaned.
 */
import type { FaultRule as AnypointFault } from '@aag/standins';
import type { HerokuFaultRule as HerokuFault } from '@aag/standins';
import { countFor, fmtCounts, ONE, orphans, pct, sleep, startEnv, startWorkers, totals, truthOf, type Counts } from './harness';

const API = '^/(accounts|exchange|apimanager|proxies|cloudhub)/';

const ANYPOINT_PHASES: { name: string; rules: AnypointFault[] }[] = [
  { name: '5xx', rules: [{ path: API, errorRate: 0.2 }] },
  { name: '429 burst', rules: [{ path: API, rateLimitRate: 0.6, retryAfterSeconds: 1 }] },
  { name: 'latency spike', rules: [{ path: API, latencyMs: 400, errorRate: 0.2 }] },
];
const HEROKU_PHASES: HerokuFault[][] = [
  [{ path: '/oauth/token', errorRate: 0.2 }, { path: '/addons/*', errorRate: 0.2 }, { path: '/apps/*', errorRate: 0.2 }],
  [{ path: '/addons/*', errorRate: 0.5, status: 429 }, { path: '/apps/*', errorRate: 0.5, status: 429 }],
  [{ path: '/oauth/token', errorRate: 0.2, latencyMs: 300 }, { path: '/addons/*', errorRate: 0.2, latencyMs: 300 }, { path: '/apps/*', errorRate: 0.2, latencyMs: 300 }],
];

export interface StormResult {
  n: number;
  provisioned: number;
  perAddonOk: number;
  totals: Counts;
  /** Shared gateways made (ceil(n / their API limit) at most). */
  gateways: number;
  orphans: number;
  actionsOk: number;
  truthOk: number;
  p50: number;
  p95: number;
  max: number;
  wallMs: number;
  phases: number;
}

export async function faultStorm(n: number, opts: { timeoutMs: number; phaseMs?: number }): Promise<StormResult> {
  const env = await startEnv(`storm${n}`, { deployDelayMs: 300, config: { WORKER_CONCURRENCY: '20', HTTP_MAX_TRIES: '5' } });
  const workers = await startWorkers(env);
  let phase = 0;
  const turn = () => {
    const p = phase++ % ANYPOINT_PHASES.length;
    env.anypoint.setFaults(ANYPOINT_PHASES[p].rules);
    env.heroku.setFaults(HEROKU_PHASES[p]);
  };
  turn();
  const rotor = setInterval(turn, opts.phaseMs ?? 700);
  const t0 = Date.now();
  try {
    const uuids: string[] = [];
    // Heroku's POST itself gets no injected fault (it is our own web tier); send in waves of 20
    for (let i = 0; i < n; i += 20) {
      const wave = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => env.provision()));
      for (const p of wave) {
        if (p.status !== 202) throw new Error(`provision answered ${p.status}`);
        uuids.push(p.uuid);
      }
    }
    const until = Date.now() + opts.timeoutMs;
    let done = 0;
    while (Date.now() < until) {
      const recs = await Promise.all(uuids.map((u) => env.store.get(u)));
      done = recs.filter((r) => r && r.state !== 'provisioning').length;
      if (done === uuids.length) break;
      await sleep(250);
    }
    const wallMs = Date.now() - t0;
    clearInterval(rotor);
    env.anypoint.clearFaults();
    env.heroku.clearFaults();
    await sleep(500);
    const recs = await Promise.all(uuids.map((u) => env.store.get(u)));
    const inv = env.anypoint.inspect();
    const times = recs.filter((r) => r?.provisionedAt).map((r) => Date.parse(r!.provisionedAt!) - Date.parse(r!.createdAt));
    const result: StormResult = {
      n,
      provisioned: recs.filter((r) => r?.state === 'provisioned').length,
      perAddonOk: uuids.filter((u) => JSON.stringify(countFor(inv, u)) === JSON.stringify(ONE)).length,
      totals: totals(inv),
      gateways: inv.gateways.length,
      orphans: orphans(inv, uuids),
      actionsOk: uuids.filter((u) => env.heroku.actionCount(u, 'provision') === 1 && env.heroku.actionCount(u, 'deprovision') === 0).length,
      truthOk: recs.filter((r) => r && r.state === 'provisioned' && truthOf(env, r).ok).length,
      p50: pct(times, 50),
      p95: pct(times, 95),
      max: Math.max(...times),
      wallMs,
      phases: phase,
    };
    const failed = recs.filter((r) => r && r.state !== 'provisioned').map((r) => `${r!.uuid}: ${r!.state} ${r!.failureReason ?? ''}`);
    if (failed.length) console.warn(`not provisioned:\n${failed.slice(0, 10).join('\n')}`);
    return result;
  } finally {
    clearInterval(rotor);
    await workers.close();
    await env.close();
  }
}

export function describeStorm(r: StormResult) {
  return {
    anypoint: `${fmtCounts(r.totals)}; gateways ${r.gateways}; orphans ${r.orphans}`,
    outcome: `${r.provisioned}/${r.n} provisioned; Heroku provision×1 for ${r.actionsOk}/${r.n}; told after it served ${r.truthOk}/${r.n}`,
    timing: `time-to-provisioned p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms; wall ${r.wallMs} ms`,
  };
}
