import type {
  AmcApplication,
  ApiContract,
  ApiInstance,
  ApiInstanceView,
  ApiPolicy,
  ClientApplication,
  ExchangeAsset,
  GatewayView,
  ManagedGatewayRecord,
  SandboxConfig,
  SandboxEnvironment,
  SandboxInventory,
  SandboxSpace,
} from './types';

export const DEFAULT_ORG_ID = '5f2a7c1e-3b4d-4e8f-9a10-2b3c4d5e6f70';
export const DEFAULT_ENVIRONMENTS: SandboxEnvironment[] = [
  { id: '8d1f0a2b-5c6e-4f70-8a91-b2c3d4e5f601', name: 'Sandbox', isProduction: false },
  { id: '8d1f0a2b-5c6e-4f70-8a91-b2c3d4e5f602', name: 'Production', isProduction: true },
];
/** The shared CloudHub 2.0 spaces of the add-on's two regions (ids fixed for tests). */
export const DEFAULT_SPACES: SandboxSpace[] = [
  { id: '3a1f5e6c-0b7d-4c2e-9f10-1a2b3c4d5e01', name: 'Cloudhub-US-East-2' },
  { id: '3a1f5e6c-0b7d-4c2e-9f10-1a2b3c4d5e02', name: 'Cloudhub-EU-West-1' },
];
/**
 * Mule runtime versions a CloudHub 2.0 target offers for a new deployment, CloudHub 2.0's published
 * shape (`baseVersion`, `tag`, `channel`): 4.9 LTS, 4.11 Edge. 4.4 and 4.6 are past their support and
 * not offered: a deploy that names them is refused.
 */
export const RUNTIME_VERSIONS = [
  { baseVersion: '4.9.8', tag: '4.9.8:3', channel: 'LTS', releaseDate: '2026-09-15', endOfStandardSupportDate: '2027-08-31' },
  { baseVersion: '4.9.7', tag: '4.9.7:2', channel: 'LTS', releaseDate: '2026-08-04', endOfStandardSupportDate: '2027-08-31' },
  { baseVersion: '4.11.2', tag: '4.11.2:1e', channel: 'EDGE', releaseDate: '2026-10-20', endOfStandardSupportDate: '2027-02-28' },
];
/** Runtime versions of new managed gateways, newest first per channel (Gateway Manager's versions list). */
export const GATEWAY_VERSIONS = { lts: ['1.10.3', '1.9.9'], edge: ['1.12.1'] };

/**
 * The connected app's scopes (context-aware, granted in every environment): those the add-on's
 * README asks an operator to grant. `configure({scopes})` takes one away on purpose.
 */
export const DEFAULT_CONNECTED_APP_SCOPES: readonly string[] = [
  'view:environment',
  'read:exchange',
  'create:exchange',
  'read:api_configuration',
  'manage:api_configuration',
  'read:api_policies',
  'manage:api_policies',
  'manage:api_proxies',
  'read:applications',
  'create:applications',
  'delete:applications',
  // the policy console's API keys (issue 18)
  'create:client_applications',
  'read:client_applications',
  'manage:api_contracts',
];

export const DEFAULT_CLIENT_ID = 'dev-anypoint-client';
export const DEFAULT_CLIENT_SECRET = 'dev-anypoint-client-secret';
/** The MuleSoft group that owns the standard policy templates. */
export const MULESOFT_POLICY_GROUP_ID = '68ef9520-24e9-4cf2-b2f5-620025690913';

/** A proxy deployment (proxies xapi): an API instance to a managed gateway (HY) or to CloudHub 2.0 (CH2). */
export interface DeploymentRecord {
  id: number;
  apiId: number;
  type: 'HY' | 'CH2';
  targetId: string;
  targetName: string;
  applicationName?: string;
  environmentId: string;
  environmentName: string;
  gatewayVersion: string;
  createdAt: number;
  /** HY: the API serves on its gateway from then on (once the gateway runs). */
  liveAt: number;
  createdDate: string;
  updatedDate: string;
}

/** What the gateway enforces of one policy over time: each entry takes effect at `from` (null = removed). */
export interface PolicyHistory {
  apiId: number;
  entries: { from: number; policy: ApiPolicy | null }[];
}

export interface RateWindows {
  signature: string;
  windows: { start: number; count: number }[];
}

