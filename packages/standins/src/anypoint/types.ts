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
  /** A CloudHub 2.0 proxy application runs (APPLIED, RUNNING) this long after its deploy (default 1000). */
  deployDelayMs?: number;
  /** A new managed gateway runs this long after its creation (default 300). */
  gatewayCreateDelayMs?: number;
  /** An API deployed to a running gateway goes live this long after its deploy (default 50). */
  apiGoLiveDelayMs?: number;
  /** APIs one managed gateway holds (its `apiLimit`; default 50). */
  gatewayApiLimit?: number;
  /** Port of the CloudHub 2.0 ingress (0 or absent = random); each managed gateway gets a port of its own. */
  gatewayPort?: number;
  /** The CloudHub 2.0 spaces (deployment targets) the environment sees; default the two shared spaces of the add-on's regions. */
  spaces?: SandboxSpace[];
  /** A policy created, changed or removed takes effect at the gateway this long later (default 0). */
  policyApplyDelayMs?: number;
  /** A contract created or ended (deleted, or its application deleted) takes effect at the gateway this long later (default 0). */
  contractApplyDelayMs?: number;
  /** PRNG seed for faults (default 1). */
  seed?: number;
  /** The events export: visibility delay, calls a minute, events kept (see analytics.ts). */
  analytics?: import('./analytics').AnalyticsOptions;
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

export interface SandboxSpace {
  id: string;
  name: string;
  /** `shared-space` (default) or `private-space` (managed Omni Gateways need one). */
  type?: 'shared-space' | 'private-space';
}

export interface SandboxConfig {
  deployDelayMs: number;
  gatewayCreateDelayMs: number;
  apiGoLiveDelayMs: number;
  gatewayApiLimit: number;
  tokenTtlSeconds: number;
  /** New CloudHub 2.0 proxies and new gateways fail (FAILED / never running). */
  failDeployments: boolean;
  /** New CloudHub 2.0 proxies and new gateways stay APPLYING / never ready. */
  neverReady: boolean;
  /** The org allows hard deletion of Exchange assets (Exchange's deletionSettings.hardDeletionEnabled). */
  hardDeletionEnabled: boolean;
  /** The connected app's scopes, granted in every environment (default DEFAULT_CONNECTED_APP_SCOPES). */
  scopes: string[];
  /** false: the runtime lists (Mule runtimes of CloudHub 2.0, managed gateway versions) offer Edge lines only, and LTS versions are refused. */
  ltsRuntimes: boolean;
  /** The gateway enforces a policy's creation, change or removal this long after the API Manager call. */
  policyApplyDelayMs: number;
  /** The gateway honours a new contract, and stops honouring an ended one, this long after the call. */
  contractApplyDelayMs: number;
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
  type: 'HY' | 'CH2';
  targetId: string;
  targetName: string;
  applicationName?: string;
  environmentId: string;
  environmentName: string;
  gatewayVersion: string;
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
  apiId: number;
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

/** An Exchange client application: the credentials a consumer sends through client-ID enforcement. */
export interface ClientApplication {
  id: number;
  name: string;
  description: string | null;
  url: string | null;
  redirectUri: string[];
  grantTypes: string[];
  clientId: string;
  clientSecret: string;
  masterOrganizationId: string;
  createdDate: string;
}

/** A contract between a client application and an API instance (auto-approved: the stand-in has no SLA tiers). */
export interface ApiContract {
  id: number;
  apiId: number;
  applicationId: number;
  /** The application's credentials, kept so an ended contract can still be honoured until its end is live. */
  clientId: string;
  clientSecret: string;
  status: 'APPROVED';
  partyId: string | null;
  partyName: string | null;
  requestAccessInfo: { reason: string } | null;
  acceptedTerms: boolean;
  createdAt: number;
  createdDate: string;
  /** When the contract was deleted (itself, with its application or with its API); null while it stands. */
  endedAt: number | null;
}

export type Outcome = 'start' | 'fail' | 'never';

/** A managed Omni Gateway (Gateway Manager). Its status is derived from the clock. */
export interface ManagedGatewayRecord {
  id: string;
  name: string;
  targetId: string;
  targetName: string;
  runtimeVersion: string;
  releaseChannel: string;
  size: string;
  apiLimit: number;
  createdAt: number;
  readyAt: number;
  outcome: Outcome;
  /** Its data plane: `http://127.0.0.1:<port>` (TLS ends at the ingress on the platform). */
  port: number;
  publicUrl: string;
}

/** A CloudHub 2.0 deployment (Application Manager) of a dedicated proxy. */
export interface AmcApplication {
  id: string;
  name: string;
  apiId: number;
  proxyDeploymentId: number;
  targetId: string;
  environmentId: string;
  runtimeVersion: string;
  createdAt: number;
  readyAt: number;
  outcome: Outcome;
  publicUrl: string;
  /** The implementation URI the running proxy forwards to: read from its API instance when it (re)deploys. */
  uri: string;
  /** A redeploy under way (rolling: the old replica serves `uri` until `pendingAt`, then `pendingUri`). */
  pendingUri?: string;
  pendingAt?: number;
}

export interface GatewayView {
  id: string;
  name: string;
  status: string;
  ready: boolean;
  targetId: string;
  apiLimit: number;
  publicUrl: string;
  /** APIs deployed on it. */
  apis: number;
}

export interface SandboxInventory {
  orgId: string;
  environments: { id: string; name: string; isProduction: boolean }[];
  /** Assets that exist now (not deleted). */
  assets: ExchangeAsset[];
  /** Soft-deleted assets: not readable, but their coordinates stay locked (409 on re-create). */
  softDeletedAssets: ExchangeAsset[];
  /** With, beside API Manager's view, since when each serves (epoch ms; null while it has no deployment). */
  apis: (ApiInstanceView & { liveSince: number | null })[];
  policies: ApiPolicy[];
  /** Exchange client applications (with their credentials). */
  clientApplications: ClientApplication[];
  /** Contracts that stand (deleted ones are gone from here at once, though the gateway honours them until the end is live). */
  contracts: ApiContract[];
  /** Managed Omni Gateways. */
  gateways: GatewayView[];
  /** CloudHub 2.0 proxy applications (Application Manager deployments). */
  applications: { id: string; name: string; apiId: number; status: string; applicationStatus: string; publicUrl: string; readyAt: number }[];
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
