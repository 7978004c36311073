import { ConflictError } from '../clients/errors';
import { MULESOFT_POLICY_GROUP_ID, RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { type Plan, rateLimitConfiguration } from '../domain/plans';
import { PermanentFailure } from '../engine';
import type { WorkflowDeps } from './deps';

/**
 * The plan's rate limit on an API instance, applied or updated in place: the one way provisioning,
 * a move and a plan change set it. The template version is the one the platform offers for the
 * instance's technology (looked up, not assumed). Looks up the applied policy first; a 409 on apply
 * (made meanwhile by an earlier or concurrent try) is read again and updated. Returns the policy id.
 */
export async function ensureRateLimit(deps: WorkflowDeps, apiId: string, plan: Plan): Promise<string> {
  const config = rateLimitConfiguration(plan);
  const policies = deps.anypoint.policies;
  const existing = await policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
  if (existing) {
    await policies.updatePolicy(apiId, existing.id, config);
    return existing.id;
  }
  const templates = await deps.anypoint.apiManager.policyTemplates(apiId);
  const template = templates.find((t) => t.assetId === RATE_LIMITING_ASSET_ID && (!t.groupId || t.groupId === MULESOFT_POLICY_GROUP_ID));
  if (!template) throw new PermanentFailure('the platform offers no rate-limiting policy for this API’s gateway');
  try {
    return (await policies.applyPolicy(apiId, { groupId: MULESOFT_POLICY_GROUP_ID, assetId: RATE_LIMITING_ASSET_ID, assetVersion: template.assetVersion, configurationData: { ...config } })).id;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const again = await policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
    // applied, yet not listed: a transient view of the platform; the job retries
    if (!again) throw Object.assign(new Error('the rate-limit policy is applied but not listed yet'), { retryable: true });
    await policies.updatePolicy(apiId, again.id, config);
    return again.id;
  }
}
