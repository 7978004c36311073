import { ConflictError } from '../clients/errors';
import { RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { type Plan, rateLimitConfiguration } from '../domain/plans';
import type { WorkflowDeps } from './deps';

/**
 * The plan's rate limit on an API instance, applied or updated in place: the one way both
 * provisioning and a plan change set it. Looks up first; a 409 on apply (made meanwhile by an
 * earlier or concurrent try) is read again and updated. Returns the policy id.
 */
export async function ensureRateLimit(deps: WorkflowDeps, apiId: string, plan: Plan): Promise<string> {
  const config = rateLimitConfiguration(plan);
  const policies = deps.anypoint.policies;
  const existing = await policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
  if (existing) {
    await policies.updatePolicy(apiId, existing.id, config);
    return existing.id;
  }
  try {
    return (await policies.applyRateLimit(apiId, config)).id;
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const again = await policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
    // applied, yet not listed: a transient view of the platform; the job retries
    if (!again) throw Object.assign(new Error('the rate-limit policy is applied but not listed yet'), { retryable: true });
    await policies.updatePolicy(apiId, again.id, config);
    return again.id;
  }
}
