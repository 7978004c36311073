/**
 * The add-on record and its state machine. Pure: no I/O. The store persists these records; the
 * workflows fill in `resources` step by step; the dashboard reads them.
 */

export const ADDON_STATES = ['provisioning', 'provisioned', 'failed', 'deprovisioning', 'deprovisioned'] as const;
export type AddonState = (typeof ADDON_STATES)[number];

/** Named steps of the provision workflow, in order. */
export const PROVISION_STEPS = [
  'exchangeGrant',
  'findUpstream',
  'createAsset',
  'createApiInstance',
  'applyPolicy',
  'deployProxy',
  'waitUntilRunning',
  'setConfigVars',
  'reportProvisioned',
] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

export const DEPROVISION_STEPS = ['deleteApplication', 'deleteApiInstance', 'deleteAsset', 'reportDeprovisioned'] as const;
export type DeprovisionStep = (typeof DEPROVISION_STEPS)[number];

export type StepName = ProvisionStep | DeprovisionStep | 'changePlan' | 'compensate';

export interface StepEvent {
  step: StepName;
  status: 'started' | 'done' | 'retrying' | 'failed' | 'skipped';
  at: string;
  attempt?: number;
  message?: string;
}

/** Ids of everything made remotely, filled in by the workflows as each step completes. */
export interface AddonResources {
  herokuAppId?: string;
  herokuAppName?: string;
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
  /** Sealed (AES-256-GCM) JSON of the OAuth grant `{code, expires_at}`; removed once exchanged. */
  oauthGrantSealed?: string;
  /** Sealed JSON of `{accessToken, refreshToken, expiresAt}`. */
  herokuTokensSealed?: string;
  resources: AddonResources;
  /** The most recent step events, newest last (bounded). */
  timeline: StepEvent[];
  /** Bumped on every write; lets the dashboard and tests see progress. */
  rev: number;
}

export const TIMELINE_LIMIT = 60;

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

export function isActive(state: AddonState): boolean {
  return state === 'provisioning' || state === 'deprovisioning';
}

/** A provisioned add-on whose policy does not carry its plan yet (a plan change to apply). */
export function planDrift(rec: AddonRecord): boolean {
  const r = rec.resources;
  return rec.state === 'provisioned' && !!r.policyId && r.policyPlan !== rec.plan && r.planChangeFailedFor !== rec.plan;
}

/** Whether the sweeper must watch this record: work outstanding of any kind. */
export function needsWork(rec: AddonRecord): boolean {
  return isActive(rec.state) || planDrift(rec);
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

export function withEvent(rec: AddonRecord, ev: StepEvent): AddonRecord {
  const timeline = [...rec.timeline, ev];
  if (timeline.length > TIMELINE_LIMIT) timeline.splice(0, timeline.length - TIMELINE_LIMIT);
  return { ...rec, timeline };
}

/** What a record looks like outside the service: no sealed secrets. */
export function publicView(rec: AddonRecord) {
  const { oauthGrantSealed: _g, herokuTokensSealed: _t, ...rest } = rec;
  return rest;
}
