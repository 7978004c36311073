import type { AddonRecord } from '../domain/addon';
import type { RunState } from '../domain/progress';
import type { AddonWorkflow } from './deps';
import { TEARDOWN } from './teardown';

/** The record once the teardown ran: a tombstone (no secrets kept), so a late provision gets 410. */
function tombstone(rec: AddonRecord, run: RunState, now: Date): AddonRecord {
  return {
    ...rec,
    state: 'deprovisioned',
    deprovisionedAt: now.toISOString(),
    leftovers: run.leftovers?.length ? [...(rec.leftovers ?? []), ...run.leftovers] : rec.leftovers,
    herokuTokensSealed: undefined,
    oauthGrantSealed: undefined,
    logInputUrlSealed: undefined,
    webhookSecretsSealed: undefined,
    originSecretSealed: undefined,
    keyRevealSealed: undefined,
    resources: { ...rec.resources, configuredUrl: undefined },
  };
}

/**
 * Deprovision: the teardown steps, best effort. A retryable error is retried until it passes; a
 * piece Anypoint refuses to remove for good is recorded on the tombstone as a leftover (and logged
 * for the operator) instead of blocking the add-on's removal forever.
 */
export const DEPROVISION: AddonWorkflow = {
  name: 'deprovision',
  steps: TEARDOWN,
  bestEffort: true,
  applies: (rec) => rec.state === 'deprovisioning',
  succeeded: tombstone,
  failed: tombstone,
};
