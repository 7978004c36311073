import { guardUpstream } from '../workflows/upstream';
import type { AddonRecord, Placement } from '../domain/addon';
import { ConflictError } from '../clients/errors';
import type { ApiTechnology } from '../clients/anypoint';
import { findPlan } from '../domain/plans';
import { PermanentFailure, type StepResult } from '../engine';
import type { WorkflowDeps } from '../workflows/deps';
import { ensureRateLimit } from '../workflows/policy';

/**
 * What both targets share: which of the add-on's placements a step works on, the record change a
 * step returns, the API instance (looked up by its label before it is created) and the plan's
 * policy on it.
 */

/** The add-on's current placement, the one it is moving to, or the one a move left behind. */
export type Which = 'placement' | 'next' | 'retired';

export function placementOf(rec: AddonRecord, which: Which): Placement {
  const p = rec[which];
  if (!p) throw new Error(`add-on ${rec.uuid} has no ${which} placement`);
  return p;
}

/** A step's result that records `patch` on the placement. */
export function placed(which: Which, patch: Partial<Placement>, note?: string): StepResult<AddonRecord> {
  return { change: (r) => ({ ...r, [which]: { ...placementOf(r, which), ...patch } }), note };
}

/** The API instance's label in API Manager: one per add-on and target, so a move's two instances never mix. */
export function instanceLabelFor(rec: AddonRecord, target: Placement['target']): string {
  return `aag-${target}-${rec.uuid}`;
}

/** Looks the add-on's instance for this target up by its label; creates it when absent (a 409 adopts a concurrent one). */
export async function ensureApiInstance(
  deps: WorkflowDeps,
  rec: AddonRecord,
  which: Which,
  technology: ApiTechnology,
  endpoint: Record<string, unknown>,
): Promise<StepResult<AddonRecord>> {
  const p = placementOf(rec, which);
  const r = rec.resources;
  const label = instanceLabelFor(rec, p.target);
  const apis = deps.anypoint.apiManager;
  const mine = async () => (await apis.listApis({ assetId: r.assetId, groupId: r.assetGroupId, instanceLabel: label })).find((a) => a.instanceLabel === label);
  const found = await mine();
  if (found) return placed(which, { apiId: found.id });
  // a move points a new instance at the upstream long after provisioning checked it: check again (DNS may have changed)
  if (which === 'next') await guardUpstream(deps, r.upstreamUrl, rec.uuid);
  try {
    const created = await apis.createApi({
      groupId: r.assetGroupId as string,
      assetId: r.assetId as string,
      assetVersion: r.assetVersion as string,
      instanceLabel: label,
      technology,
      endpoint,
    });
    return placed(which, { apiId: created.id });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const again = await mine();
    if (!again) throw err;
    return placed(which, { apiId: again.id });
  }
}

/** The plan's rate limit on the placement's instance. */
export async function applyPlanPolicy(deps: WorkflowDeps, rec: AddonRecord, which: Which): Promise<StepResult<AddonRecord>> {
  const plan = findPlan(rec.plan);
  if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
  const policyId = await ensureRateLimit(deps, placementOf(rec, which).apiId as string, plan);
  return placed(which, { policyId, policyPlan: plan.slug });
}

/** Removes the placement's API instance (its label finds one whose create answer was lost). */
export async function removeApiInstance(deps: WorkflowDeps, rec: AddonRecord, which: Which): Promise<StepResult<AddonRecord>> {
  const p = placementOf(rec, which);
  const ids = new Set<string>(p.apiId ? [p.apiId] : []);
  if (rec.resources.assetId) {
    const label = instanceLabelFor(rec, p.target);
    for (const a of await deps.anypoint.apiManager.listApis({ assetId: rec.resources.assetId, groupId: rec.resources.assetGroupId, instanceLabel: label })) {
      if (a.instanceLabel === label) ids.add(a.id);
    }
  }
  for (const id of ids) await deps.anypoint.apiManager.deleteApi(id);
  return placed(which, { apiId: undefined, policyId: undefined, policyPlan: undefined, proxyUrl: undefined });
}

/** The upstream a follow-app run is moving the route to (none: nothing to change). */
export function followTarget(rec: AddonRecord): string | undefined {
  return rec.resources.followUpstream;
}

/** The implementation URI an API instance names (API Manager: `endpoint.uri`, older answers `endpointUri`). */
export function endpointUriOf(api: { endpoint?: unknown; endpointUri?: unknown }): string | undefined {
  const e = api.endpoint as { uri?: unknown } | null | undefined;
  if (e && typeof e.uri === 'string') return e.uri;
  return typeof api.endpointUri === 'string' ? api.endpointUri : undefined;
}

/**
 * follow-app's first target step on either target: the placement's API instance pointed at the new
 * upstream (read first: a try that died after the PATCH finds it done). A gone instance is a
 * permanent failure (the add-on keeps what it had; the operator looks).
 */
export async function setInstanceUpstream(deps: WorkflowDeps, rec: AddonRecord, which: Which, now: Date): Promise<StepResult<AddonRecord> | void> {
  const to = followTarget(rec);
  if (!to) return;
  const p = placementOf(rec, which);
  const apiId = p.apiId as string;
  const api = await deps.anypoint.apiManager.getApi(apiId);
  if (!api) throw new PermanentFailure('the API instance is gone from API Manager');
  if (endpointUriOf(api) !== to) {
    const current = api.endpoint && typeof api.endpoint === 'object' ? (api.endpoint as Record<string, unknown>) : undefined;
    const updated = await deps.anypoint.apiManager.setEndpointUri(apiId, to, current);
    if (!updated) throw new PermanentFailure('the API instance is gone from API Manager');
  }
  return placed(which, { rerouteStartedAt: p.rerouteStartedAt && endpointUriOf(api) === to ? p.rerouteStartedAt : now.toISOString() }, `route → ${to}`);
}
