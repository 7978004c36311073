import type { AddonRecord, AddonResources, ProvisionStep } from '../domain/addon';
import { ASSET_VERSION, assetIdFor, cloudHubNameFor } from '../domain/naming';
import { findPlan, rateLimitConfiguration } from '../domain/plans';
import { upstreamForHost, validateUpstream } from '../domain/upstream';
import { ConflictError, isPermanent, isUpstreamError } from '../clients/errors';
import { scrub } from '../logger';
import { applicationHost, applicationReadiness, applicationUrl, RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { pickAppHost } from '../clients/heroku';
import { type WorkflowDeps, nowOf, platformFor, record } from './deps';
import { PermanentFailure, Wait, describeError } from './outcomes';
import { CLOUDHUB_NAME_ATTEMPTS, teardown } from './teardown';

/**
 * Provision, as named steps. Each step: look up → create only if absent → record the remote id →
 * move on. A step never assumes it runs once. The record is re-read before every step, so a DELETE
 * that arrives meanwhile stops provisioning at the next step.
 */

type StepResult = { patch: Partial<AddonResources>; extra?: Partial<AddonRecord>; skipped?: boolean };
type Step = (deps: WorkflowDeps, rec: AddonRecord) => Promise<StepResult>;

const done = (patch: Partial<AddonResources> = {}, extra?: Partial<AddonRecord>): StepResult => ({ patch, extra });
const skip: StepResult = { patch: {}, skipped: true };

/** Upstream 4xx (other than 404/409/429, handled where they mean something) end the add-on. */
function permanentFrom(err: unknown, what: string): never {
  if (isPermanent(err)) {
    const status = isUpstreamError(err) && err.status ? ` (${err.status})` : '';
    throw new PermanentFailure(`${what} was refused${status}: ${describeError(err)}`);
  }
  throw err;
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PermanentFailure || err instanceof Wait) throw err;
    return permanentFrom(err, what);
  }
}

const exchangeGrant: Step = async (deps, rec) => {
  if (rec.herokuTokensSealed) return skip;
  if (!rec.oauthGrantSealed) throw new PermanentFailure('Heroku sent no OAuth grant, so the add-on cannot report back to Heroku');
  const grant = deps.box.openJson<{ code: string }>(rec.oauthGrantSealed);
  const tokens = await attempt('the Heroku OAuth grant exchange', () =>
    deps.heroku.oauth.exchangeGrant(grant.code).catch((err: unknown) => {
      // an error body that echoed the code must not carry it into logs or the timeline
      if (err instanceof Error) err.message = scrub(err.message, [grant.code]);
      throw err;
    }),
  );
  return done({}, { herokuTokensSealed: deps.box.sealJson(tokens), oauthGrantSealed: undefined });
};

const findUpstream: Step = async (deps, rec) => {
  if (rec.resources.upstreamUrl) return skip;
  if (rec.options.upstream) {
    const checked = validateUpstream(rec.options.upstream, { allowLoopbackHttp: deps.config.NODE_ENV !== 'production' });
    if (!checked.ok) throw new PermanentFailure(`option --upstream ${checked.message}`);
    return done({ upstreamUrl: checked.url });
  }
  const platform = platformFor(deps, rec);
  const addon = await attempt('reading the add-on from Heroku', () => platform.getAddon(rec.uuid));
  if (!addon) throw new PermanentFailure('Heroku does not know this add-on any more');
  const domains = await attempt("reading the app's domains from Heroku", () => platform.getAppDomains(addon.app.id || addon.app.name));
  const host = pickAppHost(domains);
  if (!host) throw new PermanentFailure(`app ${addon.app.name} has no herokuapp.com domain; create the add-on with --upstream=https://…`);
  return done({ herokuAppId: addon.app.id, herokuAppName: addon.app.name, upstreamUrl: upstreamForHost(host) });
};

