import type { AddonRecord, DeprovisionStep } from '../domain/addon';
import { ASSET_VERSION, assetIdFor, cloudHubNameFor } from '../domain/naming';
import { isPermanent } from '../clients/errors';
import { type WorkflowDeps, record } from './deps';
import { describeError } from './outcomes';

/**
 * Removing what an add-on made, in reverse order: CloudHub application → API instance → Exchange
 * asset (hard delete). Each step removes what the record names AND what the add-on's deterministic
 * names find, so a resource made by a try that died before recording it is removed too.
 * 404 means already gone. Used by deprovision and by compensation after a permanent failure.
 */

/** How many CloudHub names (plain, -1, -2, …) a provision may try; teardown looks at all of them. */
export const CLOUDHUB_NAME_ATTEMPTS = 4;

type Teardown = (deps: WorkflowDeps, rec: AddonRecord) => Promise<void>;

async function deleteApplication(deps: WorkflowDeps, rec: AddonRecord): Promise<void> {
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
}

async function deleteApiInstance(deps: WorkflowDeps, rec: AddonRecord): Promise<void> {
  const ids = new Set<string>();
  if (rec.resources.apiId) ids.add(rec.resources.apiId);
  const ctx = await deps.anypoint.context();
  const groupId = rec.resources.assetGroupId ?? ctx.orgId;
  const found = await deps.anypoint.apiManager.listApis({ assetId: assetIdFor(rec.uuid), groupId });
  for (const api of found) if (api.assetId === assetIdFor(rec.uuid)) ids.add(api.id);
  for (const id of ids) await deps.anypoint.apiManager.deleteApi(id);
}

async function deleteAsset(deps: WorkflowDeps, rec: AddonRecord): Promise<void> {
  const ctx = await deps.anypoint.context();
  const groupId = rec.resources.assetGroupId ?? ctx.orgId;
  await deps.anypoint.exchange.deleteAsset(groupId, rec.resources.assetId ?? assetIdFor(rec.uuid), rec.resources.assetVersion ?? ASSET_VERSION);
}

export const TEARDOWN: readonly [DeprovisionStep, Teardown][] = [
  ['deleteApplication', deleteApplication],
  ['deleteApiInstance', deleteApiInstance],
  ['deleteAsset', deleteAsset],
];

const CLEARED: Record<string, (keyof AddonRecord['resources'])[]> = {
  deleteApplication: ['cloudHubName', 'deploymentId', 'fullDomain', 'proxyUrl', 'deployStartedAt'],
  deleteApiInstance: ['apiId', 'policyId', 'policyPlan'],
  deleteAsset: ['assetId', 'assetGroupId', 'assetVersion'],
};

/**
 * Runs every teardown step; each one is recorded as done (and its ids cleared) before the next.
 * A retryable error stops it (the job retries). With `bestEffort` (compensation after a permanent
 * failure) a permanent error is recorded on the step, its ids stay on the record so an operator can
 * find them, and the next step runs: an add-on whose Anypoint access is refused for good must still
 * end `failed`, with Heroku told, rather than retry forever.
 */
export async function teardown(deps: WorkflowDeps, uuid: string, opts: { bestEffort?: boolean } = {}): Promise<{ record: AddonRecord; failures: string[] }> {
  let rec = (await deps.store.get(uuid)) as AddonRecord;
  const failures: string[] = [];
  for (const [step, fn] of TEARDOWN) {
    const t0 = Date.now();
    try {
      await deps.hooks?.checkpoint?.(`${step}:before`);
      await fn(deps, rec);
      await deps.hooks?.checkpoint?.(`${step}:after`);
    } catch (err) {
      if (!opts.bestEffort || !isPermanent(err)) throw err;
      const message = describeError(err);
      failures.push(`${step}: ${message}`);
      rec = await record(deps, uuid, {}, { step, status: 'failed', message });
      deps.hooks?.step?.(step, 'failed', Date.now() - t0);
      continue;
    }
    const cleared = Object.fromEntries(CLEARED[step].map((k) => [k, undefined]));
    rec = await record(deps, uuid, cleared, { step, status: 'done' });
    deps.hooks?.step?.(step, 'done', Date.now() - t0);
  }
  return { record: rec, failures };
}
