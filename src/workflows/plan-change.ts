import type { AddonRecord } from '../domain/addon';
import { planDrift } from '../domain/addon';
import { applyPlanPolicy } from '../targets/placement';
import { type AddonStep, type AddonWorkflow } from './deps';

/**
 * Plan change within a target: the rate-limit policy rewritten in place with the plan the record
 * now holds. (A plan on another target is a move.) Until the policy exists, provisioning applies
 * the current plan itself. A rewrite refused for good is shown on the timeline and not re-driven
 * until the plan changes again; the add-on keeps working with the limit it had.
 */
const applyPlan: AddonStep = {
  name: 'applyPlan',
  label: 'Applying the new plan',
  async run(ctx) {
    const result = await applyPlanPolicy(ctx.deps, ctx.rec, 'placement');
    return { change: (r) => result.change?.({ ...r, resources: { ...r.resources, planChangeFailedFor: undefined } }) ?? r, note: `rate limit set for plan ${ctx.rec.plan}` };
  },
};

const live = (rec: AddonRecord) => rec.state === 'provisioned';

export const PLAN_CHANGE: AddonWorkflow = {
  name: 'plan-change',
  steps: [applyPlan],
  repeatable: true,
  advice: 'The add-on keeps the rate limit it had; change the plan again, or contact support with the add-on id.',
  applies: planDrift,
  wanted: live,
  succeeded: (rec) => rec,
  failed: (rec) => ({ ...rec, resources: { ...rec.resources, planChangeFailedFor: rec.plan } }),
};
