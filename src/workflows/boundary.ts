import { randomBytes } from 'node:crypto';
import type { AddonRecord, Placement } from '../domain/addon';
import {
  type ApiKey,
  type Boundary,
  boundaryOf,
  clientAppNameFor,
  clientAppPrefixFor,
  CLIENT_ID_ENFORCEMENT_ASSET_ID,
  CORS_ASSET_ID,
  HEADER_INJECTION_ASSET_ID,
  headerInjectionConfiguration,
  HEADER_REMOVAL_ASSET_ID,
  headerRemovalConfiguration,
  IP_ALLOWLIST_ASSET_ID,
  ORIGIN_SECRET_PREVIOUS_VAR,
  ORIGIN_SECRET_VAR,
  type OriginSecret,
  type PolicySettings,
  wantedKeys,
  wantedPolicies,
  wantedSettings,
} from '../domain/boundary';
import { PermanentFailure, type StepResult, Wait } from '../engine';
import { placementOf, type Which } from '../targets/placement';
import { type AddonStep, type AddonWorkflow, platformFor, type WorkflowDeps } from './deps';
import { ensurePolicy, removePolicy } from './policy';

/**
 * The gateway as a boundary: the origin secret (made at provisioning, injected by the gateway as
 * a header on every upstream request, rotated from the dashboard), and the dashboard's policy
 * console (API keys = client applications with contracts on the add-on's API instances, client-id
 * enforcement, IP allowlist, CORS). Every console change is one run of the `policy` workflow under
 * the add-on's lock: applied on every placement → waited for until live (POLICY_APPLY_MS) →
 * recorded on the timeline with who asked. A change that fails is undone (the previous settings
 * applied again) and the page says why.
 */

const CONSOLE_ASSETS = [CLIENT_ID_ENFORCEMENT_ASSET_ID, IP_ALLOWLIST_ASSET_ID, CORS_ASSET_ID] as const;

export function newOriginSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function originSecretOf(deps: WorkflowDeps, rec: AddonRecord): OriginSecret {
  if (!rec.originSecretSealed) throw new PermanentFailure('the add-on has no origin secret');
  return deps.box.openField<OriginSecret>(rec.uuid, 'originSecretSealed', rec.originSecretSealed);
}

function sealSecret(deps: WorkflowDeps, rec: AddonRecord, s: OriginSecret): string {
  return deps.box.sealField(rec.uuid, 'originSecretSealed', s);
}

/** Provision: the add-on's origin secret, made once (a retry keeps the first). */
export const makeOriginSecret: AddonStep = {
  name: 'makeOriginSecret',
  label: 'Making the origin secret',
  async run({ deps, rec }) {
    if (rec.originSecretSealed) return;
    const sealed = sealSecret(deps, rec, { current: newOriginSecret() });
    return { change: (r) => (r.originSecretSealed ? r : { ...r, originSecretSealed: sealed }) };
  },
};

/** What a placement's gateway must carry. */
interface GatewayState {
  secret: string;
  settings: PolicySettings;
  keys: ApiKey[];
}

/** The state a change asks for (`apply`), or the one in force before it (`restore`, after a failure). */
function gatewayState(deps: WorkflowDeps, rec: AddonRecord, mode: 'apply' | 'restore'): GatewayState {
  const b = boundaryOf(rec);
  const s = originSecretOf(deps, rec);
  const c = b.change;
  if (mode === 'restore') {
    return { secret: s.current, settings: b.settings, keys: b.keys.filter((k) => !!k.applicationId && !(c?.kind === 'key-create' && c.keyId === k.id)) };
  }
  const secret = c?.kind === 'rotate' && s.next ? s.next : s.current;
  return { secret, settings: wantedSettings(b), keys: wantedKeys(b).filter((k) => !!k.applicationId) };
}

