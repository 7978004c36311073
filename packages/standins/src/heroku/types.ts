/**
 * Public shapes of the Heroku stand-in. Nothing here is imported from product code.
 */

export interface HerokuSandboxOptions {
  /** The add-on's OAuth client secret (partner portal), checked on `POST /oauth/token`. */
  clientSecret?: string;
  /** Lifetime of access tokens, seconds. Default 28800 (8 h), like Heroku. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of an `oauth_grant` code, seconds. Default 300. */
  grantTtlSeconds?: number;
  /** The manifest id (slug). Default 'anypoint-api-gateway'. */
  addonId?: string;
  /** The manifest's `config_vars_prefix`. Default 'ANYPOINT_API_GATEWAY'. */
  configVarsPrefix?: string;
  /** The manifest's `config_vars`. Default ['ANYPOINT_API_GATEWAY_URL', 'ANYPOINT_API_GATEWAY_API_ID', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS']. */
  configVars?: string[];
  /** Platform API requests per account (here: per add-on authorization) before 429. Default 4500. */
  rateLimit?: number;
  /** Refill of the rate-limit bucket, requests per minute. Default 75 (Heroku's figure); 0 = never. */
  rateLimitRefillPerMinute?: number;
  /** Put a `kind: 'custom'` domain first in every new app's domain list. Default true. */
  customDomain?: boolean;
  /** Base of `callback_url` in provision bodies. Default: the started URL, else the request's host, else https://api.heroku.com. */
  publicUrl?: string;
  /** Clock, ms since epoch (tests move time forward without waiting). Default Date.now. */
  now?: () => number;
  /** How many calls to keep for `calls()`. Default 20000. */
  maxCalls?: number;
  /** Add-on webhooks (`sync`): the wait between two tries of a delivery (default 1000 ms) and the tries at most (default 180, Heroku's figure). */
  webhookRetryDelayMs?: number;
  webhookMaxAttempts?: number;
}

export interface OAuthGrant {
  code: string;
  expires_at: string;
  type: 'authorization_code';
}

/** What Heroku POSTs to `<base_url>` (our `/heroku/resources`) when `heroku addons:create` runs. */
export interface ProvisionRequestBody {
  uuid: string;
  name: string;
  plan: string;
  region: string;
  callback_url: string;
  oauth_grant: OAuthGrant;
  options: Record<string, string>;
  log_input_url: string;
  log_drain_token: string;
}

export interface CreateAddonInput {
  plan: string;
  appName?: string;
  /** Email of the account owning a new app (apps of the same owner share one account id); default: a new account per app. */
  owner?: string;
  uuid?: string;
  options?: Record<string, string>;
  region?: string;
  name?: string;
}

export type SandboxAddonState = 'provisioning' | 'provisioned' | 'deprovisioned';

export interface SandboxAddon {
  uuid: string;
  name: string;
  plan: string;
  region: string;
  state: SandboxAddonState;
  app: { id: string; name: string };
  config: Record<string, string>;
  createdAt: string;
  provisionedAt?: string;
  deprovisionedAt?: string;
}

export interface RecordedCall {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  /** ISO time the response ended. */
  at: string;
  auth: 'bearer' | 'none' | 'basic';
  /** The add-on the call concerned (path, token or grant), when known. */
  addonUuid?: string;
  /** Request body; for `/oauth/token` only `{grant_type}` (codes, secrets and tokens are never kept). */
  body?: unknown;
}

export interface FaultRule {
  /** Request path to match: exact, `:param` for one segment, `*` for anything (e.g. `/addons/*`). */
  path: string;
  /** HTTP method; any when absent. */
  method?: string;
  /** Status to answer instead of the real handler. Default 500 (unless only `latencyMs` is given: then delay only). */
  status?: number;
  /** Probability 0..1 that a matching request is hit. Default 1. */
  errorRate?: number;
  /** How many requests this rule may hit; unlimited when absent. */
  times?: number;
  /** Delay before answering (or before passing on to the real handler). */
  latencyMs?: number;
}

export type AddonAction = 'provision' | 'deprovision';
