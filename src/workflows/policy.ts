import { ConflictError } from '../clients/errors';
import { MULESOFT_POLICY_GROUP_ID, RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { type Plan, rateLimitConfiguration } from '../domain/plans';
import { PermanentFailure } from '../engine';
import type { WorkflowDeps } from './deps';

/** What users read of a policy template the platform does not offer. */
const POLICY_WORDS: Record<string, string> = {
  [RATE_LIMITING_ASSET_ID]: 'rate-limiting',
  'header-injection': 'header-injection',
  'header-removal': 'header-removal',
  'client-id-enforcement': 'client-ID enforcement',
  'ip-allowlist': 'IP allowlist',
  cors: 'CORS',
};

/**
 * A MuleSoft policy on an API instance, applied or updated in place: the one way every policy of
 * the add-on is set (the plan's rate limit, the origin secret's header injection, the console's
 * client-id enforcement, IP allowlist and CORS). The template version is the one the platform
 * offers for the instance's technology (looked up, not assumed). Looks up the applied policy
 * first; a 409 on apply (made meanwhile by an earlier or concurrent try) is read again and
 * updated. Returns the policy id.
 */
export async function ensurePolicy(deps: WorkflowDeps, apiId: string, assetId: string, config: Record<string, unknown>): Promise<string> {
  const policies = deps.anypoint.policies;
  const existing = await policies.findPolicy(apiId, assetId);
  if (existing) {
    await policies.updatePolicy(apiId, existing.id, config);
    return existing.id;
  }
  const templates = await deps.anypoint.apiManager.policyTemplates(apiId);
  const template = templates.find((t) => t.assetId === assetId && (!t.groupId || t.groupId === MULESOFT_POLICY_GROUP_ID));
  if (!template) throw new PermanentFailure(`the platform offers no ${POLICY_WORDS[assetId] ?? assetId} policy for this API’s gateway`);
  try {
    return (await policies.applyPolicy(apiId, { groupId: MULESOFT_POLICY_GROUP_ID, assetId, assetVersion: template.assetVersion, configurationData: { ...config } })).id;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const again = await policies.findPolicy(apiId, assetId);
    // applied, yet not listed: a transient view of the platform; the job retries
    if (!again) throw Object.assign(new Error(`the ${assetId} policy is applied but not listed yet`), { retryable: true });
    await policies.updatePolicy(apiId, again.id, config);
    return again.id;
  }
}

/** Removes every policy built on `assetId` from the instance (404 = gone). */
export async function removePolicy(deps: WorkflowDeps, apiId: string, assetId: string): Promise<void> {
  for (const p of await deps.anypoint.policies.listPolicies(apiId)) {
    if (p.assetId === assetId) await deps.anypoint.policies.deletePolicy(apiId, p.id);
  }
}

/** The plan's rate limit on an API instance (see `ensurePolicy`). Returns the policy id. */
export function ensureRateLimit(deps: WorkflowDeps, apiId: string, plan: Plan): Promise<string> {
  return ensurePolicy(deps, apiId, RATE_LIMITING_ASSET_ID, rateLimitConfiguration(plan));
}
