import type { AddonRecord } from '../domain/addon';
import { ASSET_VERSION, assetIdFor } from '../domain/naming';
import { regionOf } from '../domain/regions';
import { upstreamForHost } from '../domain/upstream';
import { ConflictError } from '../clients/errors';
import { pickAppHost } from '../clients/heroku';
import { PermanentFailure } from '../engine';
import { TARGET_STEPS } from '../targets';
import { setConfigVars } from './config-vars';
import { type AddonStep, type AddonWorkflow, made, platformFor } from './deps';
import { guardUpstream } from './upstream';
import { makeOriginSecret, withBoundary } from './boundary';
import { reportFailure, TEARDOWN } from './teardown';
import { subscribeWebhooks } from './webhooks';

/**
 * Provision: Heroku's grant → the app's host → Exchange asset → where it runs (the plan's target,
 * the add-on's region) → the target's steps (an API on a shared gateway, or a dedicated proxy),
 * each waiting until it serves → config vars → "provisioned". Each step looks up before it creates
 * and returns the ids it made; the engine records them. After a permanent failure everything made
 * is removed and Heroku is told (compensation).
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

export const createAsset: AddonStep = {
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
    return made({ orgId: ctx.orgId, envId: ctx.envId, envName: ctx.envName, assetGroupId: asset.groupId, assetId: asset.assetId, assetVersion: asset.version });
  },
};

/** The add-on's placement: its plan's target, in its region. */
export const choosePlacement: AddonStep = {
  name: 'choosePlacement',
  label: 'Choosing where the gateway runs',
  async run({ rec }) {
    if (rec.placement) return;
    return { change: (r) => ({ ...r, placement: { target: r.target, region: regionOf(r.region) } }), note: `target ${rec.target}, region ${regionOf(rec.region)}` };
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
  steps: (rec) => [
    exchangeGrant,
    findUpstream,
    checkLimits,
    createAsset,
    choosePlacement,
    makeOriginSecret,
    ...withBoundary(TARGET_STEPS[rec.placement?.target ?? rec.target].place('placement'), 'placement'),
    subscribeWebhooks,
    setConfigVars('placement'),
    reportProvisioned,
  ],
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
      logInputUrlSealed: undefined,
      webhookSecretsSealed: undefined,
      originSecretSealed: undefined,
      keyRevealSealed: undefined,
    };
  },
};
