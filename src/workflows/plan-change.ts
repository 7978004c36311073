import { findPlan, rateLimitConfiguration } from '../domain/plans';
import { RATE_LIMITING_ASSET_ID } from '../clients/anypoint';
import { isPermanent } from '../clients/errors';
import { type WorkflowDeps, note, record } from './deps';
import { PermanentFailure, describeError } from './outcomes';

/**
 * Plan change: rewrite the rate-limiting policy in place with the plan the record now holds.
 * Safe to repeat. Before the policy exists, provisioning applies the current plan itself.
 */
export async function runPlanChange(deps: WorkflowDeps, uuid: string): Promise<'changed' | 'unchanged' | 'not-applicable' | 'failed'> {
  const rec = await deps.store.get(uuid);
  if (!rec || (rec.state !== 'provisioned' && rec.state !== 'provisioning')) return 'not-applicable';
  const plan = findPlan(rec.plan);
  if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
  const apiId = rec.resources.apiId;
  if (!apiId || !rec.resources.policyId) return 'not-applicable';
  if (rec.resources.policyPlan === plan.slug) return 'unchanged';
  const t0 = Date.now();
  const config = rateLimitConfiguration(plan);
  let policyId: string;
  try {
    const existing = await deps.anypoint.policies.findPolicy(apiId, RATE_LIMITING_ASSET_ID);
    policyId = existing
      ? (await deps.anypoint.policies.updatePolicy(apiId, existing.id, config), existing.id)
      : (await deps.anypoint.policies.applyRateLimit(apiId, config)).id;
  } catch (err) {
    if (!isPermanent(err)) {
      deps.hooks?.step?.('changePlan', 'retrying', Date.now() - t0);
      await note(deps, uuid, { step: 'changePlan', status: 'retrying', message: describeError(err) }).catch(() => undefined);
      throw err;
    }
    // refused for good: say so on the dashboard, and stop re-driving this plan
    const message = `the rate limit of plan ${plan.slug} could not be applied: ${describeError(err)}`;
    const after = await record(deps, uuid, { planChangeFailedFor: plan.slug }, { step: 'changePlan', status: 'failed', message });
    deps.hooks?.step?.('changePlan', 'failed', Date.now() - t0);
    deps.hooks?.finished?.('plan-change', 'failed', after);
    return 'failed';
  }
  const after = await record(deps, uuid, { policyId, policyPlan: plan.slug, planChangeFailedFor: undefined }, { step: 'changePlan', status: 'done', message: `rate limit set for plan ${plan.slug}` });
  deps.hooks?.step?.('changePlan', 'done', Date.now() - t0);
  deps.hooks?.finished?.('plan-change', 'succeeded', after);
  return 'changed';
}
