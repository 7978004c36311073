import type { AddonWorkflow } from './deps';
import { TARGET_STEPS } from '../targets';
import { removeContracts } from './boundary';

/**
 * After a move: the placement the add-on left is removed (its API instance, its proxy application
 * or its room on a shared gateway). Best effort: a piece the platform refuses to remove for good is
 * recorded as a leftover for the operator; the add-on already serves from its new placement.
 */
export const RETIRE: AddonWorkflow = {
  name: 'retire',
  repeatable: true,
  bestEffort: true,
  steps: (rec) => (rec.retired ? [removeContracts('retired'), ...TARGET_STEPS[rec.retired.target].remove('retired')] : []),
  applies: (rec) => !!rec.retired,
  succeeded: (rec, run) => ({ ...rec, retired: undefined, leftovers: run.leftovers?.length ? [...(rec.leftovers ?? []), ...run.leftovers] : rec.leftovers }),
  failed: (rec) => ({ ...rec, retired: undefined }),
};
