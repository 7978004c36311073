import type { AddonRecord } from './domain/addon';
import { newRecord, TransitionError } from './domain/addon';
import { findPlan, PLAN_SLUGS } from './domain/plans';
import { isSupportedRegion, SUPPORTED_REGIONS } from './domain/regions';
import { validateUpstream } from './domain/upstream';
import { conflict, gone, HttpError, notFound, unavailable, unprocessable } from './http/errors';
import type { PlanChangeBody, ProvisionBody } from './http/schemas';
import type { AddonQueues } from './queue';
import type { AddonStore } from './store/addons';
import { RecordNotFoundError } from './store/addons';
import type { SecretBox } from './secrets';

/**
 * What Heroku's three calls do: they touch the add-on record and the queue, nothing remote.
 * Routes call these and map the result; the workers do the real work.
 */

export interface CommandDeps {
  store: AddonStore;
  queues: AddonQueues;
  box: SecretBox;
  now?: () => Date;
  /** Outside production, an http://127.0.0.1 upstream is accepted (local stand-ins). */
  allowLoopbackUpstream?: boolean;
}

export interface CommandResult<T = unknown> {
  status: number;
  body?: T;
}

/** Turns a Redis failure into a 503 so Heroku retries; anything already an HttpError passes through. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof RecordNotFoundError) throw notFound(err.message);
    if (err instanceof TransitionError) throw conflict(err.message);
    throw unavailable('the add-on service cannot reach its data store; Heroku will retry');
  }
}

export function provisionMessage(uuid: string): string {
  return `Provisioning ${uuid}: your Anypoint API gateway is being set up; ANYPOINT_API_GATEWAY_URL appears when its proxy runs.`;
}

export async function provision(deps: CommandDeps, body: ProvisionBody): Promise<CommandResult<{ id: string; message: string }>> {
  const plan = findPlan(body.plan);
  if (!plan) throw unprocessable(`unknown plan '${body.plan}': valid plans are ${PLAN_SLUGS.join(', ')}`);
  if (!isSupportedRegion(body.region)) {
    throw unprocessable(`region '${body.region}' is not supported: use one of ${SUPPORTED_REGIONS.join(', ')}`);
  }
  const options = body.options ?? {};
  if (options.upstream !== undefined) {
    const checked = validateUpstream(options.upstream, { allowLoopbackHttp: deps.allowLoopbackUpstream });
    if (!checked.ok) throw unprocessable(`option --upstream: ${checked.message}`);
  }
  const uuid = body.uuid.toLowerCase();
  const now = (deps.now ?? (() => new Date()))();
  const grant = body.oauth_grant ? deps.box.sealJson({ code: body.oauth_grant.code, expires_at: body.oauth_grant.expires_at }) : undefined;
  const rec = newRecord({
    uuid,
    plan: plan.slug,
    region: body.region,
    name: body.name ?? uuid,
    callbackUrl: body.callback_url,
    options,
    oauthGrantSealed: grant,
    now,
  });

  return guarded(async () => {
    const { record } = await deps.store.create(rec);
    if (record.state === 'deprovisioned' || record.state === 'deprovisioning' || record.state === 'failed') {
      throw gone(`add-on ${uuid} was removed and cannot be provisioned again; create a new add-on`);
    }
    if (record.plan !== plan.slug && record.provisionPlan !== plan.slug) {
      throw conflict(`add-on ${uuid} already exists with plan '${record.plan}'; change plans with a plan change`);
    }
    if (record.state === 'provisioning') await deps.queues.enqueueProvision(uuid);
    return { status: 202, body: { id: uuid, message: provisionMessage(uuid) } };
  });
}

function loadOr404(rec: AddonRecord | null, uuid: string): AddonRecord {
  if (!rec) throw notFound(`no add-on ${uuid}`);
  return rec;
}

export async function changePlan(deps: CommandDeps, uuid: string, body: PlanChangeBody): Promise<CommandResult<{ message: string }>> {
  const id = uuid.toLowerCase();
  const plan = findPlan(body.plan);
  return guarded(async () => {
    const current = loadOr404(await deps.store.get(id), id);
    if (current.state === 'deprovisioned' || current.state === 'deprovisioning') throw gone(`add-on ${id} was removed`);
    if (!plan) throw unprocessable(`unknown plan '${body.plan}': valid plans are ${PLAN_SLUGS.join(', ')}`);
    if (current.state === 'failed') throw unprocessable(`add-on ${id} failed to provision; remove it and create it again`);
    if (current.plan === plan.slug) {
      // a retried PUT whose first try recorded the plan but lost the job: queue it again (same id)
      if (current.resources.policyId && current.resources.policyPlan !== plan.slug) await deps.queues.enqueuePlanChange(id, plan.slug);
      return { status: 200, body: { message: `already on plan ${plan.slug}` } };
    }

    const { record } = await deps.store.update(id, (r) => {
      if (r.state !== 'provisioning' && r.state !== 'provisioned') throw gone(`add-on ${id} was removed`);
      if (r.plan === plan.slug) return null;
      return { ...r, plan: plan.slug };
    });
    await deps.queues.enqueuePlanChange(id, record.plan);
    return { status: 200, body: { message: `plan changed to ${plan.slug}; the new rate limit applies within a minute` } };
  });
}

export async function deprovision(deps: CommandDeps, uuid: string): Promise<CommandResult> {
  const id = uuid.toLowerCase();
  const now = (deps.now ?? (() => new Date()))();
  return guarded(async () => {
    const current = loadOr404(await deps.store.get(id), id);
    if (current.state === 'deprovisioned') return { status: 204 };
    const { record } = await deps.store.update(id, (r) => {
      if (r.state === 'deprovisioned' || r.state === 'deprovisioning') return null;
      return { ...r, state: 'deprovisioning', deprovisionRequestedAt: now.toISOString() };
    });
    if (record.state === 'deprovisioning') await deps.queues.enqueueDeprovision(id);
    return { status: 204 };
  });
}

/** SSO needs only to know the add-on exists (a tombstone counts: its page says it was removed). */
export async function addonExists(deps: Pick<CommandDeps, 'store'>, uuid: string): Promise<boolean> {
  return guarded(() => deps.store.exists(uuid.toLowerCase()));
}

export async function findAddon(deps: Pick<CommandDeps, 'store'>, uuid: string): Promise<AddonRecord | null> {
  return guarded(() => deps.store.get(uuid.toLowerCase()));
}
