import type { AddonRecord } from '../domain/addon';
import { ASSET_VERSION, assetIdFor, cloudHubNameFor } from '../domain/naming';
import { findPlan } from '../domain/plans';
import { upstreamForHost } from '../domain/upstream';
import { ConflictError } from '../clients/errors';
import { applicationHost, applicationReadiness, applicationUrl } from '../clients/anypoint';
import { pickAppHost } from '../clients/heroku';
import { PermanentFailure, Wait } from '../engine';
import { type AddonStep, type AddonWorkflow, made, platformFor } from './deps';
import { ensureRateLimit } from './policy';
import { guardUpstream } from './upstream';
import { CLOUDHUB_NAME_ATTEMPTS, reportFailure, TEARDOWN } from './teardown';

/**
 * Provision: Heroku's grant → the app's host → Exchange asset → API instance → the plan's rate
 * limit → the proxy deployment → wait until it runs → config vars → "provisioned".
 * Each step looks up before it creates and returns the ids it made; the engine records them.
 * After a permanent failure everything made is removed and Heroku is told (compensation).
 */

const exchangeGrant: AddonStep = {
  name: 'exchangeGrant',
  label: 'Heroku authorisation',
  async run({ deps, rec }) {
    if (rec.herokuTokensSealed) return;
    if (!rec.oauthGrantSealed) throw new PermanentFailure('Heroku sent no OAuth grant, so the add-on cannot report back to Heroku');
    const grant = deps.box.openField<{ code: string }>(rec.uuid, 'oauthGrantSealed', rec.oauthGrantSealed);
    const tokens = await deps.heroku.oauth.exchangeGrant(grant.code);
    return made({}, { herokuTokensSealed: deps.box.sealField(rec.uuid, 'herokuTokensSealed', tokens), oauthGrantSealed: undefined });
  },
};

const findUpstream: AddonStep = {
  name: 'findUpstream',
  label: 'Finding the app',
  async run({ deps, rec }) {
    // checked again here, right before the gateway is pointed at it: DNS may have changed since the web checked
    if (rec.options.upstream) {
      const { url, warning } = await guardUpstream(deps, rec.options.upstream, rec.uuid);
      return made({ upstreamUrl: url }, {}, warning);
    }
    const platform = platformFor(deps, rec);
    const addon = await platform.getAddon(rec.uuid);
    if (!addon) throw new PermanentFailure('Heroku does not know this add-on any more');
    const domains = await platform.getAppDomains(addon.app.id || addon.app.name);
    const host = pickAppHost(domains);
    if (!host) throw new PermanentFailure(`app ${addon.app.name} has no herokuapp.com domain`, 'Create the add-on again with --upstream=https://… (your app\'s public URL).');
    const { url, warning } = await guardUpstream(deps, upstreamForHost(host), rec.uuid);
    return made({ herokuAppId: addon.app.id, herokuAppName: addon.app.name, upstreamUrl: url }, {}, warning);
  },
};

/**
 * Fair use, once the app is known: at most MAX_ADDONS_PER_APP live add-ons per Heroku app and
 * MAX_ADDONS_PER_OWNER per account owning the app (`GET /apps/{id}` → `owner.id`). The store
 * counts and claims in one atomic write; a refusal fails the add-on cleanly and Heroku is told.
 */
const checkLimits: AddonStep = {
  name: 'checkLimits',
  label: 'Checking the add-on limits',
  async run({ deps, rec }) {
    const platform = platformFor(deps, rec);
    let { herokuAppId: appId, herokuAppName: appName } = rec.resources;
    if (!appId) {
      const addon = await platform.getAddon(rec.uuid);
      if (!addon) throw new PermanentFailure('Heroku does not know this add-on any more');
      ({ id: appId, name: appName } = addon.app);
    }
    const app = await platform.getApp(appId);
    const ids = { herokuAppId: appId, herokuAppName: appName ?? app.name, herokuOwnerId: app.owner?.id, limitsChecked: true };
    const { config } = deps;
    const { refused } = await deps.store.update(
      rec.uuid,
      (r) => (r.state === 'provisioning' ? { ...r, resources: { ...r.resources, ...ids } } : null),
      { limits: { perApp: config.MAX_ADDONS_PER_APP, perOwner: config.MAX_ADDONS_PER_OWNER } },
    );
    if (refused === 'app') {
      throw new PermanentFailure(
        `the app ${ids.herokuAppName} already has ${config.MAX_ADDONS_PER_APP} gateways, the most one app may have`,
        'Remove a gateway it no longer needs (heroku addons), then create the add-on again.',
      );
    }
    if (refused === 'owner') {
      throw new PermanentFailure(
        `the account that owns ${ids.herokuAppName} already has ${config.MAX_ADDONS_PER_OWNER} gateways, the most one account may have`,
        'Remove gateways your apps no longer need, then create the add-on again; or contact support to raise the limit.',
      );
    }
    return made(ids);
  },
};

