import type { Boundary } from './boundary';
import type { RunState, StepEvent } from './progress';
import type { Region } from './regions';
import type { TargetName } from './targets';

/**
 * The add-on record and its state machine. Pure: no I/O. The store persists these records; the
 * workflows fill in `resources` step by step; the dashboard reads them.
 */

export const ADDON_STATES = ['provisioning', 'provisioned', 'failed', 'deprovisioning', 'deprovisioned'] as const;
export type AddonState = (typeof ADDON_STATES)[number];

/** Ids of what the add-on made that does not depend on where its API runs. */
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
  envName?: string;
  assetGroupId?: string;
  assetId?: string;
  assetVersion?: string;
  /** The proxy URL the app's config var holds (set through the Partner API). */
  configuredUrl?: string;
  provisionReported?: boolean;
  deprovisionReported?: boolean;
  /** A plan whose change was refused for good (not re-driven until the plan changes again). */
  planChangeFailedFor?: string;
  /** Heroku's add-on webhook (follow the app): its id, or why there is none (`refused`: 403/404, `no-url`: PUBLIC_URL unset). */
  webhookId?: string;
  webhookState?: 'subscribed' | 'refused' | 'no-url';
  /** follow-app: the upstream the run is moving the route to (set by its first step, cleared at its end). */
  followUpstream?: string;
  /** Why the next follow-app runs (a webhook event, the periodic re-check). */
  followReason?: string;
  /** When the upstream last changed after provisioning, and why. */
  upstreamChangedAt?: string;
  upstreamChangeReason?: string;
  /** When the periodic re-check last read the app's domains. */
  appCheckedAt?: string;
}

/**
 * Where the add-on's API runs on one target: its API instance, its policy and, by target, the shared
 * gateway slot (omni) or the dedicated proxy application (ch2). An add-on has one placement; during
 * a move to another target it has a second (`next`); after the move the old one is `retired` until
 * it is removed.
 */
