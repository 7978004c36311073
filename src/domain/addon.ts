import type { RunState, StepEvent } from './progress';

/**
 * The add-on record and its state machine. Pure: no I/O. The store persists these records; the
 * workflows fill in `resources` step by step; the dashboard reads them.
 */

export const ADDON_STATES = ['provisioning', 'provisioned', 'failed', 'deprovisioning', 'deprovisioned'] as const;
export type AddonState = (typeof ADDON_STATES)[number];

/** Ids of everything made remotely, filled in by the workflows as each step completes. */
export interface AddonResources {
  herokuAppId?: string;
  herokuAppName?: string;
  /** The Heroku account owning the app (`GET /apps/{id}` → `owner.id`): fair use counts per owner. */
  herokuOwnerId?: string;
  /** Set by the write that passed the fair-use limits: from then on (while live) the add-on counts for its app and owner. */
  limitsChecked?: boolean;
  upstreamUrl?: string;
  orgId?: string;
  envId?: string;
  assetGroupId?: string;
  assetId?: string;
  assetVersion?: string;
  apiId?: string;
  policyId?: string;
  /** Plan whose limit the applied policy carries. */
  policyPlan?: string;
  cloudHubName?: string;
  deploymentId?: string;
  fullDomain?: string;
  proxyUrl?: string;
  deployStartedAt?: string;
  configVarsSet?: boolean;
  provisionReported?: boolean;
  deprovisionReported?: boolean;
  /** A plan whose policy rewrite was refused for good (not re-driven until the plan changes again). */
  planChangeFailedFor?: string;
}

export interface AddonRecord {
  uuid: string;
  state: AddonState;
  plan: string;
  /** The plan of the provision request (a late repeat of that request still gets its 202). */
  provisionPlan?: string;
  region: string;
  name: string;
  callbackUrl?: string;
  /** Non-secret options from `heroku addons:create ... -- --key=value`. */
  options: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  provisionedAt?: string;
  deprovisionRequestedAt?: string;
  deprovisionedAt?: string;
  failedAt?: string;
  /** Why the add-on failed, in words a person can read. */
  failureReason?: string;
  /** Pieces a teardown could not remove for good ("<step>: <why>"), for the operator to clean up. */
  leftovers?: string[];
  /** Sealed (AES-256-GCM) JSON of the OAuth grant `{code, expires_at}`; removed once exchanged. */
  oauthGrantSealed?: string;
  /** Sealed JSON of `{accessToken, refreshToken, expiresAt}`. */
  herokuTokensSealed?: string;
  resources: AddonResources;
  /** The most recent step events, newest last (bounded). */
  timeline: StepEvent[];
  /** Progress of the workflows under way (see src/engine). */
  runs?: Record<string, RunState>;
  /** Bumped on every write; lets the dashboard and tests see progress. */
  rev: number;
}

export class TransitionError extends Error {
  constructor(
    readonly code: 'not_found' | 'gone' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** Which states may move to which. */
const ALLOWED: Record<AddonState, AddonState[]> = {
  provisioning: ['provisioned', 'failed', 'deprovisioning'],
  provisioned: ['deprovisioning'],
  failed: ['deprovisioning', 'deprovisioned'],
  deprovisioning: ['deprovisioned'],
  deprovisioned: [],
};

export function canMove(from: AddonState, to: AddonState): boolean {
  return from === to || ALLOWED[from].includes(to);
}

/** A provisioned add-on whose policy does not carry its plan yet (a plan change to apply). */
export function planDrift(rec: AddonRecord): boolean {
  const r = rec.resources;
  return rec.state === 'provisioned' && !!r.policyId && r.policyPlan !== rec.plan && r.planChangeFailedFor !== rec.plan;
}

/** Work a record still needs: the workflow that does it and the job's key (the sweeper sees it done). */
export interface PendingWork {
  workflow: 'provision' | 'deprovision' | 'plan-change';
  key?: string;
}

export function pendingWork(rec: AddonRecord): PendingWork | null {
  if (rec.state === 'provisioning') return { workflow: 'provision' };
  if (rec.state === 'deprovisioning') return { workflow: 'deprovision' };
  if (planDrift(rec)) return { workflow: 'plan-change', key: rec.plan };
  return null;
}

/** Whether the sweeper must watch this record: work outstanding of any kind. */
export function needsWork(rec: AddonRecord): boolean {
  return pendingWork(rec) !== null;
}

export function newRecord(input: {
  uuid: string;
  plan: string;
  region: string;
  name: string;
  callbackUrl?: string;
  options: Record<string, string>;
  oauthGrantSealed?: string;
  now: Date;
}): AddonRecord {
  const at = input.now.toISOString();
  return {
    uuid: input.uuid,
    state: 'provisioning',
    plan: input.plan,
    provisionPlan: input.plan,
    region: input.region,
    name: input.name,
    callbackUrl: input.callbackUrl,
    options: input.options,
    createdAt: at,
    updatedAt: at,
    oauthGrantSealed: input.oauthGrantSealed,
    resources: {},
    timeline: [],
    rev: 1,
  };
}

/** What a record looks like outside the service: no sealed secrets. */
export function publicView(rec: AddonRecord) {
  const { oauthGrantSealed: _g, herokuTokensSealed: _t, ...rest } = rec;
  return rest;
}
