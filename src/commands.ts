import type { AddonRecord } from './domain/addon';
import { newRecord, pendingWork } from './domain/addon';
import { readOptions } from './domain/options';
import { logInputUrlOf } from './domain/traffic';
import { targetForPlan, type TargetSettings } from './domain/targets';
import { findPlan, FREE_PLAN, isFreePlan, PLAN_SLUGS } from './domain/plans';
import { isSupportedRegion, SUPPORTED_REGIONS } from './domain/regions';
import type { UpstreamVerdict } from './clients/dns';
import type { JobQueues } from './jobs';
import type { Logger } from './logger';
import type { AddonStore } from './store/addons';
import { isRedisUnavailable } from './store/redis';
import type { SecretBox } from './secrets';
import type { PlanChangeBody, ProvisionBody } from './http/schemas';

/**
 * What Heroku's three calls do: they touch the add-on record and the queue, nothing remote. Each
 * returns a typed outcome; the routes map outcomes to statuses. Redis being unreachable is the one
 * failure with its own type (`DataStoreUnavailable`, a 503 Heroku retries); anything else is a bug
 * and reaches the error handler as a 500, logged with its cause.
 */

export interface CommandDeps {
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  /** Which target each plan runs on (ANYPOINT_DEFAULT_TARGET, PLAN_TARGETS). */
  targets: TargetSettings;
  now?: () => Date;
  /** The `--upstream` check: the URL's rules, then what its host resolves to (src/clients/dns.ts). */
  checkUpstream: (raw: unknown) => Promise<UpstreamVerdict>;
  /** MAX_FREE_ADDONS: live add-ons of the free plan, overall. */
  maxFreeAddons?: number;
  logger?: Logger;
}

export class DataStoreUnavailable extends Error {
  override name = 'DataStoreUnavailable';
  constructor(override readonly cause: unknown) {
    super('the add-on service cannot reach its data store; Heroku will retry');
  }
}

/** Runs `fn`; a Redis that cannot be reached becomes `DataStoreUnavailable`, anything else passes through. */
export async function storing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isRedisUnavailable(err)) throw new DataStoreUnavailable(err);
    throw err;
  }
}

export type ProvisionOutcome =
  | { outcome: 'accepted'; id: string; message: string }
  | { outcome: 'refused'; message: string }
  | { outcome: 'gone'; message: string }
  | { outcome: 'conflict'; message: string };

export function provisionMessage(uuid: string): string {
  return `Provisioning ${uuid}: your Anypoint API gateway is being set up; ANYPOINT_API_GATEWAY_URL appears when its proxy runs.`;
}

export async function provision(deps: CommandDeps, body: ProvisionBody): Promise<ProvisionOutcome> {
  const plan = findPlan(body.plan);
  if (!plan) return { outcome: 'refused', message: `unknown plan '${body.plan}': valid plans are ${PLAN_SLUGS.join(', ')}` };
  if (!isSupportedRegion(body.region)) {
    return { outcome: 'refused', message: `region '${body.region}' is not supported: use one of ${SUPPORTED_REGIONS.join(', ')}` };
  }
  const read = readOptions(body.options);
  if (!read.ok) return { outcome: 'refused', message: read.message };
  const options = read.options;
  const uuid = body.uuid.toLowerCase();
  if (options.upstream !== undefined) {
    const checked = await deps.checkUpstream(options.upstream);
    if (!checked.ok) return { outcome: 'refused', message: `option --upstream: ${checked.message}` };
    if (checked.warning) deps.logger?.warn({ addon: uuid, warning: checked.warning }, 'upstream accepted without a DNS check');
  }
  const freeFull = {
    outcome: 'refused',
    message: `the free plan '${FREE_PLAN}' is full right now (${deps.maxFreeAddons} free gateways are in use); choose a paid plan, or try again later`,
  } as const;
  // the free plan at its cap: refuse before anything is written or queued (a repeat of an accepted request still gets its 202)
  const freeLimit = isFreePlan(plan.slug) ? deps.maxFreeAddons : undefined;
  if (freeLimit !== undefined && (await storing(() => deps.store.countLive('free'))) >= freeLimit && !(await storing(() => deps.store.exists(uuid)))) {
    return freeFull;
  }
  const now = (deps.now ?? (() => new Date()))();
  const grant = deps.box.sealField(uuid, 'oauthGrantSealed', { code: body.oauth_grant.code, expires_at: body.oauth_grant.expires_at });
  const rec = newRecord({
    uuid,
    plan: plan.slug,
    target: targetForPlan(plan.slug, deps.targets),
    region: body.region,
    name: body.name ?? uuid,
    callbackUrl: body.callback_url,
    options,
    oauthGrantSealed: grant,
    // where the gateway's traffic goes for `heroku logs`; the URL carries credentials (none: Fir apps, older add-ons)
    logInputUrlSealed: logInputUrlOf(body.log_input_url) && deps.box.sealField(uuid, 'logInputUrlSealed', logInputUrlOf(body.log_input_url)),
    now,
  });

  // One round trip: the record write and the job add go out together on one connection, the record
  // first, so no job ever runs without its record. When a record already exists the job is a
  // no-op by construction (its workflow does not apply to that record, or its id exists).
  // (the free plan filled up between the count and the write: the create refuses it, the job finds no record and ends)
  const [{ record, full }] = await storing(() => Promise.all([deps.store.create(rec, { freeLimit }), deps.jobs.enqueue({ workflow: 'provision', id: uuid })]));
  if (full) return freeFull;
  if (record.state === 'deprovisioned' || record.state === 'deprovisioning' || record.state === 'failed') {
    return { outcome: 'gone', message: `add-on ${uuid} was removed and cannot be provisioned again; create a new add-on` };
  }
  if (record.plan !== plan.slug && record.provisionPlan !== plan.slug) {
    return { outcome: 'conflict', message: `add-on ${uuid} already exists with plan '${record.plan}'; change plans with a plan change` };
  }
  return { outcome: 'accepted', id: uuid, message: provisionMessage(uuid) };
}