/** One placement brought to `state`: the header injection, the console's policies, one contract per key. */
async function bringPlacement(deps: WorkflowDeps, rec: AddonRecord, p: Placement, state: GatewayState): Promise<Partial<Placement>> {
  const apiId = p.apiId as string;
  const policies: Record<string, string> = {};
  // a caller's own origin-secret header goes first (header removal runs before injection), then the real one is added
  policies[HEADER_REMOVAL_ASSET_ID] = await ensurePolicy(deps, apiId, HEADER_REMOVAL_ASSET_ID, headerRemovalConfiguration());
  policies[HEADER_INJECTION_ASSET_ID] = await ensurePolicy(deps, apiId, HEADER_INJECTION_ASSET_ID, headerInjectionConfiguration(state.secret));
  const wanted = wantedPolicies(state.settings);
  for (const assetId of CONSOLE_ASSETS) {
    const config = wanted[assetId];
    if (config) policies[assetId] = await ensurePolicy(deps, apiId, assetId, config);
    else await removePolicy(deps, apiId, assetId);
  }
  const contracts: Record<string, string> = {};
  const r = rec.resources;
  const existing = state.keys.length || Object.keys(p.contracts ?? {}).length ? await deps.anypoint.clientApps.contractsOf(apiId) : [];
  for (const key of state.keys) {
    const found = existing.find((c) => c.applicationId === key.applicationId);
    const made = found ??
      (await deps.anypoint.clientApps.createContract(key.applicationId as string, {
        apiId,
        groupId: r.assetGroupId as string,
        assetId: r.assetId as string,
        version: r.assetVersion as string,
        versionGroup: 'v1',
      }));
    contracts[key.id] = made.id;
  }
  // contracts of keys no longer wanted (revoked, or a creation undone)
  const keep = new Set(Object.values(contracts));
  const appIds = new Set(boundaryOf(rec).keys.map((k) => k.applicationId).filter((id): id is string => !!id));
  for (const c of existing) if (!keep.has(c.id) && c.applicationId && appIds.has(c.applicationId)) await deps.anypoint.clientApps.deleteContract(apiId, c.id);
  return { policies, contracts };
}

/** The placements with an API instance a change applies to: the current one and, during a move, the new one. */
function livePlacements(rec: AddonRecord): Which[] {
  return (['placement', 'next'] as const).filter((w) => !!rec[w]?.apiId);
}

function placedAll(patches: Partial<Record<Which, Partial<Placement>>>, extra?: (r: AddonRecord) => AddonRecord, note?: string): StepResult<AddonRecord> {
  return {
    change: (r) => {
      let next = r;
      for (const [w, patch] of Object.entries(patches) as [Which, Partial<Placement>][]) if (next[w]) next = { ...next, [w]: { ...next[w], ...patch } };
      return extra ? extra(next) : next;
    },
    note,
  };
}

/**
 * Provision and move: the origin secret's header injection, the console's policies and every
 * key's contract on one placement's instance (before it is deployed, so it serves with them).
 */
export function applyBoundary(which: Which): AddonStep {
  return {
    name: which === 'placement' ? 'applyBoundary' : 'carryBoundary',
    label: which === 'placement' ? 'Adding the origin secret to the gateway' : 'Carrying the policies and keys over',
    async run({ deps, rec }) {
      const b = boundaryOf(rec);
      const s = originSecretOf(deps, rec);
      // a rotation whose new value the gateway already sends: the new placement sends it too
      const secret = b.change?.kind === 'rotate' && b.change.appliedAt && s.next ? s.next : s.current;
      const state: GatewayState = { secret, settings: b.settings, keys: b.keys.filter((k) => k.state === 'active' && !!k.applicationId) };
      const patch = await bringPlacement(deps, rec, placementOf(rec, which), state);
      return placedAll({ [which]: patch }, undefined, which === 'next' ? `${Object.keys(patch.policies ?? {}).length} policies and ${Object.keys(patch.contracts ?? {}).length} keys on the new gateway` : undefined);
    },
  };
}

/** Puts `applyBoundary(which)` right after the target's rate-limit step (so the deploy carries both). */
export function withBoundary(steps: AddonStep[], which: Which): AddonStep[] {
  const i = steps.findIndex((s) => s.name.endsWith('.applyPolicy'));
  const at = i < 0 ? steps.length : i + 1;
  return [...steps.slice(0, at), applyBoundary(which), ...steps.slice(at)];
}

