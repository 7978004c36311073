import type {
  ApiInstance,
  ApiInstanceView,
  ApiPolicy,
  CloudHubApplication,
  CloudHubApplicationView,
  ExchangeAsset,
  SandboxConfig,
  SandboxEnvironment,
  SandboxInventory,
} from './types';

export const DEFAULT_ORG_ID = '5f2a7c1e-3b4d-4e8f-9a10-2b3c4d5e6f70';
export const DEFAULT_ENVIRONMENTS: SandboxEnvironment[] = [
  { id: '8d1f0a2b-5c6e-4f70-8a91-b2c3d4e5f601', name: 'Sandbox', isProduction: false },
  { id: '8d1f0a2b-5c6e-4f70-8a91-b2c3d4e5f602', name: 'Production', isProduction: true },
];
export const DEFAULT_CLIENT_ID = 'dev-anypoint-client';
export const DEFAULT_CLIENT_SECRET = 'dev-anypoint-client-secret';
/** The MuleSoft group that owns the standard policy templates. */
export const MULESOFT_POLICY_GROUP_ID = '68ef9520-24e9-4cf2-b2f5-620025690913';

export interface DeploymentRecord {
  id: number;
  apiId: number;
  environmentId: string;
  environmentName: string;
  applicationName: string;
  gatewayVersion: string;
  overwrite: boolean;
  createdDate: string;
  updatedDate: string;
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
}

export const iso = (ms: number = Date.now()): string => new Date(ms).toISOString();

export const assetKey = (groupId: string, assetId: string, version: string): string =>
  `${groupId}/${assetId}/${version}`;

/** All in-memory state of one sandbox. Plain data plus a few derived views. */
export class SandboxState {
  readonly environments: Required<SandboxEnvironment>[];
  config: SandboxConfig;
  gatewayPort: number;

  tokens = new Map<string, { clientId: string; expiresAt: number }>();
  assets = new Map<string, ExchangeAsset>();
  publications = new Map<string, { key: string; polls: number }>();
  apis = new Map<number, ApiInstance>();
  policies = new Map<number, ApiPolicy>();
  deployments = new Map<number, DeploymentRecord>();
  applications = new Map<string, CloudHubApplication>();
  rateWindows = new Map<string, RateWindows>();
  accountsWindow = { start: 0, count: 0 };
  gatewayStats: GatewayStats = { requests: 0, forwarded: 0, rateLimited: 0, notFound: 0, upstreamErrors: 0 };

  // Ids keep growing across reset() so a stale id never names a new resource.
  private nextApiId = 18_000_001;
  private nextPolicyId = 4_000_001;
  private nextDeploymentId = 70_001;
  private nextPublication = 1;

  constructor(
    readonly orgId: string,
    environments: SandboxEnvironment[],
    readonly clientId: string,
    readonly clientSecret: string,
    private readonly initialConfig: SandboxConfig,
    private readonly initialGatewayPort: number,
  ) {
    this.environments = environments.map((e) => ({ id: e.id, name: e.name, isProduction: e.isProduction ?? false }));
    this.config = { ...initialConfig, takenNames: [...initialConfig.takenNames] };
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
    this.applications.clear();
    this.rateWindows.clear();
    this.accountsWindow = { start: 0, count: 0 };
    this.gatewayStats = { requests: 0, forwarded: 0, rateLimited: 0, notFound: 0, upstreamErrors: 0 };
    this.config = { ...this.initialConfig, takenNames: [...this.initialConfig.takenNames] };
  }

