import type { AddonRecord } from '../domain/addon';
import { type WorkflowDeps, nowOf, record } from './deps';
import { teardown } from './teardown';

/**
 * Deprovision: CloudHub application → API instance → Exchange asset; 404 counts as done; a
 * retryable error is retried by the queue until done. The record ends as a tombstone (no secrets
 * kept) so a late provision of the same uuid gets 410.
 */
export async function runDeprovision(deps: WorkflowDeps, uuid: string): Promise<'deprovisioned' | 'absent' | 'not-requested'> {
  const rec = await deps.store.get(uuid);
  if (!rec) return 'absent';
  if (rec.state === 'deprovisioned') return 'deprovisioned';
  if (rec.state !== 'deprovisioning') return 'not-requested';
  await teardown(deps, uuid);
  const final: AddonRecord = await record(deps, uuid, { configVarsSet: false }, undefined, () => ({
    state: 'deprovisioned',
    deprovisionedAt: nowOf(deps).toISOString(),
    herokuTokensSealed: undefined,
    oauthGrantSealed: undefined,
  }));
  deps.hooks?.finished?.('deprovision', 'succeeded', final);
  return 'deprovisioned';
}