export interface Placement {
  target: TargetName;
  region: Region;
  apiId?: string;
  /** The rate-limit policy and the plan whose limit it carries. */
  policyId?: string;
  policyPlan?: string;
  /** omni: the pool slot (`us-1`), its gateway, the API's base path on it. */
  slot?: string;
  gatewayId?: string;
  gatewayName?: string;
  basePath?: string;
  /** ch2: the space (deployment target) id, the proxy application and its deployments. */
  targetId?: string;
  applicationName?: string;
  proxyDeploymentId?: string;
  amcDeploymentId?: string;
  deployStartedAt?: string;
  /** follow-app: when the route was last pointed at a new upstream (its wait counts from here). */
  rerouteStartedAt?: string;
  /** The public URL clients call. */
  proxyUrl?: string;
  /** The console's policies on this instance (asset id → policy id): header injection, client-id enforcement, IP allowlist, CORS. */
  policies?: Record<string, string>;
  /** The keys' contracts with this instance (key id → contract id). */
  contracts?: Record<string, string>;
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
  /** Sealed JSON of the provision's `log_input_url` (it carries credentials): where the gateway's traffic goes for `heroku logs`. */
  logInputUrlSealed?: string;
  /** Sealed JSON of `{authorization, secret}`: what Heroku's webhook deliveries to this add-on carry and are signed with. */
  webhookSecretsSealed?: string;
  /** Sealed JSON of the origin secret `{current, next?}` (src/domain/boundary.ts OriginSecret). */
  originSecretSealed?: string;
  /** Sealed JSON of a new key `{keyId, clientId, clientSecret}`, until the dashboard has shown it once. */
  keyRevealSealed?: string;
  /** API keys, IP allowlist, CORS, and the change under way (the dashboard's policy console). */
  boundary?: Boundary;
  resources: AddonResources;
  /** The target the add-on's plan asks for (PLAN_TARGETS / ANYPOINT_DEFAULT_TARGET when the plan was set). */
  target: TargetName;
  /** Where its API runs now. */
  placement?: Placement;
  /** Where it is moving to (a plan change across targets), until the move completes or is undone. */
  next?: Placement;
  /** Where it ran before a move, until that is removed. */
  retired?: Placement;
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

/**
 * States a record ends in: no work follows unless Heroku asks again (a DELETE of a `failed` add-on).
 * A record in one of them is kept as a tombstone for `TOMBSTONE_TTL_DAYS` and then expires (Heroku
 * never reuses a uuid, so a late provision within that window is all it has to answer: 410).
 */
export const FINAL_STATES: readonly AddonState[] = ['failed', 'deprovisioned'];

export function isFinal(state: AddonState): boolean {
  return FINAL_STATES.includes(state);
}

/** Whether a change of `rec.plan` is settled or refused for good (nothing to re-drive). */
const planSettledOrRefused = (rec: AddonRecord) => rec.resources.planChangeFailedFor === rec.plan;

/** A provisioned add-on whose plan asks for another target than the one it runs on (a move to make). */
export function targetDrift(rec: AddonRecord): boolean {
  return rec.state === 'provisioned' && !!rec.placement && rec.placement.target !== rec.target && !planSettledOrRefused(rec);
}

/** A provisioned add-on whose policy does not carry its plan yet, on the right target (a policy rewrite). */
export function planDrift(rec: AddonRecord): boolean {
  const p = rec.placement;
  return rec.state === 'provisioned' && !!p?.policyId && p.target === rec.target && p.policyPlan !== rec.plan && !planSettledOrRefused(rec);
}

export type AddonWorkflowName = 'provision' | 'deprovision' | 'plan-change' | 'move' | 'retire' | 'follow-app' | 'policy';

/** Work a record still needs: the workflow that does it and the job's key (the sweeper sees it done). */
export interface PendingWork {
  workflow: AddonWorkflowName;
  key?: string;
}

/** The next work a record needs, one workflow at a time, in this order. */
export function pendingWork(rec: AddonRecord): PendingWork | null {
  if (rec.state === 'provisioning') return { workflow: 'provision' };
  if (rec.state === 'deprovisioning') return { workflow: 'deprovision' };
  if (rec.state !== 'provisioned') return null;
  // the old placement of a finished move goes first, then a move under way, then a new one
  if (rec.retired) return { workflow: 'retire' };
  // a follow-app run or a dashboard change cut short finishes before a move starts (the move waits
  // for both; the console takes no change while a move is under way, so a change beside `next` can
  // only be one that began in the instant before the move did: the move goes on, the change after)
  if (rec.runs?.['follow-app']) return { workflow: 'follow-app', key: 'resume' };
  if (rec.boundary?.change && !rec.next) return { workflow: 'policy', key: rec.boundary.change.id };
  if (rec.next || targetDrift(rec)) return { workflow: 'move', key: rec.plan };
  if (planDrift(rec)) return { workflow: 'plan-change', key: rec.plan };
  // a change of the app's hosts that no run has followed yet (its job lost)
  if (rec.resources.followReason) return { workflow: 'follow-app', key: 'resume' };
  return null;
}

/** Whether the sweeper must watch this record: work outstanding of any kind. */
export function needsWork(rec: AddonRecord): boolean {
  return pendingWork(rec) !== null;
}

export function newRecord(input: {
  uuid: string;
  plan: string;
  /** The target the plan runs on. */
  target: TargetName;
  region: string;
  name: string;
  callbackUrl?: string;
  options: Record<string, string>;
  oauthGrantSealed?: string;
  logInputUrlSealed?: string;
  now: Date;
}): AddonRecord {
  const at = input.now.toISOString();
  return {
    uuid: input.uuid,
    state: 'provisioning',
    plan: input.plan,
    provisionPlan: input.plan,
    target: input.target,
    region: input.region,
    name: input.name,
    callbackUrl: input.callbackUrl,
    options: input.options,
    createdAt: at,
    updatedAt: at,
    oauthGrantSealed: input.oauthGrantSealed,
    ...(input.logInputUrlSealed ? { logInputUrlSealed: input.logInputUrlSealed } : {}),
    resources: {},
    timeline: [],
    rev: 1,
  };
}

/** What a record looks like outside the service: no sealed secrets. */
export function publicView(rec: AddonRecord) {
  const { oauthGrantSealed: _g, herokuTokensSealed: _t, logInputUrlSealed: _l, webhookSecretsSealed: _w, originSecretSealed: _o, keyRevealSealed: _k, ...rest } = rec;
  return rest;
}