export interface GatewayStats {
  requests: number;
  forwarded: number;
  rateLimited: number;
  notFound: number;
  upstreamErrors: number;
  /** Refused by client-ID enforcement (401). */
  unauthorized: number;
  /** Refused by the IP allowlist (403). */
  ipRefused: number;
}

export const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

export const assetKey = (groupId: string, assetId: string, version: string): string =>
  `${groupId}/${assetId}/${version}`;

/** All in-memory state of one sandbox. Plain data plus a few derived views. */
export class SandboxState {
  readonly environments: Required<SandboxEnvironment>[];
  readonly spaces: Required<SandboxSpace>[];
  config: SandboxConfig;
  gatewayPort: number;

  tokens = new Map<string, { clientId: string; expiresAt: number }>();
  assets = new Map<string, ExchangeAsset>();
  publications = new Map<string, { key: string; polls: number }>();
  apis = new Map<number, ApiInstance>();
  policies = new Map<number, ApiPolicy>();
  deployments = new Map<number, DeploymentRecord>();
  gateways = new Map<string, ManagedGatewayRecord>();
  /** CloudHub 2.0 proxy applications, by name. */
  applications = new Map<string, AmcApplication>();
  rateWindows = new Map<string, RateWindows>();
  /** Exchange client applications, by id. */
  clientApps = new Map<number, ClientApplication>();
  /** Contracts, by id; a deleted one stays (endedAt set) until its end is live at the gateway. */
  contracts = new Map<number, ApiContract>();
  /** The policies as the gateway sees them, by policy id (see livePolicies). */
  policyHistory = new Map<number, PolicyHistory>();
  accountsWindow = { start: 0, count: 0 };
  gatewayStats: GatewayStats = { requests: 0, forwarded: 0, rateLimited: 0, notFound: 0, upstreamErrors: 0, unauthorized: 0, ipRefused: 0 };

  // Ids keep growing across reset() so a stale id never names a new resource.
  private nextApiId = 18_000_001;
  private nextPolicyId = 4_000_001;
  private nextDeploymentId = 70_001;
  private nextPublication = 1;
  private nextClientAppId = 2_100_001;
  private nextContractId = 610_001;

  constructor(
    readonly orgId: string,
    environments: SandboxEnvironment[],
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly initialConfig: SandboxConfig,
    private readonly initialGatewayPort: number,
    spaces: SandboxSpace[] = DEFAULT_SPACES,
  ) {
    this.environments = environments.map((e) => ({ id: e.id, name: e.name, isProduction: e.isProduction ?? false }));
    this.spaces = spaces.map((x) => ({ ...x, type: x.type ?? 'shared-space' }));
    this.config = { ...initialConfig };
    this.gatewayPort = initialGatewayPort;
  }

  newApiId(): number {
    return this.nextApiId++;
  }
  newPolicyId(): number {
    return this.nextPolicyId++;
  }
  newDeploymentId(): number {
    return this.nextDeploymentId++;
  }
  newPublicationId(): string {
    return `pub-${this.nextPublication++}`;
  }
  newClientAppId(): number {
    return this.nextClientAppId++;
  }
  newContractId(): number {
    return this.nextContractId++;
  }

  /** A policy was applied or changed: the gateway enforces this copy once the apply delay has passed. */
  recordPolicy(p: ApiPolicy, now = Date.now()): void {
    this.pushPolicyEntry(p.id, p.apiId, structuredClone(p), now);
  }

  /** A policy was removed: the gateway stops enforcing it once the apply delay has passed. */
  recordPolicyRemoval(p: ApiPolicy, now = Date.now()): void {
    this.pushPolicyEntry(p.id, p.apiId, null, now);
  }

  private pushPolicyEntry(id: number, apiId: number, policy: ApiPolicy | null, now: number): void {
    const h = this.policyHistory.get(id) ?? { apiId, entries: [] };
    h.entries.push({ from: now + this.config.policyApplyDelayMs, policy });
    this.policyHistory.set(id, h);
  }

  /**
   * The policies of an API instance the gateway enforces now (enabled ones, by `order`): for each
   * policy, its newest version whose apply delay has passed. Versions no longer needed are dropped.
   */
  livePolicies(apiId: number, now = Date.now()): ApiPolicy[] {
    const out: ApiPolicy[] = [];
    for (const [id, h] of this.policyHistory) {
      if (h.apiId !== apiId) continue;
      let live = -1;
      h.entries.forEach((e, i) => {
        if (e.from <= now) live = i;
      });
      if (live > 0) h.entries.splice(0, live);
      if (live === -1) continue;
      const p = h.entries[0].policy;
      if (!p) {
        if (h.entries.length === 1) this.policyHistory.delete(id);
        continue;
      }
      if (!p.disabled) out.push(p);
    }
    return out.sort((a, b) => a.order - b.order || a.id - b.id);
  }