const createAsset: Step = async (deps, rec) => {
  if (rec.resources.assetId) return skip;
  const ctx = await attempt('reading the Anypoint organisation', () => deps.anypoint.context());
  const asset = { groupId: ctx.orgId, assetId: assetIdFor(rec.uuid), version: ASSET_VERSION };
  try {
    await deps.anypoint.exchange.createAsset({
      ...asset,
      name: `Heroku ${rec.name}`.slice(0, 256),
      description: `API of the Heroku add-on ${rec.uuid} (anypoint-api-gateway)`,
    });
  } catch (err) {
    if (!(err instanceof ConflictError)) permanentFrom(err, 'creating the Exchange asset');
    // 409: an earlier try made it (ours: the id derives from our uuid), or a soft delete locks the name
    const existing = await deps.anypoint.exchange.getAsset(asset.groupId, asset.assetId, asset.version);
    if (!existing) throw new PermanentFailure(`Exchange asset ${asset.assetId} is locked by an earlier soft delete`);
  }
  return done({ orgId: ctx.orgId, envId: ctx.envId, assetGroupId: asset.groupId, assetId: asset.assetId, assetVersion: asset.version });
};

const createApiInstance: Step = async (deps, rec) => {
  if (rec.resources.apiId) return skip;
  const r = rec.resources;
  const found = await attempt('looking up the API instance', () => deps.anypoint.apiManager.listApis({ assetId: r.assetId, groupId: r.assetGroupId }));
  const mine = found.find((a) => a.assetId === r.assetId);
  if (mine) return done({ apiId: mine.id });
  try {
    const created = await deps.anypoint.apiManager.createApi({
      groupId: r.assetGroupId as string,
      assetId: r.assetId as string,
      assetVersion: r.assetVersion as string,
      instanceLabel: rec.name.slice(0, 200),
      upstreamUri: r.upstreamUrl as string,
    });
    return done({ apiId: created.id });
  } catch (err) {
    if (!(err instanceof ConflictError)) permanentFrom(err, 'creating the API instance');
    // 409: made meanwhile (a concurrent or earlier try): adopt it
    const again = (await deps.anypoint.apiManager.listApis({ assetId: r.assetId, groupId: r.assetGroupId })).find((a) => a.assetId === r.assetId);
    if (!again) permanentFrom(err, 'creating the API instance');
    return done({ apiId: again.id });
  }
};

const applyPolicy: Step = async (deps, rec) => {
  const plan = findPlan(rec.plan);
  if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
  if (rec.resources.policyId && rec.resources.policyPlan === plan.slug) return skip;
  const apiId = rec.resources.apiId as string;
  const config = rateLimitConfiguration(plan);
  const existing = await attempt('reading policies', () => deps.anypoint.policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID));
  if (existing) {
    await attempt('updating the rate-limit policy', () => deps.anypoint.policies.updatePolicy(apiId, existing.id, config));
    return done({ policyId: existing.id, policyPlan: plan.slug });
  }
  try {
    const policy = await deps.anypoint.policies.applyRateLimit(apiId, config);
    return done({ policyId: policy.id, policyPlan: plan.slug });
  } catch (err) {
    if (!(err instanceof ConflictError)) permanentFrom(err, 'applying the rate-limit policy');
    const again = await deps.anypoint.policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
    if (!again) throw err; // retry later
    await deps.anypoint.policies.updatePolicy(apiId, again.id, config);
    return done({ policyId: again.id, policyPlan: plan.slug });
  }
};

const deployProxy: Step = async (deps, rec) => {
  if (rec.resources.cloudHubName && rec.resources.deploymentId) return skip;
  const apiId = rec.resources.apiId as string;
  const startedAt = nowOf(deps).toISOString();
  // name by name: ours from an earlier try that died before recording it (found in our
  // environment) → adopt it; free → deploy; taken elsewhere (or lost the race) → next suffix
  for (let i = 0; i < CLOUDHUB_NAME_ATTEMPTS; i++) {
    const name = cloudHubNameFor(rec.uuid, i);
    const app = await attempt('looking up the CloudHub application', () => deps.anypoint.cloudhub.getApplication(name));
    if (app) return done({ cloudHubName: name, deploymentId: `existing:${name}`, deployStartedAt: rec.resources.deployStartedAt ?? startedAt });
    const free = await attempt('checking the CloudHub name', () => deps.anypoint.cloudhub.isDomainAvailable(name));
    if (!free) {
      // taken — perhaps by our own earlier deploy whose application CloudHub does not show yet:
      // the API instance knows which application it was deployed to
      const deployed = (await attempt('reading the API instance', () => deps.anypoint.apiManager.getApi(apiId)))?.deployment?.applicationName;
      if (deployed === name) return done({ cloudHubName: name, deploymentId: `existing:${name}`, deployStartedAt: rec.resources.deployStartedAt ?? startedAt });
      continue;
    }
    try {
      const dep = await deps.anypoint.proxies.createDeployment(apiId, { applicationName: name });
      return done({ cloudHubName: name, deploymentId: dep.id, deployStartedAt: startedAt });
    } catch (err) {
      if (err instanceof ConflictError) continue; // taken between the check and the deploy
      permanentFrom(err, 'deploying the proxy');
    }
  }
  throw new PermanentFailure(`no free CloudHub application name for this add-on after ${CLOUDHUB_NAME_ATTEMPTS} tries`);
};

