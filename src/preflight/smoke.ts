import type { Config } from '../config';
import { isRetryable } from '../clients/errors';
import { HttpClient, realSleep, type ResponseInfo } from '../clients/http';
import type { AddonRecord } from '../domain/addon';
import { ASSET_VERSION, assetIdFor } from '../domain/naming';
import { FREE_PLAN } from '../domain/plans';
import type { Region } from '../domain/regions';
import { proxyAppNameFor } from '../domain/targets';
import { stepsOf, Wait, type Step } from '../engine';
import type { GatewayRecord } from '../store/gateways';
import { TARGET_STEPS } from '../targets';
import type { AddonRecordStore, GatewayPool, WorkflowDeps } from '../workflows/deps';
import { GATEWAY, GATEWAY_REMOVE } from '../workflows/gateway';
import { choosePlacement, createAsset } from '../workflows/provision';
import { TEARDOWN } from '../workflows/teardown';
import { CheckFailure, failureOf, type Report } from './report';

/**
 * `--smoke`: one throwaway API made the way a provision makes it, on the default target (the
 * provision's own steps: the Exchange asset, the placement, then the target's steps: on omni a
 * gateway of its own, made and removed by the gateway workflow's steps, with the API instance, the
 * rate limit and the deployment on it; on ch2 a dedicated proxy), waited for until it serves, called
 * once, then removed with the teardown's steps, whether a step failed or not.
 *
 * Every name derives from one fixed id (SMOKE_UUID) and, for its gateway, the prefix `aag-
 * preflight-`: a run killed midway leaves pieces that the next run finds by those names and removes
 * before it starts, and every run ends by looking again and saying what, if anything, is left. One
 * smoke at a time per organisation (a second would remove the first one's pieces).
 */

export const SMOKE_UUID = '00000000-0000-4000-8000-00005a0ce000';
export const SMOKE_GATEWAY_PREFIX = 'aag-preflight-';
export const SMOKE_NAME = 'aag-preflight-smoke';

export interface SmokeOptions {
  region: Region;
  /** What the API forwards to; default PUBLIC_URL (the call then asks for /healthz). */
  upstream?: string;
  /** Stops the run at the next step or wait (a signal); the removal still runs. */
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  /** Sees the call through the gateway (the preflight prints it like every other call). */
  onResponse?: (info: ResponseInfo) => void;
}

export const SMOKE_CHECK = { run: 'smoke: a throwaway API', cleanup: 'smoke: nothing left behind' } as const;

/** What the smoke may leave on the platform, by the names it uses: asset, instances, CloudHub 2.0 proxy, gateways. */
export async function smokeLeftovers(anypoint: WorkflowDeps['anypoint']): Promise<string[]> {
  const { orgId } = await anypoint.context();
  const assetId = assetIdFor(SMOKE_UUID);
  const out: string[] = [];
  for (const api of await anypoint.apiManager.listApis({ assetId, groupId: orgId })) out.push(`API instance ${api.id}`);
  const app = await anypoint.amc.findByName(proxyAppNameFor(SMOKE_UUID));
  if (app) out.push(`CloudHub 2.0 application ${app.name}`);
  for (const g of await anypoint.gateways.list()) if (g.name.startsWith(SMOKE_GATEWAY_PREFIX)) out.push(`gateway ${g.name}`);
  if (await anypoint.exchange.getAsset(orgId, assetId, ASSET_VERSION)) out.push(`Exchange asset ${assetId}`);
  return out;
}

/** The smoke's gateway slot: a pool of one gateway that only the smoke uses. */
function smokePool(holder: { gw: GatewayRecord }): GatewayPool {
  return {
    reserve: async () => ({ slot: holder.gw.slot, created: false }),
    get: async (slot) => (slot === holder.gw.slot ? holder.gw : null),
    release: async () => 0,
  };
}

/** The smoke's add-on record, kept in memory: a step that writes the record writes it here. */
function memoryStore(holder: { rec: AddonRecord }): AddonRecordStore {
  return {
    update: async (_uuid, fn) => {
      const next = fn(holder.rec);
      if (next) holder.rec = next;
      return { record: holder.rec, changed: !!next };
    },
  };
}

