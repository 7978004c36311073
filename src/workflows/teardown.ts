import type { AddonRecord } from '../domain/addon';
import { ASSET_VERSION, assetIdFor } from '../domain/naming';
import { regionOf } from '../domain/regions';
import { proxyAppNameFor } from '../domain/targets';
import { isPermanent, isUpstreamError } from '../clients/errors';
import { describeError, PermanentFailure } from '../engine';
import { removeKeys } from './boundary';
import { type AddonStep, made, platformFor } from './deps';
import { removeWebhook } from './webhooks';

/**
 * Removing everything an add-on made, wherever it runs: its API keys (contracts, client
 * applications) and the console's policies, its dedicated proxy application (ch2), its
 * API instances, its room on a shared gateway (omni; the gateway itself stays, it is the pool's),
 * its Exchange asset (hard delete). Each step removes what the record names AND what the add-on's
 * deterministic names find, so what a try that died before recording it made goes too; 404 means
 * already gone. The list is the deprovision workflow and the provision workflow's compensation.
 */

const places = (rec: AddonRecord) => [rec.placement, rec.next, rec.retired].filter((p) => !!p);
const cleared = { placement: undefined, next: undefined, retired: undefined };

const removeProxyApps: AddonStep = {
  name: 'removeProxyApps',
  label: 'Removing the proxy application',
  async run({ deps, rec }) {
    const ch2 = places(rec).filter((p) => p.target === 'ch2');
    if (!ch2.length) return;
    const ids = new Set(ch2.map((p) => p.amcDeploymentId).filter((id): id is string => !!id));
    // a deploy whose answer was lost leaves an application that no record names: look it up by name
    const named = await deps.anypoint.amc.findByName(proxyAppNameFor(rec.uuid));
    if (named) ids.add(named.id);
    for (const id of ids) await deps.anypoint.amc.delete(id);
  },
};

const removeApiInstances: AddonStep = {
  name: 'removeApiInstances',
  label: 'Removing the API instances',
  async run({ deps, rec }) {
    const ids = new Set(places(rec).map((p) => p.apiId).filter((id): id is string => !!id));
    const assetId = rec.resources.assetId ?? assetIdFor(rec.uuid);
    const groupId = rec.resources.assetGroupId ?? (await deps.anypoint.context()).orgId;
    for (const api of await deps.anypoint.apiManager.listApis({ assetId, groupId })) if (api.assetId === assetId) ids.add(api.id);
    for (const id of ids) await deps.anypoint.apiManager.deleteApi(id);
  },
};

const releaseGateway: AddonStep = {
  name: 'releaseGateway',
  label: 'Giving back its room on the shared gateway',
  async run({ deps, rec }) {
    await deps.gateways.release(rec.uuid, regionOf(rec.region));
    return { change: (r) => ({ ...r, ...cleared }) };
  },
};

const deleteAsset: AddonStep = {
  name: 'deleteAsset',
  label: 'Removing the Exchange asset',
  async run({ deps, rec }) {
    const groupId = rec.resources.assetGroupId ?? (await deps.anypoint.context()).orgId;
    const assetId = rec.resources.assetId ?? assetIdFor(rec.uuid);
    const version = rec.resources.assetVersion ?? ASSET_VERSION;
    try {
      await deps.anypoint.exchange.deleteAsset(groupId, assetId, version);
    } catch (err) {
      // refused (403): an org may switch hard deletion off; say so, and what the operator does, instead of a bare 403
      if (!(isUpstreamError(err) && err.status === 403)) throw err;
      if ((await deps.anypoint.exchange.hardDeletionEnabled().catch(() => undefined)) !== false) throw err;
      throw new PermanentFailure(
        `Anypoint Exchange refused to delete the asset ${groupId}/${assetId}/${version}: hard deletion of assets is switched off for the organisation (deletionSettings.hardDeletionEnabled)`,
        'An organisation administrator switches hard deletion on (PATCH /exchange/api/v2/organizations/{org}/settings); then the operator deletes the asset.',
      );
    }
    return made({ assetId: undefined, assetGroupId: undefined, assetVersion: undefined });
  },
};

export const TEARDOWN: readonly AddonStep[] = [removeWebhook, removeKeys, removeProxyApps, removeApiInstances, releaseGateway, deleteAsset];

/**
 * After a provisioning failed for good: Heroku's deprovision action, so the user does not wait 12
 * hours (read first: told once). Without a token (the grant never worked) Heroku cannot be told.
 */
export const reportFailure: AddonStep = {
  name: 'reportFailure',
  label: 'Telling Heroku it failed',
  async run({ deps, rec }) {
    if (!rec.herokuTokensSealed || rec.resources.deprovisionReported) return;
    const platform = platformFor(deps, rec);
    let told = 'Heroku was told the add-on could not be provisioned';
    try {
      const addon = await platform.getAddon(rec.uuid);
      if (addon && addon.state !== 'deprovisioned') await platform.deprovisionAction(rec.uuid);
    } catch (err) {
      if (!isPermanent(err)) throw err;
      told = `Heroku could not be told: ${describeError(err)}`;
    }
    return made({ deprovisionReported: true }, {}, told);
  },
};
