import type { AddonRecord } from '../domain/addon';
import { findPlan } from '../domain/plans';
import { PermanentFailure } from '../engine';
import { type AddonStep, type AddonWorkflow, made } from './deps';
import { ensureRateLimit } from './policy';

/**
 * Plan change: the rate-limit policy rewritten in place with the plan the record now holds. Until
 * the policy exists, provisioning applies the current plan itself. A rewrite refused for good is
 * shown on the timeline and not re-driven until the plan changes again; the add-on keeps working
 * with the limit it had.
 */
const applyPlan: AddonStep = {
  name: 'applyPlan',
  label: 'Applying the new plan',
  async run({ deps, rec }) {
    const plan = findPlan(rec.plan);
    if (!plan) throw new PermanentFailure(`plan ${rec.plan} is unknown`);
    const policyId = await ensureRateLimit(deps, rec.resources.apiId as string, plan);
    return made({ policyId, policyPlan: plan.slug, planChangeFailedFor: undefined }, {}, `rate limit set for plan ${plan.slug}`);
  },
};

const live = (rec: AddonRecord) => rec.state === 'provisioned' || rec.state === 'provisioning';

export const PLAN_CHANGE: AddonWorkflow = {
  name: 'plan-change',
  steps: [applyPlan],
  repeatable: true,
  advice: 'The add-on keeps the rate limit it had; change the plan again, or contact support with the add-on id.',
  applies: (rec) => live(rec) && !!rec.resources.policyId && rec.resources.policyPlan !== rec.plan,
  wanted: live,
  succeeded: (rec) => rec,
  failed: (rec) => ({ ...rec, resources: { ...rec.resources, planChangeFailedFor: rec.plan } }),
};
