/**
 * One crash case: a real worker process is kill -9'd at a checkpoint (`<step>:before` or
 * `<step>:after`), a fresh one is started, and the add-on must end where it should with exact
 * counts in the Anypoint stand-in. Each case has its own stand-ins and key prefix.
 */
import os from 'node:os';
import path from 'node:path';
import type { AddonRecord } from '../../../src/domain/addon';
import { DEPROVISION, PLAN_CHANGE, PROVISION } from '../../../src/workflows';
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

const points = (workflow: string, steps: readonly { name: string }[]) => steps.flatMap((s) => [`${workflow}.${s.name}:before`, `${workflow}.${s.name}:after`]);
export const PROVISION_POINTS = points(PROVISION.name, PROVISION.steps);
export const TEARDOWN_POINTS = points(DEPROVISION.name, DEPROVISION.steps);
export const PLAN_CHANGE_POINTS = points(PLAN_CHANGE.name, PLAN_CHANGE.steps);
/** Provision's compensation, reached by a deployment refused for good (403). */
export const COMPENSATION_POINTS = points(PROVISION.name, PROVISION.compensation ?? []);
export const ALL_POINTS = [...PROVISION_POINTS, ...COMPENSATION_POINTS, ...TEARDOWN_POINTS, ...PLAN_CHANGE_POINTS];

/** The plan a plan-change crash case moves to (from 'test'). */
export const NEW_PLAN = 'basic';

/** The one point a crash cannot be recovered from: the single-use OAuth grant code is spent. */
export const UNRECOVERABLE = 'provision.exchangeGrant:after';

export interface CrashResult {
  point: string;
  uuid: string;
  killed: boolean;
  final: AddonRecord;
  counts: Counts;
  provisionActions: number;
  deprovisionActions: number;
  recoveryMs: number;
  truthOk: boolean | null;
  leaked: string[];
}

export async function crashCase(point: string): Promise<CrashResult> {
  const [workflow, step] = point.split(':')[0].split('.');
  const isTeardown = workflow === DEPROVISION.name;
  const isPlanChange = workflow === PLAN_CHANGE.name;
  const isCompensation = COMPENSATION_POINTS.includes(point);
  const env = await startEnv(`crash-${step.toLowerCase()}-${point.endsWith('after') ? 'a' : 'b'}`, { deployDelayMs: 300 });
  const marker = path.join(os.tmpdir(), `aag-crash-${env.prefix}`);
  const extra = { CRASH_AT: point, CRASH_MARKER: marker };
  const children: Child[] = [];
  try {
    if (isCompensation) env.anypoint.setFaults([{ path: '/deployments$', method: 'POST', status: 403 }]);
    const w1 = await spawnWorker(env, extra, 'worker-1');
    children.push(w1);
    const { uuid, status } = await env.provision();
    if (status !== 202) throw new Error(`provision answered ${status}`);
    let truthOk: boolean | null = null;
    const tokens = [];
    if (isTeardown || isPlanChange) {
      const rec = await env.waitFor(uuid, (r) => r.state === 'provisioned', 20_000, `provisioned before the ${workflow}`);
      truthOk = truthOf(env, rec).ok;
      tokens.push(...(await herokuTokensOf(env, [uuid])));
      const answered = isTeardown ? await env.deprovision(uuid) : await env.changePlan(uuid, NEW_PLAN);
      if (answered !== (isTeardown ? 204 : 200)) throw new Error(`${workflow} answered ${answered}`);
    }
    const exit = await waitUntil(async () => (w1.running ? undefined : w1.exited), 20_000, `the worker to die at ${point}`);
    const killed = exit.signal === 'SIGKILL';
    const w2 = await spawnWorker(env, extra, 'worker-2');
    children.push(w2);
    const done = isTeardown
      ? (r: AddonRecord) => r.state === 'deprovisioned'
      : isPlanChange
        ? (r: AddonRecord) => r.state === 'provisioned' && r.resources.policyPlan === NEW_PLAN && !r.runs
        : isCompensation
          ? (r: AddonRecord) => r.state === 'failed'
          : (r: AddonRecord) => r.state === 'provisioned' || r.state === 'failed';
    const final = await env.waitFor(uuid, done, 30_000, `a final state after the crash at ${point}`);
    const recoveryMs = Date.parse(final.updatedAt) - w1.exitedAt;
    if (!isTeardown && !isPlanChange && final.state === 'provisioned') {
      truthOk = truthOf(env, final).ok;
      tokens.push(...(await herokuTokensOf(env, [uuid])));
    }
    // let the second worker settle (a duplicate delivery would show up as a second resource)
    await new Promise((r) => setTimeout(r, 300));
    const counts = countFor(env.anypoint.inspect(), uuid);
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
      point,
      uuid,
      killed,
      final,
      counts,
      provisionActions: env.heroku.actionCount(uuid, 'provision'),
      deprovisionActions: env.heroku.actionCount(uuid, 'deprovision'),
      recoveryMs,
      truthOk,
      leaked,
    };
  } finally {
    for (const c of children) await c.stop(3_000);
    await env.close();
  }
}

export function describeCrash(r: CrashResult) {
  return {
    anypoint: fmtCounts(r.counts),
    outcome: `${r.final.state}; Heroku provision ${r.provisionActions}, deprovision ${r.deprovisionActions}${r.final.failureReason ? `; reason: ${r.final.failureReason.slice(0, 80)}` : ''}`,
    timing: `recovered ${r.recoveryMs} ms after the kill`,
  };
}
