import type { TargetName } from '../domain/targets';
import type { AddonStep } from '../workflows/deps';
import { ch2Place, ch2Remove } from './ch2';
import { omniPlace, omniRemove } from './omni';
import type { Which } from './placement';

export type { Which } from './placement';
export { FALLBACK_API_LIMIT } from './omni';
export { spaceTarget } from './ch2';

/** A target: the steps that put an add-on's API on it, and the steps that take it off. */
export interface Target {
  name: TargetName;
  place(which: Which): AddonStep[];
  remove(which: Which): AddonStep[];
}

export const TARGET_STEPS: Readonly<Record<TargetName, Target>> = {
  omni: { name: 'omni', place: omniPlace, remove: omniRemove },
  ch2: { name: 'ch2', place: ch2Place, remove: ch2Remove },
};
