/**
 * Types of the local Anypoint stand-in. Development tool only: nothing here is imported by the
 * product, and nothing here imports the product.
 */

export interface SandboxEnvironment {
  id: string;
  name: string;
  isProduction?: boolean;
}

export interface AnypointSandboxOptions {
  /** Accepted connected-app credentials (defaults 'dev-anypoint-client' / 'dev-anypoint-client-secret'). */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued tokens (default 3600). */
  tokenTtlSeconds?: number;
  /** Defaults: a fixed org uuid, environments 'Sandbox' and 'Production' with fixed ids. */
  orgId?: string;
  environments?: SandboxEnvironment[];
  /** DEPLOYING -> STARTED after this (default 1000). */
  deployDelayMs?: number;
  /** Port of the proxy gateway server (0 or absent = random). */
  gatewayPort?: number;
  /** PRNG seed for faults (default 1). */
  seed?: number;
}

export interface FaultRule {
  /** Regex source matched against the request path (no query string). */
  path: string;
  /** HTTP method, case-insensitive; absent = any. */
  method?: string;
  /** Delay before anything else happens. */
  latencyMs?: number;
  /** 0..1: answer with one of errorStatuses. */
  errorRate?: number;
  /** Default [500, 502, 503]. */
  errorStatuses?: number[];
  /** 0..1: answer 429. */
  rateLimitRate?: number;
  /** Sent as Retry-After on injected 429s. */
  retryAfterSeconds?: number;
  /** Send X-RateLimit-Reset (epoch seconds) instead of Retry-After. */
  rateLimitResetHeader?: boolean;
  /** 0..1: hold the request hangMs, then destroy the socket. */
  hangRate?: number;
  /** Default 30000. */
  hangMs?: number;
  /** 0..1: destroy the socket at once. */
  dropRate?: number;
  /** Fixed status for every matching request, e.g. 403. */
  status?: number;
  /** Apply to at most N matching requests, then the rule is spent. */
  times?: number;
}

export interface SandboxConfig {
  deployDelayMs: number;
  tokenTtlSeconds: number;
  failDeployments: boolean;
  neverReady: boolean;
  takenNames: string[];
}

export type SandboxConfigPatch = Partial<SandboxConfig>;

export interface ExchangeAsset {
  organizationId: string;
  groupId: string;
  assetId: string;
  version: string;
  name: string;
  description: string;
  type: string;
  status: string;
  apiVersion: string | null;
  files: { classifier: string; packaging: string; fieldName: string; size: number }[];
  createdAt: string;
  /** true once soft-deleted (the coordinates stay locked). */
  deleted: boolean;
  deletedAt: string | null;
}

export interface ApiEndpoint {
  type: string;
  uri: string;
  proxyUri: string | null;
  isCloudHub: boolean | null;
  deploymentType: string | null;
  muleVersion4OrAbove: boolean | null;
  referencesUserDomain: boolean | null;
  responseTimeout: number | null;
  validation: string | null;
  proxyTemplate: { assetVersion: string } | null;
  [key: string]: unknown;
}

export interface ApiDeploymentRef {
  id: number;
  applicationName: string;
  environmentId: string;
  environmentName: string;
  type: 'CH';
  gatewayVersion: string;
  overwrite: boolean;
  expectedStatus: 'deployed';
  createdDate: string;
  updatedDate: string;
}

export interface ApiInstance {
  id: number;
  organizationId: string;
  environmentId: string;
  groupId: string;
  assetId: string;
  assetVersion: string;
  productVersion: string | null;
  instanceLabel: string | null;
  description: string | null;
  technology: string;
  endpointUri: string | null;
  autodiscoveryInstanceName: string;
  endpoint: ApiEndpoint;
  deployment: ApiDeploymentRef | null;
  createdDate: string;
  updatedDate: string;
}

/** An API instance as API Manager returns it: status is 'active' once its proxy runs. */
export interface ApiInstanceView extends Omit<ApiInstance, 'description' | 'deployment'> {
  description?: string;
  deployment?: ApiDeploymentRef;
  status: 'active' | 'unregistered';
  lastActiveDate?: string;
}

export interface ApiPolicy {
  id: number;
  apiId: number;
  policyTemplateId: string;
  groupId: string;
  assetId: string;
  assetVersion: string;
  configurationData: Record<string, unknown>;
  pointcutData: unknown;
  order: number;
  disabled: boolean;
  type: 'policy';
  createdDate: string;
  updatedDate: string;
}

export type AppStatus = 'DEPLOYING' | 'STARTED' | 'DEPLOY_FAILED';
export type DeployOutcome = 'start' | 'fail' | 'never';

export interface CloudHubApplication {
  domain: string;
  environmentId: string;
  apiId: number;
  deploymentId: number;
  status: AppStatus;
  deploymentUpdateStatus: 'DEPLOYING' | 'DEPLOY_FAILED' | null;
  region: string;
  muleVersion: string;
  workers: { amount: number; type: { name: string; weight: number; cpu: string; memory: string } };
  lastUpdateTime: number;
  lastActiveDate: string | null;
  /** Internal: when the current deploy started, how long it takes, how it ends. */
  deployStartedAt: number;
  deployDelayMs: number;
  outcome: DeployOutcome;
}

/** GET /cloudhub/api/v2/applications/:domain */
export interface CloudHubApplicationView {
  domain: string;
  fullDomain: string;
  fullDomains: string[];
  status: AppStatus;
  deploymentUpdateStatus: 'DEPLOYING' | 'DEPLOY_FAILED' | null;
  workers: CloudHubApplication['workers'];
  region: string;
  muleVersion: { version: string };
  lastUpdateTime: number;
  properties: Record<string, string>;
  hasFile: boolean;
  trackingSettings: { trackingLevel: string };
}

export interface SandboxInventory {
  orgId: string;
  environments: { id: string; name: string; isProduction: boolean }[];
  /** Assets that exist now (not deleted). */
  assets: ExchangeAsset[];
  /** Soft-deleted assets: not readable, but their coordinates stay locked (409 on re-create). */
  softDeletedAssets: ExchangeAsset[];
  apis: ApiInstanceView[];
  policies: ApiPolicy[];
  /** CloudHub applications as GET /cloudhub/api/v2/applications/:domain shows them, plus links. */
  applications: (CloudHubApplicationView & { environmentId: string; apiId: number; deploymentId: number })[];
}

export interface CallRecord {
  at: string;
  method: string;
  path: string;
  /** e.g. 'POST /apimanager/api/v1/organizations/:orgId/environments/:envId/apis'; 'unmatched' otherwise. */
  template: string;
  /** 0 when the socket was destroyed before a response (drop / hang faults, client abort). */
  status: number;
  ms: number;
  fault?: string;
}
