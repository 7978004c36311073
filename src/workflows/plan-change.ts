import { findPlan, rateLimitConfiguration } from '../domain/plans';
import { RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { type WorkflowDeps, record } from './deps';
import { PermanentFailure } from './outcomes';

/**
 * Plan change: rewrite the rate-limiting policy in place with the plan the record now holds.
 * Safe to repeat. Before the policy exists, provisioning applies the current plan itself.
 */
export async function runPlanChange(deps: WorkflowDeps, uuid: string): Promise<'changed' | 'unchanged' | 'not-applicable'> {
  const rec = await deps.store.get(uuid);
  if (!rec || (rec.state !== 'provisioned' && rec.state !== 'provisioning')) return 'not-applicable';
  const plan = findPlan(rec.plan);
  if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
  const apiId = rec.resources.apiId;
  if (!apiId || !rec.resources.policyId) return 'not-applicable';
  if (rec.resources.policyPlan === plan.slug) return 'unchanged';
  const t0 = Date.now();
  const config = rateLimitConfiguration(plan);
  const existing = await deps.anypoint.policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
  let policyId: string;
  if (existing) {
    await deps.anypoint.policies.updatePolicy(apiId, existing.id, config);
    policyId = existing.id;
  } else {
    policyId = (await deps.anypoint.policies.applyRateLimit(apiId, config)).id;
  }
  const after = await record(deps, uuid, { policyId, policyPlan: plan.slug }, { step: 'changePlan', status: 'done', message: `rate limit set for plan ${plan.slug}` });
  deps.hooks?.step?.('changePlan', 'done', Date.now() - t0);
  deps.hooks?.finished?.('plan-change', 'succeeded', after);
  return 'changed';
}