const createAsset: AddonStep = {
  name: 'createAsset',
  label: 'Creating the Exchange asset',
  async run({ deps, rec }) {
    const ctx = await deps.anypoint.context();
    const asset = { groupId: ctx.orgId, assetId: assetIdFor(rec.uuid), version: ASSET_VERSION };
    try {
      await deps.anypoint.exchange.createAsset({
        ...asset,
        name: `Heroku ${rec.name}`.slice(0, 256),
        description: `API of the Heroku add-on ${rec.uuid} (anypoint-api-gateway)`,
      });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // 409: an earlier try made it (ours: the id derives from our uuid), or a soft delete locks the name
      const existing = await deps.anypoint.exchange.getAsset(asset.groupId, asset.assetId, asset.version);
      if (!existing) throw new PermanentFailure(`Exchange asset ${asset.assetId} is locked by an earlier soft delete`);
    }
    return made({ orgId: ctx.orgId, envId: ctx.envId, assetGroupId: asset.groupId, assetId: asset.assetId, assetVersion: asset.version });
  },
};

const createApiInstance: AddonStep = {
  name: 'createApiInstance',
  label: 'Creating the API instance',
  async run({ deps, rec }) {
    const r = rec.resources;
    const apis = deps.anypoint.apiManager;
    const mine = async () => (await apis.listApis({ assetId: r.assetId, groupId: r.assetGroupId })).find((a) => a.assetId === r.assetId);
    const found = await mine();
    if (found) return made({ apiId: found.id });
    try {
      const created = await apis.createApi({
        groupId: r.assetGroupId as string,
        assetId: r.assetId as string,
        assetVersion: r.assetVersion as string,
        instanceLabel: rec.name.slice(0, 200),
        upstreamUri: r.upstreamUrl as string,
      });
      return made({ apiId: created.id });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // 409: made meanwhile by a concurrent or earlier try: adopt it
      const again = await mine();
      if (!again) throw err;
      return made({ apiId: again.id });
    }
  },
};

const applyPolicy: AddonStep = {
  name: 'applyPolicy',
  label: 'Applying the rate limit',
  async run({ deps, rec }) {
    const plan = findPlan(rec.plan);
    if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
    const policyId = await ensureRateLimit(deps, rec.resources.apiId as string, plan);
    return made({ policyId, policyPlan: plan.slug });
  },
};

const deployProxy: AddonStep = {
  name: 'deployProxy',
  label: 'Deploying the proxy',
  async run({ deps, rec, now }) {
    const apiId = rec.resources.apiId as string;
    const startedAt = rec.resources.deployStartedAt ?? now.toISOString();
    const adopt = (name: string) => made({ cloudHubName: name, deploymentId: `existing:${name}`, deployStartedAt: startedAt });
    // name by name: ours from an earlier try that died before recording it (found in our
    // environment) → adopt it; free → deploy; taken elsewhere (or lost the race) → next suffix
    for (let i = 0; i < CLOUDHUB_NAME_ATTEMPTS; i++) {
      const name = cloudHubNameFor(rec.uuid, i);
      if (await deps.anypoint.cloudhub.getApplication(name)) return adopt(name);
      if (!(await deps.anypoint.cloudhub.isDomainAvailable(name))) {
        // taken — perhaps by our own earlier deploy whose application CloudHub does not show yet:
        // the API instance knows which application it was deployed to
        if ((await deps.anypoint.apiManager.getApi(apiId))?.deployment?.applicationName === name) return adopt(name);
        continue;
      }
      try {
        const dep = await deps.anypoint.proxies.createDeployment(apiId, { applicationName: name });
        return made({ cloudHubName: name, deploymentId: dep.id, deployStartedAt: startedAt });
      } catch (err) {
        if (err instanceof ConflictError) continue; // taken between the check and the deploy
        throw err;
      }
    }
    throw new PermanentFailure(`no free CloudHub application name for this add-on after ${CLOUDHUB_NAME_ATTEMPTS} tries`);
  },
};

