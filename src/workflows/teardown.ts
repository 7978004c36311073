import type { AddonResources } from '../domain/addon';
import { ASSET_VERSION, assetIdFor, cloudHubNameFor } from '../domain/naming';
import { isPermanent } from '../clients/errors';
import { describeError } from '../engine';
import { type AddonStep, made, platformFor } from './deps';

/**
 * Removing what an add-on made, in reverse order: CloudHub application → API instance → Exchange
 * asset (hard delete). Each step removes what the record names AND what the add-on's deterministic
 * names find, so a resource made by a try that died before recording it is removed too. 404 means
 * already gone. The list is the deprovision workflow and the provision workflow's compensation.
 */

/** How many CloudHub names (plain, -1, -2, …) a provision may try; teardown looks at all of them. */
export const CLOUDHUB_NAME_ATTEMPTS = 4;

const cleared = (...keys: (keyof AddonResources)[]) => made(Object.fromEntries(keys.map((k) => [k, undefined])));

const deleteApplication: AddonStep = {
  name: 'deleteApplication',
  label: 'Removing the proxy',
  async run({ deps, rec }) {
    // The recorded name, and every name a provision could have used: a deploy whose answer was lost
    // (timeout) can leave an application that no record names. A GET within our environment finds
    // only ours.
    const names = new Set<string>();
    if (rec.resources.cloudHubName) names.add(rec.resources.cloudHubName);
    for (let i = 0; i < CLOUDHUB_NAME_ATTEMPTS; i++) names.add(cloudHubNameFor(rec.uuid, i));
    for (const name of names) {
      if (name === rec.resources.cloudHubName || (await deps.anypoint.cloudhub.getApplication(name))) {
        await deps.anypoint.cloudhub.deleteApplication(name);
      }
    }
    return cleared('cloudHubName', 'deploymentId', 'fullDomain', 'proxyUrl', 'deployStartedAt');
  },
};

const deleteApiInstance: AddonStep = {
  name: 'deleteApiInstance',
  label: 'Removing the API instance',
  async run({ deps, rec }) {
    const ids = new Set<string>();
    if (rec.resources.apiId) ids.add(rec.resources.apiId);
    const groupId = rec.resources.assetGroupId ?? (await deps.anypoint.context()).orgId;
    const found = await deps.anypoint.apiManager.listApis({ assetId: assetIdFor(rec.uuid), groupId });
    for (const api of found) if (api.assetId === assetIdFor(rec.uuid)) ids.add(api.id);
    for (const id of ids) await deps.anypoint.apiManager.deleteApi(id);
    return cleared('apiId', 'policyId', 'policyPlan');
  },
};

const deleteAsset: AddonStep = {
  name: 'deleteAsset',
  label: 'Removing the Exchange asset',
  async run({ deps, rec }) {
    const groupId = rec.resources.assetGroupId ?? (await deps.anypoint.context()).orgId;
    await deps.anypoint.exchange.deleteAsset(groupId, rec.resources.assetId ?? assetIdFor(rec.uuid), rec.resources.assetVersion ?? ASSET_VERSION);
    return cleared('assetId', 'assetGroupId', 'assetVersion');
  },
};

export const TEARDOWN: readonly AddonStep[] = [deleteApplication, deleteApiInstance, deleteAsset];

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
