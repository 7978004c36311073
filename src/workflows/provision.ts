import type { AddonRecord } from '../domain/addon';
import { ASSET_VERSION, assetIdFor } from '../domain/naming';
import { regionOf } from '../domain/regions';
import { upstreamForHost, validateUpstream } from '../domain/upstream';
import { ConflictError } from '../clients/errors';
import { pickAppHost } from '../clients/heroku';
import { PermanentFailure } from '../engine';
import { TARGET_STEPS } from '../targets';
import { setConfigVars } from './config-vars';
import { type AddonStep, type AddonWorkflow, made, platformFor } from './deps';
import { reportFailure, TEARDOWN } from './teardown';

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
    const grant = deps.box.openJson<{ code: string }>(rec.oauthGrantSealed);
    const tokens = await deps.heroku.oauth.exchangeGrant(grant.code);
    return made({}, { herokuTokensSealed: deps.box.sealJson(tokens), oauthGrantSealed: undefined });
  },
};

const findUpstream: AddonStep = {
  name: 'findUpstream',
  label: 'Finding the app',
  async run({ deps, rec }) {
    if (rec.options.upstream) {
      const checked = validateUpstream(rec.options.upstream, { allowLoopbackHttp: deps.config.NODE_ENV !== 'production' });
      if (!checked.ok) throw new PermanentFailure(`option --upstream ${checked.message}`);
      return made({ upstreamUrl: checked.url });
    }
    const platform = platformFor(deps, rec);
    const addon = await platform.getAddon(rec.uuid);
    if (!addon) throw new PermanentFailure('Heroku does not know this add-on any more');
    const domains = await platform.getAppDomains(addon.app.id || addon.app.name);
    const host = pickAppHost(domains);
    if (!host) throw new PermanentFailure(`app ${addon.app.name} has no herokuapp.com domain; create the add-on with --upstream=https://…`);
    return made({ herokuAppId: addon.app.id, herokuAppName: addon.app.name, upstreamUrl: upstreamForHost(host) });
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
    return made({ orgId: ctx.orgId, envId: ctx.envId, envName: ctx.envName, assetGroupId: asset.groupId, assetId: asset.assetId, assetVersion: asset.version });
  },
};

/** The add-on's placement: its plan's target, in its region. */
const choosePlacement: AddonStep = {
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
    createAsset,
    choosePlacement,
    ...TARGET_STEPS[rec.placement?.target ?? rec.target].place('placement'),
    setConfigVars('placement'),
    reportProvisioned,
  ],
  applies: (rec) => rec.state === 'provisioning',
  // a DELETE that comes in meanwhile stops provisioning at the next step; the deprovision job tears down
  wanted: (rec) => rec.state === 'provisioning',
  // past it, Heroku hears "deprovision" from us rather than a silent time-out after 12 hours
  deadline: (rec, _run, deps) => Date.parse(rec.createdAt) + deps.config.PROVISION_DEADLINE_MS,
  compensation: [...TEARDOWN, reportFailure],
  succeeded: (rec, _run, now): AddonRecord => ({ ...rec, state: 'provisioned', provisionedAt: rec.provisionedAt ?? now.toISOString() }),
  failed: (rec, run, now): AddonRecord => {
    if (rec.state !== 'provisioning') return rec;
    const left = run.leftovers?.length ? ` Some pieces could not be removed and are listed on the record: ${run.leftovers.join('; ')}` : '';
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
