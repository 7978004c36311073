import type { Config } from '../../config';
import { HttpClient, sharedHttpOptions, type ClientRuntimeOptions } from '../http';
import { AccountsClient } from './accounts';
import { ApiManagerClient } from './api-manager';
import { AnypointAuth } from './auth';
import { ApplicationManagerClient } from './application-manager';
import type { AnypointContext } from './context';
import { ExchangeClient } from './exchange';
import { GatewayManagerClient } from './gateway-manager';
import { PoliciesClient } from './policies';
import { ProxiesClient } from './proxies';
import { AnalyticsClient } from './analytics';
import { ClientAppsClient } from './client-apps';

export * from './context';
export * from './auth';
export * from './accounts';
export * from './exchange';
export * from './api-manager';
export * from './policies';
export * from './proxies';
export * from './gateway-manager';
export * from './application-manager';
export * from './analytics';
export * from './client-apps';

export type AnypointClientConfig = Pick<
  Config,
  | 'ANYPOINT_BASE_URL'
  | 'ANYPOINT_CLIENT_ID'
  | 'ANYPOINT_CLIENT_SECRET'
  | 'ANYPOINT_ENVIRONMENT'
  | 'ANYPOINT_PROXY_TEMPLATE_VERSION'
  | 'HTTP_TIMEOUT_MS'
  | 'HTTP_MAX_TRIES'
  | 'HTTP_BACKOFF_BASE_MS'
  | 'HTTP_BACKOFF_MAX_MS'
>;

export type { ClientRuntimeOptions };

export interface AnypointClient {
  auth: AnypointAuth;
  accounts: AccountsClient;
  exchange: ExchangeClient;
  apiManager: ApiManagerClient;
  policies: PoliciesClient;
  proxies: ProxiesClient;
  gateways: GatewayManagerClient;
  amc: ApplicationManagerClient;
  /** Analytics Events Export: the gateways' traffic. */
  analytics: AnalyticsClient;
  /** Client applications and their contracts (the dashboard's API keys). */
  clientApps: ClientAppsClient;
  /** Org id (from the token) and the configured environment; resolved once, cached, shared. */
  context(): Promise<AnypointContext>;
}

/** All Anypoint API clients over one token and one org/env context. */
export function createAnypointClient(cfg: AnypointClientConfig, opts: ClientRuntimeOptions = {}): AnypointClient {
  // `auth` is read lazily: only when a call fails, long after construction.
  const secrets = (): string[] => {
    const list = [cfg.ANYPOINT_CLIENT_SECRET, ...(opts.secrets?.() ?? [])];
    const t = auth.currentToken();
    if (t) list.push(t);
    return list;
  };
  const base = { ...sharedHttpOptions(cfg, opts, secrets), baseURL: cfg.ANYPOINT_BASE_URL };
  const auth: AnypointAuth = new AnypointAuth({
    http: new HttpClient({ ...base, api: 'accounts' }),
    clientId: cfg.ANYPOINT_CLIENT_ID,
    clientSecret: cfg.ANYPOINT_CLIENT_SECRET,
    now: opts.now,
  });
  const http = (api: string) => new HttpClient({ ...base, api, auth });

  const accounts = new AccountsClient(http('accounts'));
  let ctxP: Promise<AnypointContext> | undefined;
  const context = (): Promise<AnypointContext> => {
    if (!ctxP) {
      ctxP = (async () => {
        const orgId = await accounts.orgId();
        const env = await accounts.environment(orgId, cfg.ANYPOINT_ENVIRONMENT);
        return { orgId, envId: env.id, envName: env.name };
      })().catch((err: unknown) => {
        ctxP = undefined;
        throw err;
      });
    }
    return ctxP;
  };

  return {
    auth,
    accounts,
    context,
    exchange: new ExchangeClient(http('exchange'), context, {
      sleep: opts.sleep,
      secrets,
      publicationPollMs: opts.publicationPollMs,
      publicationMaxPolls: opts.publicationMaxPolls,
    }),
    apiManager: new ApiManagerClient(http('apimanager'), context, {
      fallbackProxyTemplateVersion: cfg.ANYPOINT_PROXY_TEMPLATE_VERSION,
    }),
    policies: new PoliciesClient(http('apimanager'), context),
    proxies: new ProxiesClient(http('proxies'), context),
    gateways: new GatewayManagerClient(http('gatewaymanager'), context),
    amc: new ApplicationManagerClient(http('amc'), context),
    analytics: new AnalyticsClient(http('analytics'), context),
    clientApps: new ClientAppsClient(http('exchange'), http('apimanager'), context),
  };
}
