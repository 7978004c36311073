import { pendingWork } from '../domain/addon';
import type { AddonStore } from '../store/addons';
import type { AddonWorkflow } from './deps';
import { DEPROVISION } from './deprovision';
import { PLAN_CHANGE } from './plan-change';
import { PROVISION } from './provision';

export * from './deps';
export { PROVISION } from './provision';
export { DEPROVISION } from './deprovision';
export { PLAN_CHANGE } from './plan-change';
export { TEARDOWN } from './teardown';
export { guardUpstream, WORKER_RESOLVE_TIMEOUT_MS } from './upstream';

/** Every workflow of an add-on, by name (each has its queue). */
export const WORKFLOWS: Readonly<Record<string, AddonWorkflow>> = {
  [PROVISION.name]: PROVISION,
  [DEPROVISION.name]: DEPROVISION,
  [PLAN_CHANGE.name]: PLAN_CHANGE,
};

/**
 * The work records still need, for the sweeper: every add-on with work outstanding that no step
 * touched for `staleMs` (a live run writes often; a record that stays quiet lost its job).
 */
export async function pendingJobs(store: AddonStore, staleMs: number, now = Date.now()): Promise<{ workflow: string; id: string; key?: string }[]> {
  const out: { workflow: string; id: string; key?: string }[] = [];
  for (const id of await store.activeIds()) {
    const rec = await store.get(id);
    if (!rec || Date.parse(rec.updatedAt) > now - staleMs) continue;
    const work = pendingWork(rec);
    if (work) out.push({ workflow: work.workflow, id, ...(work.key ? { key: work.key } : {}) });
  }
  return out;
}