// ── the policy workflow ─────────────────────────────────────────────────────────────────────

const withBoundaryOf = (r: AddonRecord, fn: (b: Boundary) => Boundary): AddonRecord => ({ ...r, boundary: fn(boundaryOf(r)) });

const applyChange: AddonStep = {
  name: 'policy.apply',
  label: 'Applying the change on the gateway',
  async run({ deps, rec, now }) {
    const state = gatewayState(deps, rec, 'apply');
    const patches: Partial<Record<Which, Partial<Placement>>> = {};
    for (const w of livePlacements(rec)) patches[w] = await bringPlacement(deps, rec, placementOf(rec, w), state);
    const at = now.toISOString();
    return placedAll(patches, (r) => withBoundaryOf(r, (b) => (b.change ? { ...b, change: { ...b.change, appliedAt: at } } : b)));
  },
};

const waitLive: AddonStep = {
  name: 'policy.waitLive',
  label: 'Waiting for the gateway to enforce it',
  async run({ deps, rec, now }) {
    const c = boundaryOf(rec).change;
    // the platform lists what it was given (a policy missing from the list never reached it)
    for (const w of livePlacements(rec)) {
      const p = placementOf(rec, w);
      const listed = new Set((await deps.anypoint.policies.listPolicies(p.apiId as string)).map((x) => x.id));
      for (const id of Object.values(p.policies ?? {})) if (!listed.has(id)) throw Object.assign(new Error('a policy just applied is not listed yet'), { retryable: true });
    }
    const since = Date.parse(c?.appliedAt ?? now.toISOString());
    const left = since + deps.config.POLICY_APPLY_MS - now.getTime();
    if (left > 0) throw new Wait(left, 'the gateway is taking the change on');
  },
};

/** Key creation: the client application (found by its name first), its id and client id on the key, its secret sealed until shown. */
const createApplication: AddonStep = {
  name: 'key.createApplication',
  label: 'Creating the API key',
  async run({ deps, rec }) {
    const c = boundaryOf(rec).change;
    const key = boundaryOf(rec).keys.find((k) => k.id === c?.keyId);
    if (!key) throw new PermanentFailure('the key to create is not on the record');
    const name = clientAppNameFor(rec.uuid, key.id);
    const apps = deps.anypoint.clientApps;
    let app = key.applicationId ? await apps.get(key.applicationId) : await apps.findByName(name);
    if (app && !app.clientSecret) app = await apps.get(app.id);
    if (!app) app = await apps.create(name, `API key "${key.name}" of the Heroku add-on ${rec.uuid} (anypoint-api-gateway)`);
    if (!app.clientId || !app.clientSecret) app = (await apps.get(app.id)) ?? app;
    if (!app.clientId || !app.clientSecret) throw new PermanentFailure('the platform made the client application without a client id and secret');
    const reveal = deps.box.sealField(rec.uuid, 'keyRevealSealed', { keyId: key.id, name: key.name, clientId: app.clientId, clientSecret: app.clientSecret });
    const { id: applicationId, clientId } = app;
    return {
      change: (r) => ({
        ...withBoundaryOf(r, (b) => ({ ...b, keys: b.keys.map((k) => (k.id === key.id ? { ...k, applicationId, clientId } : k)) })),
        keyRevealSealed: reveal,
      }),
    };
  },
};

/** Key revocation, once no placement holds its contract: the client application goes (404 = gone). */
const deleteApplication: AddonStep = {
  name: 'key.deleteApplication',
  label: 'Revoking the API key',
  async run({ deps, rec }) {
    const c = boundaryOf(rec).change;
    const key = boundaryOf(rec).keys.find((k) => k.id === c?.keyId);
    if (key?.applicationId) await deps.anypoint.clientApps.delete(key.applicationId);
    else if (key) {
      const found = await deps.anypoint.clientApps.findByName(clientAppNameFor(rec.uuid, key.id));
      if (found) await deps.anypoint.clientApps.delete(found.id);
    }
  },
};

