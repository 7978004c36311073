import { ConflictError } from '../clients/errors';
import { pickGatewayVersion } from '../domain/runtimes';
import { PermanentFailure, Wait, type Step, type StepResult, type Workflow } from '../engine';
import type { GatewayRecord } from '../store/gateways';
import { spaceTarget } from '../targets';
import type { WorkflowDeps } from './deps';

/**
 * The shared gateways of the omni target, one workflow per pool slot (`us-1`, `eu-3`, …), under the
 * slot's lock: `gateway` makes the slot's managed Omni Gateway and waits until it runs; `gateway-
 * remove` takes away a gateway the sweep found empty for longer than OMNI_GATEWAY_IDLE_GRACE_MS
 * (never the region's first). Each step looks the gateway up by its deterministic name before it
 * creates, so a retry or a crashed worker never makes two for one slot.
 */

type GatewayStep = Step<GatewayRecord, WorkflowDeps>;
export type GatewayWorkflow = Workflow<GatewayRecord, WorkflowDeps>;

const set = (patch: Partial<GatewayRecord>, note?: string): StepResult<GatewayRecord> => ({ change: (r) => ({ ...r, ...patch }), note });

const findSpace: GatewayStep = {
  name: 'findSpace',
  label: 'Finding the space',
  async run({ deps, rec }) {
    const space = await spaceTarget(deps, rec.region);
    return set({ targetId: space.id }, `space ${space.name}`);
  },
};

const pickVersion: GatewayStep = {
  name: 'pickVersion',
  label: 'Choosing the gateway version',
  async run({ deps }) {
    const picked = pickGatewayVersion(await deps.anypoint.gateways.versions(), deps.config.OMNI_GATEWAY_RUNTIME_VERSION);
    if (!picked.ok) throw new PermanentFailure(picked.message);
    return set({ runtimeVersion: picked.value }, `version ${picked.value}`);
  },
};

const createGateway: GatewayStep = {
  name: 'createGateway',
  label: 'Creating the gateway',
  async run({ deps, rec }) {
    const gateways = deps.anypoint.gateways;
    const existing = await gateways.findByName(rec.name);
    if (existing) return set({ gatewayId: existing.id }, 'found, made by an earlier try');
    try {
      const made = await gateways.create({
        name: rec.name,
        targetId: rec.targetId as string,
        runtimeVersion: rec.runtimeVersion as string,
        releaseChannel: 'lts',
        size: deps.config.OMNI_GATEWAY_SIZE,
      });
      return set({ gatewayId: made.id });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const again = await gateways.findByName(rec.name);
      if (!again) throw err;
      return set({ gatewayId: again.id });
    }
  },
};

const waitUntilRunning: GatewayStep = {
  name: 'waitUntilRunning',
  label: 'Waiting for the gateway to run',
  async run({ deps, rec, now }) {
    const status = await deps.anypoint.gateways.status(rec.gatewayId as string);
    if (status?.ready && status.running) {
      const gw = await deps.anypoint.gateways.get(rec.gatewayId as string);
      if (!gw?.publicUrl) throw new PermanentFailure(`gateway ${rec.name} runs without a public URL`);
      return set({ publicUrl: gw.publicUrl, apiLimit: gw.apiLimit }, `running at ${gw.publicUrl}`);
    }
    if (!status) throw new PermanentFailure(`gateway ${rec.name} disappeared while starting`);
    if (/fail|error/i.test(status.status)) throw new PermanentFailure(`gateway ${rec.name} failed to start (${status.status})`);
    const waited = now.getTime() - Date.parse(rec.createdAt);
    if (waited >= deps.config.OMNI_GATEWAY_DEADLINE_MS) throw new PermanentFailure(`gateway ${rec.name} did not start within ${Math.round(deps.config.OMNI_GATEWAY_DEADLINE_MS / 60_000)} minutes`);
    throw new Wait(deps.config.DEPLOY_POLL_MS, `gateway ${rec.name} is ${status.status}`);
  },
};

/** Removes the slot's gateway, found by id or by name (what a try that died before recording it made). */
const deleteGateway: GatewayStep = {
  name: 'deleteGateway',
  label: 'Removing the gateway',
  async run({ deps, rec }) {
    const id = rec.gatewayId ?? (await deps.anypoint.gateways.findByName(rec.name))?.id;
    if (id) await deps.anypoint.gateways.delete(id);
  },
};

/** Until the platform no longer knows it: a new gateway of the same name must never adopt one being deleted. */
const waitUntilGone: GatewayStep = {
  name: 'waitUntilGone',
  label: 'Waiting until the gateway is gone',
  async run({ deps, rec }) {
    const still = rec.gatewayId ? await deps.anypoint.gateways.get(rec.gatewayId) : await deps.anypoint.gateways.findByName(rec.name);
    if (still) throw new Wait(deps.config.DEPLOY_POLL_MS, `gateway ${rec.name} is being removed`);
    return set({ gatewayId: undefined, publicUrl: undefined });
  },
};

export const GATEWAY: GatewayWorkflow = {
  name: 'gateway',
  repeatable: true,
  steps: [findSpace, pickVersion, createGateway, waitUntilRunning],
  applies: (rec) => rec.state === 'creating',
  wanted: (rec) => rec.state === 'creating',
  // a gateway that was made but never ran is removed: nothing left that no slot names
  compensation: [deleteGateway, waitUntilGone],
  succeeded: (rec) => ({ ...rec, state: 'running', failureReason: undefined, failedAt: undefined }),
  failed: (rec, run, now) => ({ ...rec, state: 'failed', failedAt: now.toISOString(), failureReason: run.failure }),
};

export const GATEWAY_REMOVE: GatewayWorkflow = {
  name: 'gateway-remove',
  repeatable: true,
  steps: [deleteGateway, waitUntilGone],
  applies: (rec) => rec.state === 'removing',
  succeeded: (rec) => ({ ...rec, state: 'removed', gatewayId: undefined, publicUrl: undefined }),
  // refused for good: the gateway stays in the pool, usable, with the reason recorded
  failed: (rec, run) => ({ ...rec, state: 'running', failureReason: run.failure }),
};