export type PlanChangeOutcome =
  | { outcome: 'changed' | 'unchanged'; message: string }
  | { outcome: 'not-found' | 'gone' | 'refused'; message: string };

const removed = (rec: AddonRecord) => rec.state === 'deprovisioned' || rec.state === 'deprovisioning';

export async function changePlan(deps: CommandDeps, uuid: string, body: PlanChangeBody): Promise<PlanChangeOutcome> {
  const id = uuid.toLowerCase();
  const plan = findPlan(body.plan);
  return storing(async () => {
    const current = await deps.store.get(id);
    if (!current) return { outcome: 'not-found', message: `no add-on ${id}` };
    if (removed(current)) return { outcome: 'gone', message: `add-on ${id} was removed` };
    if (!plan) return { outcome: 'refused', message: `unknown plan '${body.plan}': valid plans are ${PLAN_SLUGS.join(', ')}` };
    if (current.state === 'failed') return { outcome: 'refused', message: `add-on ${id} failed to provision; remove it and create it again` };
    if (current.plan === plan.slug) {
      // a retried PUT whose first try recorded the plan but lost the job: queue it again (same id)
      const work = pendingWork(current);
      if (work && work.workflow !== 'provision') await deps.jobs.enqueue({ workflow: work.workflow, id, key: work.key });
      return { outcome: 'unchanged', message: `already on plan ${plan.slug}` };
    }
    const target = targetForPlan(plan.slug, deps.targets);
    let wasRemoved = false;
    const { record } = await deps.store.update(
      id,
      (r) => {
        if (r.state !== 'provisioning' && r.state !== 'provisioned') {
          wasRemoved = true;
          return null;
        }
        return r.plan === plan.slug ? null : { ...r, plan: plan.slug, target };
      },
      { from: current },
    );
    if (wasRemoved) return { outcome: 'gone', message: `add-on ${id} was removed` };
    // within a target: the policy rewritten (seconds); across targets: a move (minutes)
    const work = pendingWork(record);
    if (work && work.workflow !== 'provision') await deps.jobs.enqueue({ workflow: work.workflow, id, key: work.key });
    const moving = record.placement && record.placement.target !== target;
    return {
      outcome: 'changed',
      message: moving
        ? `plan changed to ${plan.slug}; the add-on moves to its new gateway (the URL in ANYPOINT_API_GATEWAY_URL changes once it serves)`
        : `plan changed to ${plan.slug}; the new rate limit applies within a minute`,
    };
  });
}

export type DeprovisionOutcome = { outcome: 'accepted' | 'already-removed' } | { outcome: 'not-found'; message: string };

export async function deprovision(deps: CommandDeps, uuid: string): Promise<DeprovisionOutcome> {
  const id = uuid.toLowerCase();
  const now = (deps.now ?? (() => new Date()))();
  return storing(async () => {
    const current = await deps.store.get(id);
    if (!current) return { outcome: 'not-found', message: `no add-on ${id}` };
    if (current.state === 'deprovisioned') return { outcome: 'already-removed' };
    const { record } = await deps.store.update(
      id,
      (r) => (removed(r) ? null : { ...r, state: 'deprovisioning', deprovisionRequestedAt: now.toISOString() }),
      { from: current },
    );
    if (record.state === 'deprovisioning') await deps.jobs.enqueue({ workflow: 'deprovision', id });
    return { outcome: 'accepted' };
  });
}

/** SSO needs only to know the add-on exists (a tombstone counts: its page says it was removed). */
export async function addonExists(deps: Pick<CommandDeps, 'store'>, uuid: string): Promise<boolean> {
  return storing(() => deps.store.exists(uuid.toLowerCase()));
}

export async function findAddon(deps: Pick<CommandDeps, 'store'>, uuid: string): Promise<AddonRecord | null> {
  return storing(() => deps.store.get(uuid.toLowerCase()));
}
