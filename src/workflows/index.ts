import { pendingWork } from '../domain/addon';
import type { AddonStore } from '../store/addons';
import { gatewayWork, type GatewayStore } from '../store/gateways';
import type { AddonWorkflow } from './deps';
import { DEPROVISION } from './deprovision';
import { GATEWAY, GATEWAY_REMOVE, type GatewayWorkflow } from './gateway';
import { MOVE } from './move';
import { PLAN_CHANGE } from './plan-change';
import { PROVISION } from './provision';
import { RETIRE } from './retire';
import { FOLLOW_APP } from './follow-app';
import { POLICY } from './boundary';

export * from './deps';
export { PROVISION } from './provision';
export { DEPROVISION } from './deprovision';
export { PLAN_CHANGE } from './plan-change';
export { MOVE } from './move';
export { RETIRE } from './retire';
export { FOLLOW_APP, wantedUpstream } from './follow-app';
export { subscribeWebhooks, removeWebhook, webhookUrlFor, WEBHOOK_INCLUDES, type WebhookSecrets } from './webhooks';
export { POLICY, newOriginSecret } from './boundary';
export { GATEWAY, GATEWAY_REMOVE, type GatewayWorkflow } from './gateway';
export { TEARDOWN } from './teardown';
export { guardUpstream, WORKER_RESOLVE_TIMEOUT_MS } from './upstream';

/** Every workflow of an add-on, by name (each has its queue). */
export const ADDON_WORKFLOWS: Readonly<Record<string, AddonWorkflow>> = Object.fromEntries(
  [PROVISION, DEPROVISION, PLAN_CHANGE, MOVE, RETIRE, FOLLOW_APP, POLICY].map((wf) => [wf.name, wf]),
);

/** Every workflow of a shared gateway slot, by name. */
export const GATEWAY_WORKFLOWS: Readonly<Record<string, GatewayWorkflow>> = Object.fromEntries([GATEWAY, GATEWAY_REMOVE].map((wf) => [wf.name, wf]));

export interface WorkRef {
  workflow: string;
  id: string;
  key?: string;
}

/**
 * The work records still need, for the sweeper: every add-on with work outstanding that no step
 * touched for `staleMs` (a live run writes often; a record that stays quiet lost its job), every
 * gateway slot being made or removed, and the empty gateways whose grace ran out (marked for
 * removal here, atomically with reservations).
 */
export async function pendingJobs(
  stores: { addons: AddonStore; gateways: GatewayStore },
  opts: { staleMs: number; idleGraceMs: number },
  now = Date.now(),
): Promise<WorkRef[]> {
  const out: WorkRef[] = [];
  for (const id of await stores.addons.activeIds()) {
    const rec = await stores.addons.get(id);
    if (!rec || Date.parse(rec.updatedAt) > now - opts.staleMs) continue;
    const work = pendingWork(rec);
    if (work) out.push({ workflow: work.workflow, id, ...(work.key ? { key: work.key } : {}) });
  }
  for (const gw of await stores.gateways.list()) {
    if (gw.state === 'running' && (await stores.gateways.retireIfIdle(gw.slot, opts.idleGraceMs, now))) gw.state = 'removing';
    const work = gatewayWork(gw);
    if (work && (gw.state === 'removing' || Date.parse(gw.updatedAt) <= now - opts.staleMs)) out.push({ workflow: work, id: gw.slot });
  }
  return out;
}
