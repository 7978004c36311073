/**
 * One crash case: a real worker process is kill -9'd at a checkpoint (`<workflow>.<step>:before` or
 * `:after`), a fresh one is started, and the add-on must end where it should with exact counts in
 * the Anypoint stand-in. Each case has its own stand-ins and key prefix. The cases cover every step
 * of every workflow on each target: provision (and its compensation), the shared gateway's
 * creation, deprovision, a plan change, a move across targets and the retirement of the old
 * placement.
 */
import os from 'node:os';
import path from 'node:path';
import type { AddonRecord } from '../../../src/domain/addon';
import type { TargetName } from '../../../src/domain/targets';
import { stepsOf } from '../../../src/engine';
import { DEPROVISION, FOLLOW_APP, GATEWAY, MOVE, PLAN_CHANGE, PROVISION, RETIRE } from '../../../src/workflows';
import { callGateway } from '../../helpers/stack';
import {
  configSecrets,
  countFor,
  dumpPrefix,
  fmtCounts,
  herokuTokensOf,
  leaks,
  spawnWorker,
  startEnv,
  truthOf,
  waitUntil,
  type Child,
  type Counts,
} from './harness';

export type Scenario = 'provision' | 'gateway' | 'compensation' | 'deprovision' | 'plan-change' | 'move' | 'retire' | 'follow-app';

export interface CrashPoint {
  point: string;
  scenario: Scenario;
  /** The target the add-on is provisioned on. */
  target: TargetName;
}

/** A record as far as the step lists look at it. */
const shape = (target: TargetName, extra: Partial<AddonRecord> = {}) => ({ target, placement: { target, region: 'us' as const }, ...extra }) as unknown as AddonRecord;

const at = (name: string, steps: readonly { name: string }[], scenario: Scenario, target: TargetName): CrashPoint[] =>
  steps.flatMap((s) => (['before', 'after'] as const).map((when) => ({ point: `${name}.${s.name}:${when}`, scenario, target })));

export const CRASH_POINTS: CrashPoint[] = [
  ...(['omni', 'ch2'] as const).flatMap((t) => at(PROVISION.name, stepsOf(PROVISION.steps, shape(t)), 'provision', t)),
  ...at(GATEWAY.name, stepsOf(GATEWAY.steps, {} as never), 'gateway', 'omni'),
  // a deployment refused for good (403) reaches the compensation
  ...at(PROVISION.name, stepsOf(PROVISION.compensation, shape('ch2')), 'compensation', 'ch2'),
  ...(['omni', 'ch2'] as const).flatMap((t) => at(DEPROVISION.name, stepsOf(DEPROVISION.steps, shape(t)), 'deprovision', t)),
  ...at(PLAN_CHANGE.name, stepsOf(PLAN_CHANGE.steps, shape('omni')), 'plan-change', 'omni'),
  // basic on omni → premium on ch2, then the omni placement retired
  ...at(MOVE.name, stepsOf(MOVE.steps, shape('omni', { target: 'ch2' })), 'move', 'omni'),
  ...at(RETIRE.name, stepsOf(RETIRE.steps, shape('ch2', { retired: { target: 'omni', region: 'us' } })), 'retire', 'omni'),
  // the app renamed after provisioning; the periodic re-check (1 s here) notices and follow-app re-routes
  ...(['omni', 'ch2'] as const).flatMap((t) => at(FOLLOW_APP.name, stepsOf(FOLLOW_APP.steps, shape(t)), 'follow-app', t)),
];

/** How soon the worker's re-check reads a follow-app case's app again. */
const FOLLOW_RECHECK_MS = '1000';

/** The one point a crash cannot be recovered from: the single-use OAuth grant code is spent. */
export const UNRECOVERABLE = 'provision.exchangeGrant:after';

/** The plan a plan-change crash case moves to, within omni (from 'basic'); a move goes to 'premium' (ch2). */
export const NEW_PLAN = 'test';
export const MOVE_PLAN = 'premium';

export interface CrashResult {
  point: string;
  scenario: Scenario;
  target: TargetName;
  uuid: string;
  killed: boolean;
  final: AddonRecord;
  counts: Counts;
  /** Managed gateways in the stand-in (never two for one slot). */
  gateways: string[];
  provisionActions: number;
  deprovisionActions: number;
  recoveryMs: number;
  truthOk: boolean | null;
  leaked: string[];
  /** follow-app: the upstream the add-on must end on (the app's new host), and what its gateway URL served at the end. */
  followTo?: string;
  served?: { status: number; host?: string };
}

/** When the case is over, by scenario. */
const DONE: Record<Scenario, (r: AddonRecord) => boolean> = {
  provision: (r) => r.state === 'provisioned' || r.state === 'failed',
  gateway: (r) => r.state === 'provisioned' || r.state === 'failed',
  compensation: (r) => r.state === 'failed',
  deprovision: (r) => r.state === 'deprovisioned',
  'plan-change': (r) => r.state === 'provisioned' && r.placement?.policyPlan === NEW_PLAN && !r.runs,
  move: (r) => r.state === 'provisioned' && r.placement?.target === 'ch2' && !r.retired && !r.next && !r.runs,
  retire: (r) => r.state === 'provisioned' && r.placement?.target === 'ch2' && !r.retired && !r.runs,
  'follow-app': (r) => r.state === 'provisioned' && !!r.resources.upstreamChangedAt && !r.resources.followReason && !r.runs,
};