export function smokeRecord(cfg: Pick<Config, 'ANYPOINT_DEFAULT_TARGET'>, region: Region, upstreamUrl: string, now = new Date()): AddonRecord {
  const at = now.toISOString();
  return {
    uuid: SMOKE_UUID,
    state: 'provisioning',
    plan: FREE_PLAN,
    region,
    name: SMOKE_NAME,
    options: {},
    createdAt: at,
    updatedAt: at,
    resources: { upstreamUrl },
    target: cfg.ANYPOINT_DEFAULT_TARGET,
    timeline: [],
    rev: 0,
  };
}

export function smokeGatewayRecord(region: Region, now = new Date()): GatewayRecord {
  const at = now.toISOString();
  return { slot: `preflight-${region}`, region, n: 0, name: `${SMOKE_GATEWAY_PREFIX}${region}`, state: 'creating', createdAt: at, updatedAt: at, timeline: [], rev: 0 };
}

interface Runner {
  deps: WorkflowDeps;
  report: Report;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** A wait that a stop ends at once. */
async function pause(r: Runner, ms: number): Promise<void> {
  const signal = r.signal;
  if (!signal) return r.sleep(ms);
  let onAbort = () => undefined as void;
  const stopped = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([r.sleep(ms), stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function interrupted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CheckFailure('interrupted', 'the pieces made so far are removed now; run the smoke again to finish');
}

/**
 * Runs steps on an in-memory record as the engine would (the step's change applied; a `Wait` waited
 * out here, the step's own deadline deciding when it fails; a retryable error tried again a few
 * times), printing each step and its time.
 */
async function runSteps<R>(steps: readonly Step<R, WorkflowDeps>[], start: R, r: Runner): Promise<R> {
  let rec = start;
  for (const step of steps) {
    const t0 = Date.now();
    for (let tries = 1; ; tries++) {
      interrupted(r.signal);
      try {
        const result = await step.run({ deps: r.deps, rec, now: r.deps.now(), workflow: 'preflight-smoke' });
        if (result?.change) rec = result.change(rec);
        r.report.detail(`${step.label}: done in ${Date.now() - t0} ms${result?.note ? ` (${result.note})` : ''}`);
        break;
      } catch (err) {
        if (err instanceof Wait) {
          await pause(r, err.ms);
          continue;
        }
        if (isRetryable(err) && tries < 5) {
          await pause(r, Math.min(30_000, 500 * 2 ** tries));
          continue;
        }
        const f = failureOf(err);
        throw new CheckFailure(`${step.label}: ${f.why}`, f.fix);
      }
    }
  }
  return rec;
}

/** Removes what the smoke's names find; returns what could not be removed (each with why). */
async function removeAll(r: Runner, rec: AddonRecord, gw: GatewayRecord): Promise<string[]> {
  const left: string[] = [];
  // both targets' pieces are looked up by name, whatever target the run (or a killed one) used
  const region = gw.region;
  const sweep: AddonRecord = {
    ...rec,
    placement: rec.placement ?? { target: 'ch2', region },
    next: { target: rec.placement?.target === 'ch2' ? 'omni' : 'ch2', region },
  };
  const noAbort = { ...r, signal: undefined };
  let cur = sweep;
  for (const step of TEARDOWN) {
    try {
      cur = await runSteps([step], cur, noAbort);
    } catch (err) {
      left.push(failureOf(err).why);
    }
  }
  const gateways = (await r.deps.anypoint.gateways.list().catch(() => [])).filter((g) => g.name.startsWith(SMOKE_GATEWAY_PREFIX));
  if (gw.gatewayId && !gateways.some((g) => g.id === gw.gatewayId)) gateways.push({ id: gw.gatewayId, name: gw.name });
  for (const g of gateways) {
    const one: GatewayRecord = { ...smokeGatewayRecord(region), name: g.name, gatewayId: g.id, state: 'removing' };
    // an API being undeployed may hold the gateway a little longer (409): tried again for a while
    for (let tries = 1; ; tries++) {
      try {
        await runSteps(stepsOf(GATEWAY_REMOVE.steps, one), one, noAbort);
        break;
      } catch (err) {
        const f = failureOf(err);
        if (/\b409\b/.test(f.why) && tries < 12) {
          await r.sleep(r.deps.config.DEPLOY_POLL_MS);
          continue;
        }
        left.push(`gateway ${g.name}: ${f.why}`);
        break;
      }
    }
  }
  return left;
}

/** What the smoke needs of a worker's dependencies; its record store and gateway pool are its own. */
export type SmokeDeps = Omit<WorkflowDeps, 'store' | 'gateways'>;

export async function runSmoke(report: Report, deps: SmokeDeps, opts: SmokeOptions): Promise<boolean> {
  const cfg = deps.config;
  const sleep = opts.sleep ?? realSleep;
  const upstream = opts.upstream ?? cfg.PUBLIC_URL;
  const holder = { rec: smokeRecord(cfg, opts.region, upstream ?? ''), gw: smokeGatewayRecord(opts.region) };
  const smokeDeps: WorkflowDeps = { ...deps, store: memoryStore(holder), gateways: smokePool(holder) };
  const r: Runner = { deps: smokeDeps, report, sleep, signal: opts.signal };

  const ran = await report.check(SMOKE_CHECK.run, async () => {
    if (!upstream) throw new CheckFailure('no upstream to send the call to', 'set PUBLIC_URL, or give --upstream https://<an app that answers 2xx at />');
    const started = Date.now();
    report.detail('one throwaway API, made the way a provision makes it; each call and step with its time:');
    const before = await smokeLeftovers(smokeDeps.anypoint);
    if (before.length) {
      report.detail(`leftovers of an earlier smoke: ${before.join(', ')}; removing them first`);
      const still = await removeAll(r, holder.rec, holder.gw);
      if (still.length) throw new CheckFailure(`an earlier smoke left pieces that cannot be removed: ${still.join('; ')}`, 'remove them by hand (Exchange, API Manager, Runtime Manager), then run again');
    }
    const target = cfg.ANYPOINT_DEFAULT_TARGET;
    report.detail(`target ${target}, region ${opts.region}, upstream ${upstream}`);
    if (target === 'omni') {
      holder.gw = await runSteps(stepsOf(GATEWAY.steps, holder.gw), holder.gw, r);
      holder.gw = GATEWAY.succeeded(holder.gw, { startedAt: holder.gw.createdAt, done: [] }, new Date());
    }
    holder.rec = await runSteps([createAsset, choosePlacement, ...TARGET_STEPS[target].place('placement')], holder.rec, r);
    const proxyUrl = holder.rec.placement?.proxyUrl;
    if (!proxyUrl) throw new CheckFailure('the API went live without a proxy URL', 'report it with these lines');
    interrupted(r.signal);
    const path = opts.upstream ? '' : 'healthz';
    const client = new HttpClient({ api: 'smoke', baseURL: proxyUrl, timeoutMs: cfg.HTTP_TIMEOUT_MS, maxTries: 3, backoffBaseMs: 500, sleep, onResponse: opts.onResponse });
    const t0 = Date.now();
    const res = await client.get(path, { okStatuses: [400, 401, 403, 404, 429, 500, 502, 503, 504], op: 'smoke.call' });
    if (res.status < 200 || res.status >= 300) {
      throw new CheckFailure(`${proxyUrl}${path} answered ${res.status} through the gateway`, 'the gateway runs but does not reach the upstream: check the upstream URL and that it answers 2xx');
    }
    return `${proxyUrl}${path} answered ${res.status} in ${Date.now() - t0} ms; ${Math.round((Date.now() - started) / 100) / 10} s in all`;
  });

  await report.check(SMOKE_CHECK.cleanup, async () => {
    const t0 = Date.now();
    const failed = await removeAll(r, holder.rec, holder.gw);
    const left = await smokeLeftovers(smokeDeps.anypoint);
    if (failed.length || left.length) {
      throw new CheckFailure(
        `still there: ${left.join(', ') || '(none found by name)'}${failed.length ? `; ${failed.join('; ')}` : ''}`,
        'run the smoke again (it removes what it finds first), or remove them by hand in Exchange, API Manager and Runtime Manager',
      );
    }
    return `removed in ${Date.now() - t0} ms; the names it uses find nothing`;
  });
  return ran && report.passed(SMOKE_CHECK.cleanup);
}