  /** Ends every standing contract matching `pick` (deleted application, deleted API, deleted contract). */
  endContracts(pick: (c: ApiContract) => boolean, now = Date.now()): void {
    for (const c of this.contracts.values()) if (c.endedAt === null && pick(c)) c.endedAt = now;
  }

  /** Whether the gateway honours the contract now: past its apply delay, and its end (if any) not yet applied. */
  contractLive(c: ApiContract, now = Date.now()): boolean {
    const delay = this.config.contractApplyDelayMs;
    if (c.endedAt !== null && now >= c.endedAt + delay) {
      this.contracts.delete(c.id);
      return false;
    }
    return now >= c.createdAt + delay;
  }

  /** Standing contracts (not deleted). */
  standingContracts(): ApiContract[] {
    return [...this.contracts.values()].filter((c) => c.endedAt === null);
  }

  env(id: string | undefined): Required<SandboxEnvironment> | undefined {
    return this.environments.find((e) => e.id === id);
  }

  /** Forget every resource, token and counter; config back to the options given at creation. */
  reset(): void {
    this.tokens.clear();
    this.assets.clear();
    this.publications.clear();
    this.apis.clear();
    this.policies.clear();
    this.deployments.clear();
    this.gateways.clear();
    this.applications.clear();
    this.rateWindows.clear();
    this.clientApps.clear();
    this.contracts.clear();
    this.policyHistory.clear();
    this.accountsWindow = { start: 0, count: 0 };
    this.gatewayStats = { requests: 0, forwarded: 0, rateLimited: 0, notFound: 0, upstreamErrors: 0, unauthorized: 0, ipRefused: 0 };
    this.config = { ...this.initialConfig };
  }

  /** A managed gateway's status, from the clock (no timers): STARTING → RUNNING, or FAILED. */
  /** The Mule runtimes CloudHub 2.0 offers for a new deployment (Edge only when `ltsRuntimes` is off). */
  offeredRuntimes(): typeof RUNTIME_VERSIONS {
    return this.config.ltsRuntimes ? RUNTIME_VERSIONS : RUNTIME_VERSIONS.filter((v) => v.channel !== 'LTS');
  }

  /** The versions a new managed gateway may run, per channel (no LTS channel when `ltsRuntimes` is off). */
  offeredGatewayVersions(): Partial<typeof GATEWAY_VERSIONS> {
    return this.config.ltsRuntimes ? GATEWAY_VERSIONS : { edge: GATEWAY_VERSIONS.edge };
  }

  gatewayStatus(g: ManagedGatewayRecord, now = Date.now()): { status: string; ready: boolean; running: boolean } {
    if (g.outcome === 'never' || now < g.readyAt) return { status: 'APPLYING', ready: false, running: false };
    if (g.outcome === 'fail') return { status: 'FAILED', ready: false, running: false };
    return { status: 'RUNNING', ready: true, running: true };
  }

  /** A CloudHub 2.0 proxy application's status, from the clock: APPLYING → APPLIED + RUNNING, or FAILED. */
  applicationStatus(a: AmcApplication, now = Date.now()): { status: string; applicationStatus: string } {
    if (a.outcome === 'never' || now < a.readyAt) return { status: 'APPLYING', applicationStatus: 'NOT_RUNNING' };
    // a rolling redeploy: the old replica keeps running until the new one is up
    if (a.pendingAt !== undefined && now < a.pendingAt) return { status: 'APPLYING', applicationStatus: 'RUNNING' };
    if (a.outcome === 'fail') return { status: 'FAILED', applicationStatus: 'NOT_RUNNING' };
    return { status: 'APPLIED', applicationStatus: 'RUNNING' };
  }

  /** The implementation URI a proxy application forwards to now (a finished redeploy's, else the one it started with). */
  applicationUri(a: AmcApplication, now = Date.now()): string {
    if (a.pendingUri !== undefined && a.pendingAt !== undefined && now >= a.pendingAt) {
      a.uri = a.pendingUri;
      a.pendingUri = undefined;
      a.pendingAt = undefined;
    }
    return a.uri;
  }

