import type { AddonRecord } from '../domain/addon';
import { targetDrift } from '../domain/addon';
import { regionOf } from '../domain/regions';
import { Wait } from '../engine';
import { TARGET_STEPS } from '../targets';
import { removeContracts, withBoundary } from './boundary';
import { setConfigVars } from './config-vars';
import type { AddonStep, AddonWorkflow } from './deps';

/**
 * A plan change across targets (e.g. basic on omni → premium on ch2, and back). The add-on is put
 * on the new target beside the old one (`next`), waited for until it serves, the app's config var
 * switched to the new URL (Heroku restarts the app), and only then is the old placement handed to
 * the retire workflow. The old URL keeps serving until the new one does; a failure halfway removes
 * what the new target got and leaves the add-on on its old target, working, with the reason shown.
 */

const prepareMove: AddonStep = {
  name: 'prepareMove',
  label: 'Preparing the move to another gateway',
  async run({ deps, rec }) {
    if (rec.next) return;
    // a follow-app under way goes first: the new instance must take the app's host it is recording
    if (rec.runs?.['follow-app']) throw new Wait(deps.config.DEPLOY_POLL_MS, 'the gateway is following the app to its new host');
    // and a dashboard change under way: the new placement gets the settings once they are in force
    if (rec.boundary?.change) throw new Wait(deps.config.DEPLOY_POLL_MS, `a policy change is under way (${rec.boundary.change.summary})`);
    return { change: (r) => ({ ...r, next: { target: r.target, region: regionOf(r.region) } }), note: `moving from ${rec.placement?.target} to ${rec.target}` };
  },
};

const nextTarget = (rec: AddonRecord) => rec.next?.target ?? rec.target;
const live = (rec: AddonRecord) => rec.state === 'provisioned';

export const MOVE: AddonWorkflow = {
  name: 'move',
  repeatable: true,
    // the new instance gets every policy and key (carryBoundary) before it is deployed, long before the old one goes
  steps: (rec) => [prepareMove, ...withBoundary(TARGET_STEPS[nextTarget(rec)].place('next'), 'next'), setConfigVars('next')],
  applies: (rec) => live(rec) && !rec.retired && (!!rec.next || targetDrift(rec)),
  wanted: live,
  advice: 'The add-on keeps running where it was, with the rate limit it had; change the plan again, or contact support with the add-on id.',
  compensation: (rec) => (rec.next ? [removeContracts('next'), ...TARGET_STEPS[rec.next.target].remove('next')] : []),
  // the new placement serves and the app points at it: the old one is retired (removed next)
  succeeded: (rec) => ({ ...rec, placement: rec.next, retired: rec.placement, next: undefined, resources: { ...rec.resources, planChangeFailedFor: undefined } }),
  failed: (rec, run) => ({
    ...rec,
    next: undefined,
    leftovers: run.leftovers?.length ? [...(rec.leftovers ?? []), ...run.leftovers] : rec.leftovers,
    resources: { ...rec.resources, planChangeFailedFor: rec.plan },
  }),
};