/** Rotation, first half: the app gets the new value and keeps the old one as _PREVIOUS (Heroku restarts it). */
const rotateConfigVars: AddonStep = {
  name: 'rotate.configVars',
  label: 'Giving the app the new origin secret',
  async run({ deps, rec, now }) {
    let s = originSecretOf(deps, rec);
    let sealed: string | undefined;
    if (!s.next) {
      s = { ...s, next: newOriginSecret() };
      sealed = sealSecret(deps, rec, s);
    }
    await platformFor(deps, rec).setConfig(rec.uuid, { [ORIGIN_SECRET_VAR]: s.next as string, [ORIGIN_SECRET_PREVIOUS_VAR]: s.current });
    const at = now.toISOString();
    return { change: (r) => withBoundaryOf(sealed ? { ...r, originSecretSealed: sealed } : r, (b) => (b.change ? { ...b, change: { ...b.change, configAt: at } } : b)) };
  },
};

const rotateWaitRestart: AddonStep = {
  name: 'rotate.waitRestart',
  label: 'Waiting for the app to restart',
  async run({ deps, rec, now }) {
    const since = Date.parse(boundaryOf(rec).change?.configAt ?? now.toISOString());
    const left = since + deps.config.ORIGIN_SECRET_RESTART_MS - now.getTime();
    if (left > 0) throw new Wait(left, 'Heroku is restarting the app with the new origin secret');
  },
};

/** Rotation, last: the gateway sends the new value everywhere; _PREVIOUS is cleared (another restart). */
const rotateFinish: AddonStep = {
  name: 'rotate.finish',
  label: 'Retiring the old origin secret',
  async run({ deps, rec }) {
    const s = originSecretOf(deps, rec);
    if (!s.next) return;
    // null unsets the var (the Platform API's `value: string|null`)
    await platformFor(deps, rec).setConfig(rec.uuid, { [ORIGIN_SECRET_VAR]: s.next, [ORIGIN_SECRET_PREVIOUS_VAR]: null });
    const sealed = sealSecret(deps, rec, { current: s.next });
    return { change: (r) => ({ ...r, originSecretSealed: sealed }) };
  },
};

const recordChange: AddonStep = {
  name: 'policy.record',
  label: 'Recording the change',
  async run({ rec }) {
    const c = boundaryOf(rec).change;
    if (c) return { note: `${c.summary} (by ${c.by})` };
  },
};

/** After a failure: the gateway back to what was in force (the previous policies, keys and secret). */
const restore: AddonStep = {
  name: 'policy.restore',
  label: 'Putting the previous policy back',
  async run({ deps, rec }) {
    const b = boundaryOf(rec);
    const c = b.change;
    const state = gatewayState(deps, rec, 'restore');
    const patches: Partial<Record<Which, Partial<Placement>>> = {};
    for (const w of livePlacements(rec)) patches[w] = await bringPlacement(deps, rec, placementOf(rec, w), state);
    // a key whose creation failed: its client application goes too
    const key = c?.kind === 'key-create' ? b.keys.find((k) => k.id === c.keyId) : undefined;
    if (key) {
      const app = key.applicationId ? { id: key.applicationId } : await deps.anypoint.clientApps.findByName(clientAppNameFor(rec.uuid, key.id));
      if (app) await deps.anypoint.clientApps.delete(app.id);
    }
    // a rotation that failed: the gateway sends the old value again; the app keeps accepting both
    const s = originSecretOf(deps, rec);
    let sealed: string | undefined;
    if (c?.kind === 'rotate' && s.next) {
      if (c.configAt) await platformFor(deps, rec).setConfig(rec.uuid, { [ORIGIN_SECRET_VAR]: s.current, [ORIGIN_SECRET_PREVIOUS_VAR]: s.next });
      sealed = sealSecret(deps, rec, { current: s.current });
    }
    return placedAll(patches, (r) => ({ ...r, ...(sealed ? { originSecretSealed: sealed } : {}), ...(key ? { keyRevealSealed: undefined } : {}) }));
  },
};

function stepsFor(rec: AddonRecord): AddonStep[] {
  switch (boundaryOf(rec).change?.kind) {
    case 'key-create':
      return [createApplication, applyChange, waitLive, recordChange];
    case 'key-revoke':
      return [applyChange, deleteApplication, waitLive, recordChange];
    case 'rotate':
      return [rotateConfigVars, rotateWaitRestart, applyChange, waitLive, rotateFinish, recordChange];
    case 'settings':
      return [applyChange, waitLive, recordChange];
    default:
      return [];
  }
}