export async function crashCase(c: CrashPoint): Promise<CrashResult> {
  const step = c.point.split(':')[0].split('.').slice(1).join('-');
  const env = await startEnv(`crash-${c.scenario}-${c.target}-${step.toLowerCase()}-${c.point.endsWith('after') ? 'a' : 'b'}`, {
    deployDelayMs: 300,
    config: { ANYPOINT_DEFAULT_TARGET: c.target, PLAN_TARGETS: 'premium:ch2', ...(c.scenario === 'follow-app' ? { APP_RECHECK_INTERVAL_MS: FOLLOW_RECHECK_MS } : {}) },
  });
  const marker = path.join(os.tmpdir(), `aag-crash-${env.prefix}`);
  const extra = { CRASH_AT: c.point, CRASH_MARKER: marker };
  const children: Child[] = [];
  try {
    if (c.scenario === 'compensation') env.anypoint.setFaults([{ path: '/deployments$', method: 'POST', status: 403 }]);
    const w1 = await spawnWorker(env, extra, 'worker-1');
    children.push(w1);
    const { uuid, status } = await env.provision({ plan: 'basic' });
    if (status !== 202) throw new Error(`provision answered ${status}`);
    let truthOk: boolean | null = null;
    let followTo: string | undefined;
    const tokens = [];
    if (c.scenario === 'follow-app') {
      const rec = await env.waitFor(uuid, (r) => r.state === 'provisioned', 20_000, 'provisioned before the rename');
      truthOk = truthOf(env, rec).ok;
      tokens.push(...(await herokuTokensOf(env, [uuid])));
      followTo = `https://${env.heroku.renameApp(uuid, `renamed-${c.target}-${uuid.slice(0, 8)}`).newHost}`;
    }
    if (['deprovision', 'plan-change', 'move', 'retire'].includes(c.scenario)) {
      const rec = await env.waitFor(uuid, (r) => r.state === 'provisioned', 20_000, `provisioned before the ${c.scenario}`);
      truthOk = truthOf(env, rec).ok;
      tokens.push(...(await herokuTokensOf(env, [uuid])));
      const expected = c.scenario === 'deprovision' ? 204 : 200;
      const answered =
        c.scenario === 'deprovision' ? await env.deprovision(uuid) : await env.changePlan(uuid, c.scenario === 'plan-change' ? NEW_PLAN : MOVE_PLAN);
      if (answered !== expected) throw new Error(`${c.scenario} answered ${answered}`);
    }
    const exit = await waitUntil(async () => (w1.running ? undefined : w1.exited), 20_000, `the worker to die at ${c.point}`);
    const killed = exit.signal === 'SIGKILL';
    const w2 = await spawnWorker(env, extra, 'worker-2');
    children.push(w2);
    const final = await env.waitFor(uuid, DONE[c.scenario], 30_000, `a final state after the crash at ${c.point}`);
    const recoveryMs = Date.parse(final.updatedAt) - w1.exitedAt;
    if ((c.scenario === 'provision' || c.scenario === 'gateway') && final.state === 'provisioned') {
      truthOk = truthOf(env, final).ok;
      tokens.push(...(await herokuTokensOf(env, [uuid])));
    }
    // let the second worker settle (a duplicate delivery would show up as a second resource)
    await new Promise((r) => setTimeout(r, 300));
    let served: CrashResult['served'];
    if (c.scenario === 'follow-app' && final.placement?.proxyUrl) {
      const g = await callGateway(final.placement.proxyUrl, '/after-crash');
      let host: string | undefined;
      try {
        host = (JSON.parse(g.body) as { host?: string }).host;
      } catch {
        host = undefined;
      }
      served = { status: g.status, host };
    }
    const inv = env.anypoint.inspect();
    const counts = countFor(inv, uuid);
    await w2.stop();
    const dump = await dumpPrefix(env.redis, env.prefix);
    const leaked = leaks(
      [
        { name: 'worker-1 output', text: w1.out },
        { name: 'worker-2 output', text: w2.out },
        { name: 'web logs', text: env.logs.text() },
        { name: `redis ${env.prefix}`, text: dump.text },
      ],
      [...configSecrets(env.config), ...tokens],
    );
    return {
      ...c,
      uuid,
      killed,
      final,
      counts,
      gateways: inv.gateways.map((g) => g.name),
      provisionActions: env.heroku.actionCount(uuid, 'provision'),
      deprovisionActions: env.heroku.actionCount(uuid, 'deprovision'),
      recoveryMs,
      truthOk,
      leaked,
      followTo,
      served,
    };
  } finally {
    for (const child of children) await child.stop(3_000);
    await env.close();
  }
}

export function describeCrash(r: CrashResult) {
  return {
    anypoint: `${fmtCounts(r.counts)}, gateways ${r.gateways.length}`,
    outcome: `${r.final.state} on ${r.final.placement?.target ?? '-'}; Heroku provision ${r.provisionActions}, deprovision ${r.deprovisionActions}${r.final.failureReason ? `; reason: ${r.final.failureReason.slice(0, 80)}` : ''}`,
    timing: `recovered ${r.recoveryMs} ms after the kill`,
  };
}