/** How long after a deploy an application CloudHub does not show yet still counts as deploying. */
const GONE_GRACE_MS = 2 * 60_000;

const waitUntilRunning: AddonStep = {
  name: 'waitUntilRunning',
  label: 'Waiting for the proxy to run',
  async run({ deps, rec, now }) {
    const name = rec.resources.cloudHubName as string;
    const app = await deps.anypoint.cloudhub.getApplication(name);
    const state = applicationReadiness(app);
    if (state === 'ready' && app) return made({ fullDomain: applicationHost(app), proxyUrl: applicationUrl(app, deps.config.ANYPOINT_PROXY_SCHEME) });
    if (state === 'failed') throw new PermanentFailure(`the proxy's CloudHub deployment failed (${app?.status ?? 'unknown status'})`);
    const waited = now.getTime() - Date.parse(rec.resources.deployStartedAt ?? rec.createdAt);
    // right after a deploy CloudHub may not list the application yet; later, gone means gone
    if (state === 'gone' && waited > GONE_GRACE_MS) throw new PermanentFailure('the proxy application disappeared from CloudHub while deploying');
    if (waited >= deps.config.DEPLOY_DEADLINE_MS) {
      throw new PermanentFailure(`the proxy did not start within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
    }
    throw new Wait(Math.min(deps.config.DEPLOY_POLL_MS, deps.config.DEPLOY_DEADLINE_MS - waited), `CloudHub application ${name} is ${app?.status ?? 'deploying'}`);
  },
};

const setConfigVars: AddonStep = {
  name: 'setConfigVars',
  label: 'Setting the config vars',
  async run({ deps, rec }) {
    await platformFor(deps, rec).setConfig(rec.uuid, {
      ANYPOINT_API_GATEWAY_URL: rec.resources.proxyUrl as string,
      ANYPOINT_API_GATEWAY_API_ID: String(rec.resources.apiId),
    });
    return made({ configVarsSet: true });
  },
};

const reportProvisioned: AddonStep = {
  name: 'reportProvisioned',
  label: 'Telling Heroku',
  async run({ deps, rec }) {
    const platform = platformFor(deps, rec);
    // look up first: a try that died after telling Heroku must not tell it twice
    const addon = await platform.getAddon(rec.uuid);
    if (addon?.state !== 'provisioned') await platform.provisionAction(rec.uuid);
    return made({ provisionReported: true });
  },
};

export const PROVISION: AddonWorkflow = {
  name: 'provision',
  steps: [exchangeGrant, findUpstream, checkLimits, createAsset, createApiInstance, applyPolicy, deployProxy, waitUntilRunning, setConfigVars, reportProvisioned],
  applies: (rec) => rec.state === 'provisioning',
  // a DELETE that comes in meanwhile stops provisioning at the next step; the deprovision job tears down
  wanted: (rec) => rec.state === 'provisioning',
  // past it, Heroku hears "deprovision" from us rather than a silent time-out after 12 hours
  deadline: (rec, _run, deps) => Date.parse(rec.createdAt) + deps.config.PROVISION_DEADLINE_MS,
  compensation: [...TEARDOWN, reportFailure],
  advice: 'Remove the add-on and create it again; if it fails again, contact support with the add-on id.',
  succeeded: (rec, _run, now): AddonRecord => ({ ...rec, state: 'provisioned', provisionedAt: rec.provisionedAt ?? now.toISOString() }),
  failed: (rec, run, now): AddonRecord => {
    if (rec.state !== 'provisioning') return rec;
    // the leftovers themselves (which piece, why) are on the record and in the operator log
    const left = run.leftovers?.length ? ' Some pieces could not be removed yet; the operator removes them.' : '';
    return {
      ...rec,
      state: 'failed',
      failedAt: now.toISOString(),
      failureReason: `${run.failure ?? 'provisioning failed'}${left}`,
      leftovers: run.leftovers,
      herokuTokensSealed: undefined,
    };
  },
};