  /** Moves a deploy forward if its time has come (state is derived lazily: no timers). */
  settle(app: CloudHubApplication, now = Date.now()): CloudHubApplication {
    if (app.deploymentUpdateStatus !== 'DEPLOYING' || app.outcome === 'never') return app;
    const doneAt = app.deployStartedAt + app.deployDelayMs;
    if (now < doneAt) return app;
    if (app.outcome === 'start') {
      app.status = 'STARTED';
      app.deploymentUpdateStatus = null;
      app.lastActiveDate = iso(doneAt);
    } else if (app.status === 'STARTED') {
      // A failed redeploy leaves the previous version running.
      app.deploymentUpdateStatus = 'DEPLOY_FAILED';
    } else {
      app.status = 'DEPLOY_FAILED';
      app.deploymentUpdateStatus = null;
    }
    app.lastUpdateTime = doneAt;
    return app;
  }

  fullDomain(domain: string): string {
    return `${domain}.localhost:${this.gatewayPort}`;
  }

  /** The application as GET /cloudhub/api/v2/applications/:domain returns it. */
  appView(app: CloudHubApplication): CloudHubApplicationView {
    this.settle(app);
    return {
      domain: app.domain,
      fullDomain: this.fullDomain(app.domain),
      fullDomains: [this.fullDomain(app.domain)],
      status: app.status,
      deploymentUpdateStatus: app.deploymentUpdateStatus,
      workers: app.workers,
      region: app.region,
      muleVersion: { version: app.muleVersion },
      lastUpdateTime: app.lastUpdateTime,
      properties: {},
      hasFile: true,
      trackingSettings: { trackingLevel: 'DISABLED' },
    };
  }

  appForApi(apiId: number): CloudHubApplication | undefined {
    const api = this.apis.get(apiId);
    if (!api?.deployment) return undefined;
    const app = this.applications.get(api.deployment.applicationName);
    return app && app.apiId === apiId ? this.settle(app) : undefined;
  }

  /** The API instance as API Manager returns it (status derived from its proxy application). */
  apiView(api: ApiInstance): ApiInstanceView {
    const app = this.appForApi(api.id);
    const active = app?.status === 'STARTED';
    const { description, deployment, ...rest } = api;
    const lastActiveDate = active ? app.lastActiveDate : null;
    // the spec types these as a string and an object: absent rather than null
    return {
      ...rest,
      ...(description !== null ? { description } : {}),
      status: active ? 'active' : 'unregistered',
      ...(lastActiveDate ? { lastActiveDate } : {}),
      endpoint: { ...api.endpoint },
      ...(deployment ? { deployment: { ...deployment } } : {}),
    };
  }

  policyView(p: ApiPolicy): ApiPolicy {
    // the spec types pointcutData as an array: a policy applied everywhere answers []
    return { ...p, configurationData: structuredClone(p.configurationData), pointcutData: p.pointcutData ?? [] };
  }

  deploymentStatus(d: DeploymentRecord): { status: string; lastActiveDate: string | null; apiVersionStatus: string } {
    const app = this.applications.get(d.applicationName);
    if (!app || app.deploymentId !== d.id) return { status: 'UNDEPLOYED', lastActiveDate: null, apiVersionStatus: 'unregistered' };
    this.settle(app);
    const status = app.deploymentUpdateStatus ?? app.status;
    return {
      status,
      lastActiveDate: app.status === 'STARTED' ? app.lastActiveDate : null,
      apiVersionStatus: app.status === 'STARTED' ? 'active' : 'unregistered',
    };
  }

  inventory(): SandboxInventory {
    const all = [...this.assets.values()].map((a) => ({ ...a, files: [...a.files] }));
    return {
      orgId: this.orgId,
      environments: this.environments.map((e) => ({ ...e })),
      assets: all.filter((a) => !a.deleted),
      softDeletedAssets: all.filter((a) => a.deleted),
      apis: [...this.apis.values()].map((a) => this.apiView(a)),
      policies: [...this.policies.values()].map((p) => this.policyView(p)),
      applications: [...this.applications.values()].map((app) => ({
        ...this.appView(app),
        environmentId: app.environmentId,
        apiId: app.apiId,
        deploymentId: app.deploymentId,
      })),
    };
  }
}
