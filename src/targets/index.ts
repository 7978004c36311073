import type { TargetName } from '../domain/targets';
import type { AddonStep } from '../workflows/deps';
import { ch2Place, ch2Remove, ch2Reroute } from './ch2';
import { omniPlace, omniRemove, omniReroute } from './omni';
import type { Which } from './placement';

export type { Which } from './placement';
export { FALLBACK_API_LIMIT } from './omni';
export { spaceTarget } from './ch2';

/** A target: the steps that put an add-on's API on it, and the steps that take it off. */
export interface Target {
  name: TargetName;
  place(which: Which): AddonStep[];
  remove(which: Which): AddonStep[];
  /** follow-app: the placement's route pointed at `resources.followUpstream`, waited for until live. */
  reroute(which: Which): AddonStep[];
}

export const TARGET_STEPS: Readonly<Record<TargetName, Target>> = {
  omni: { name: 'omni', place: omniPlace, remove: omniRemove, reroute: omniReroute },
  ch2: { name: 'ch2', place: ch2Place, remove: ch2Remove, reroute: ch2Reroute },
};