const live = (rec: AddonRecord) => rec.state === 'provisioned';

export const POLICY: AddonWorkflow = {
  name: 'policy',
  repeatable: true,
  steps: stepsFor,
  applies: (rec) => live(rec) && !!rec.boundary?.change,
  wanted: live,
  advice: 'The gateway keeps the policies it had; try again, or contact support with the add-on id.',
  compensation: [restore],
  succeeded: (rec) =>
    withBoundaryOf(rec, (b) => {
      const c = b.change;
      if (!c) return b;
      const keys =
        c.kind === 'key-revoke' ? b.keys.filter((k) => k.id !== c.keyId) : c.kind === 'key-create' ? b.keys.map((k) => (k.id === c.keyId ? { ...k, state: 'active' as const } : k)) : b.keys;
      return { ...b, settings: wantedSettings(b), keys, change: undefined, lastFailure: undefined };
    }),
  failed: (rec, run, now) =>
    withBoundaryOf(rec, (b) => {
      const c = b.change;
      if (!c) return b;
      const keys = c.kind === 'key-create' ? b.keys.filter((k) => k.id !== c.keyId) : b.keys;
      return { ...b, keys, change: undefined, lastFailure: { summary: c.summary, reason: run.failure ?? 'the change failed', at: now.toISOString() } };
    }),
};

// ── teardown ────────────────────────────────────────────────────────────────────────────────

/**
 * Deprovision: every key's contracts and its client application (also the ones a lost answer left
 * unnamed on the record: found by the add-on's name prefix) go; 404 = gone. The policies stay until
 * the API instances go (TEARDOWN's next steps; an instance takes its policies with it), so the
 * gateway never serves without its origin secret, allowlist or key check while it is torn down.
 * One refused removal does not stop the others: every one is tried, then the first error is thrown
 * (the step is tried again, or its leftover recorded).
 */
export const removeKeys: AddonStep = {
  name: 'removeKeys',
  label: 'Removing the API keys',
  async run({ deps, rec }) {
    const apps = deps.anypoint.clientApps;
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (err) {
        errors.push(err);
      }
    };
    const appIds = new Set(boundaryOf(rec).keys.map((k) => k.applicationId).filter((id): id is string => !!id));
    for (const a of await apps.findByPrefix(clientAppPrefixFor(rec.uuid))) appIds.add(a.id);
    for (const p of [rec.placement, rec.next, rec.retired]) {
      if (!p?.apiId) continue;
      const apiId = p.apiId;
      if (!(await deps.anypoint.apiManager.getApi(apiId))) continue;
      for (const c of await apps.contractsOf(apiId)) if (c.applicationId && appIds.has(c.applicationId)) await attempt(() => apps.deleteContract(apiId, c.id));
    }
    for (const id of appIds) await attempt(() => apps.delete(id));
    if (errors.length) throw errors[0];
    return { change: (r) => ({ ...r, keyRevealSealed: undefined, boundary: r.boundary ? { ...r.boundary, keys: [], change: undefined } : undefined }) };
  },
};

/** Retire (after a move): the old instance's contracts go before it does. */
export function removeContracts(which: Which): AddonStep {
  return {
    name: 'removeContracts',
    label: 'Removing the API keys from the old gateway',
    async run({ deps, rec }) {
      const p = rec[which];
      if (!p?.apiId || !(await deps.anypoint.apiManager.getApi(p.apiId))) return;
      const appIds = new Set(boundaryOf(rec).keys.map((k) => k.applicationId).filter((id): id is string => !!id));
      for (const c of await deps.anypoint.clientApps.contractsOf(p.apiId)) if (c.applicationId && appIds.has(c.applicationId)) await deps.anypoint.clientApps.deleteContract(p.apiId, c.id);
      return { change: (r) => (r[which] ? { ...r, [which]: { ...r[which], contracts: undefined } } : r) };
    },
  };
}