/** How long after a deploy an application CloudHub does not show yet still counts as deploying. */
const GONE_GRACE_MS = 2 * 60_000;

const waitUntilRunning: Step = async (deps, rec) => {
  if (rec.resources.proxyUrl) return skip;
  const name = rec.resources.cloudHubName as string;
  const app = await attempt('reading the CloudHub application', () => deps.anypoint.cloudhub.getApplication(name));
  const state = applicationReadiness(app);
  if (state === 'ready' && app) {
    return done({ fullDomain: applicationHost(app), proxyUrl: applicationUrl(app, deps.config.ANYPOINT_PROXY_SCHEME) });
  }
  if (state === 'failed') throw new PermanentFailure(`the proxy's CloudHub deployment failed (${app?.status ?? 'unknown status'})`);
  const started = Date.parse(rec.resources.deployStartedAt ?? rec.createdAt);
  const waited = nowOf(deps).getTime() - started;
  // right after a deploy CloudHub may not list the application yet; later, gone means gone
  if (state === 'gone' && waited > GONE_GRACE_MS) throw new PermanentFailure('the proxy application disappeared from CloudHub while deploying');
  if (waited >= deps.config.DEPLOY_DEADLINE_MS) {
    throw new PermanentFailure(`the proxy did not start within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
  }
  throw new Wait(Math.min(deps.config.DEPLOY_POLL_MS, deps.config.DEPLOY_DEADLINE_MS - waited), `CloudHub application ${name} is ${app?.status ?? 'deploying'}`);
};

const setConfigVars: Step = async (deps, rec) => {
  if (rec.resources.configVarsSet) return skip;
  const platform = platformFor(deps, rec);
  await attempt('setting the config vars on Heroku', () =>
    platform.setConfig(rec.uuid, {
      ANYPOINT_API_GATEWAY_URL: rec.resources.proxyUrl as string,
      ANYPOINT_API_GATEWAY_API_ID: String(rec.resources.apiId),
    }),
  );
  return done({ configVarsSet: true });
};

const reportProvisioned: Step = async (deps, rec) => {
  if (rec.resources.provisionReported) return done({}, { state: 'provisioned', provisionedAt: rec.provisionedAt ?? nowOf(deps).toISOString() });
  const platform = platformFor(deps, rec);
  // look up first: a try that died after telling Heroku must not tell it twice
  const addon = await attempt('reading the add-on from Heroku', () => platform.getAddon(rec.uuid));
  if (addon?.state !== 'provisioned') await attempt('reporting "provisioned" to Heroku', () => platform.provisionAction(rec.uuid));
  return done({ provisionReported: true }, { state: 'provisioned', provisionedAt: nowOf(deps).toISOString() });
};

export const PROVISION: readonly [ProvisionStep, Step][] = [
  ['exchangeGrant', exchangeGrant],
  ['findUpstream', findUpstream],
  ['createAsset', createAsset],
  ['createApiInstance', createApiInstance],
  ['applyPolicy', applyPolicy],
  ['deployProxy', deployProxy],
  ['waitUntilRunning', waitUntilRunning],
  ['setConfigVars', setConfigVars],
  ['reportProvisioned', reportProvisioned],
];

export type ProvisionOutcome = 'provisioned' | 'failed' | 'stopped' | 'absent';

/** Runs the steps that remain. Throws Wait (re-schedule) or a retryable error (BullMQ retries). */
export async function runProvision(deps: WorkflowDeps, uuid: string): Promise<ProvisionOutcome> {
  let rec = await deps.store.get(uuid);
  if (!rec) return 'absent';
  if (rec.state === 'provisioning' && rec.failureReason) return compensate(deps, uuid, rec.failureReason);
  if (rec.state !== 'provisioning') return rec.state === 'provisioned' ? 'provisioned' : rec.state === 'failed' ? 'failed' : 'stopped';

  for (const [name, step] of PROVISION) {
    // `rec` is the record as the last write left it (each done step writes, and so sees a DELETE)
    if (rec.state !== 'provisioning') {
      deps.hooks?.finished?.('provision', 'stopped', rec);
      return 'stopped';
    }
    const t0 = Date.now();
    let result: StepResult;
    try {
      await deps.hooks?.checkpoint?.(`${name}:before`);
      result = await step(deps, rec);
      await deps.hooks?.checkpoint?.(`${name}:after`);
    } catch (err) {
      if (err instanceof Wait) {
        deps.hooks?.step?.(name, 'waiting', Date.now() - t0);
        throw err;
      }
      if (err instanceof PermanentFailure) {
        deps.hooks?.step?.(name, 'failed', Date.now() - t0);
        await record(deps, uuid, {}, { step: name, status: 'failed', message: err.reason }, () => ({ failureReason: err.reason }));
        return compensate(deps, uuid, err.reason);
      }
      const age = nowOf(deps).getTime() - Date.parse(rec.createdAt);
      if (age >= deps.config.PROVISION_DEADLINE_MS) {
        const reason = `could not finish within ${Math.round(deps.config.PROVISION_DEADLINE_MS / 60_000)} minutes; last error: ${describeError(err)}`;
        deps.hooks?.step?.(name, 'failed', Date.now() - t0);
        await record(deps, uuid, {}, { step: name, status: 'failed', message: reason }, () => ({ failureReason: reason }));
        return compensate(deps, uuid, reason);
      }
      deps.hooks?.step?.(name, 'retrying', Date.now() - t0);
      await record(deps, uuid, {}, { step: name, status: 'retrying', message: describeError(err) }).catch(() => undefined);
      throw err;
    }
    if (result.skipped) continue;
    rec = await record(deps, uuid, result.patch, { step: name, status: 'done' }, (r) =>
      // a DELETE that came in meanwhile wins over "provisioned"
      r.state === 'provisioning' ? (result.extra ?? {}) : { ...result.extra, state: r.state, provisionedAt: r.provisionedAt },
    );
    deps.hooks?.step?.(name, 'done', Date.now() - t0);
  }
  if (rec.state === 'provisioned') {
    deps.hooks?.finished?.('provision', 'succeeded', rec);
    return 'provisioned';
  }
  return 'stopped';
}

/**
 * After a permanent failure: remove what was made (by record and by name), mark the record failed
 * with the reason, and tell Heroku with the deprovision action so the user does not wait 12 hours.
 * Re-entrant: a crash midway resumes here (the record keeps `failureReason` while provisioning).
 */
export async function compensate(deps: WorkflowDeps, uuid: string, reason: string): Promise<ProvisionOutcome> {
  const { failures } = await teardown(deps, uuid, { bestEffort: true });
  let rec = (await deps.store.get(uuid)) as AddonRecord;
  if (rec.herokuTokensSealed && !rec.resources.deprovisionReported) {
    const platform = platformFor(deps, rec);
    let told = 'Heroku was told the add-on could not be provisioned';
    try {
      const addon = await platform.getAddon(uuid);
      if (addon && addon.state !== 'deprovisioned') await platform.deprovisionAction(uuid);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      told = `Heroku refused the deprovision action: ${describeError(err)}`;
    }
    rec = await record(deps, uuid, { deprovisionReported: true }, { step: 'compensate', status: 'done', message: told });
  }
  const left = failures.length ? ` Some pieces could not be removed and are listed on the record: ${failures.join('; ')}` : '';
  rec = await record(deps, uuid, {}, undefined, (r) =>
    r.state === 'provisioning'
      ? { state: 'failed', failedAt: nowOf(deps).toISOString(), failureReason: `${reason}${left}`, herokuTokensSealed: undefined }
      : {},
  );
  deps.hooks?.finished?.('provision', 'failed', rec);
  return 'failed';
}