  /** Since when the API instance serves (epoch ms; its gateway's readiness and go-live, or its proxy's start); null when it has no deployment. */
  liveSince(api: ApiInstance): number | null {
    const d = api.deployment ? this.deployments.get(api.deployment.id) : undefined;
    if (!d) return null;
    if (d.type === 'HY') {
      const g = this.gateways.get(d.targetId);
      return g ? Math.max(d.liveAt, g.readyAt) : null;
    }
    const app = d.applicationName ? this.applications.get(d.applicationName) : undefined;
    return app ? app.readyAt : null;
  }

  /** Whether the API instance serves now: on a running gateway past its go-live, or through a running proxy application. */
  apiLive(api: ApiInstance, now = Date.now()): boolean {
    const d = api.deployment ? this.deployments.get(api.deployment.id) : undefined;
    if (!d) return false;
    if (d.type === 'HY') {
      const g = this.gateways.get(d.targetId);
      return !!g && this.gatewayStatus(g, now).running && now >= Math.max(d.liveAt, g.readyAt);
    }
    const app = d.applicationName ? this.applications.get(d.applicationName) : undefined;
    return !!app && app.apiId === api.id && this.applicationStatus(app, now).applicationStatus === 'RUNNING';
  }

  /** The API instance as API Manager returns it (status `active` once it serves). */
  apiView(api: ApiInstance): ApiInstanceView {
    const active = this.apiLive(api);
    const { description, deployment, ...rest } = api;
    // the spec types these as a string and an object: absent rather than null
    return {
      ...rest,
      // the spec's name for the instance id; the platform answers `id` too
      apiId: api.id,
      ...(description !== null ? { description } : {}),
      status: active ? 'active' : 'unregistered',
      // fields the response schema types without null (validation) are left out when unset
      endpoint: Object.fromEntries(Object.entries(api.endpoint).filter(([k, v]) => !(v === null && k === 'validation'))) as ApiInstance['endpoint'],
      ...(deployment ? { deployment: { ...deployment } } : {}),
    };
  }

  gatewayView(g: ManagedGatewayRecord): GatewayView {
    const st = this.gatewayStatus(g);
    const apis = [...this.deployments.values()].filter((d) => d.type === 'HY' && d.targetId === g.id).length;
    return { id: g.id, name: g.name, status: st.status, ready: st.ready, targetId: g.targetId, apiLimit: g.apiLimit, publicUrl: g.publicUrl, apis };
  }

  policyView(p: ApiPolicy): ApiPolicy {
    // the spec types pointcutData as an array: a policy applied everywhere answers []
    return { ...p, configurationData: structuredClone(p.configurationData), pointcutData: p.pointcutData ?? [] };
  }

  /** A deployment's status: `deployed` once its API serves, `failed` when its target failed, else `deploying`. */
  deploymentStatus(d: DeploymentRecord): { status: string } {
    const api = this.apis.get(d.apiId);
    if (api && this.apiLive(api)) return { status: 'deployed' };
    if (d.type === 'HY') {
      const g = this.gateways.get(d.targetId);
      return { status: !g ? 'undeployed' : this.gatewayStatus(g).status === 'FAILED' ? 'failed' : 'deploying' };
    }
    const app = d.applicationName ? this.applications.get(d.applicationName) : undefined;
    return { status: !app ? 'undeployed' : this.applicationStatus(app).status === 'FAILED' ? 'failed' : 'deploying' };
  }

  inventory(): SandboxInventory {
    const all = [...this.assets.values()].map((a) => ({ ...a, files: [...a.files] }));
    return {
      orgId: this.orgId,
      environments: this.environments.map((e) => ({ ...e })),
      assets: all.filter((a) => !a.deleted),
      softDeletedAssets: all.filter((a) => a.deleted),
      apis: [...this.apis.values()].map((a) => ({ ...this.apiView(a), liveSince: this.liveSince(a) })),
      policies: [...this.policies.values()].map((p) => this.policyView(p)),
      clientApplications: [...this.clientApps.values()].map((a) => ({ ...a, redirectUri: [...a.redirectUri], grantTypes: [...a.grantTypes] })),
      contracts: this.standingContracts().map((c) => ({ ...c })),
      gateways: [...this.gateways.values()].map((g) => this.gatewayView(g)),
      applications: [...this.applications.values()].map((a) => ({ id: a.id, name: a.name, apiId: a.apiId, ...this.applicationStatus(a), publicUrl: a.publicUrl, readyAt: a.readyAt })),
    };
  }
}
