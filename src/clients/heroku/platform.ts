import { UnexpectedResponseError } from '../errors';
import type { HttpClient, RequestOptions } from '../http';
import { laneKey, type RateLimitPacer } from './rate-limit';

/** The bearer token of one add-on resource; `refresh` is called once after a 401. */
export interface HerokuTokenSource {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

export interface HerokuAddon {
  id: string;
  name?: string;
  state?: string;
  app: { id: string; name: string };
  plan?: { id?: string; name?: string };
  [key: string]: unknown;
}

/** `GET /apps/{id}` as far as we read it: `owner` is the account that owns the app (schema `app.owner`). */
export interface HerokuApp {
  id: string;
  name: string;
  owner?: { id?: string; email?: string };
  [key: string]: unknown;
}

export interface HerokuDomain {
  hostname: string;
  kind: string;
  [key: string]: unknown;
}

const HEROKU_ACCEPT = 'application/vnd.heroku+json; version=3';
/** Add-on webhooks answer on the API's `webhooks` variant (heroku-addon-api.md, "Webhooks to the add-on"). */
const WEBHOOKS_ACCEPT = 'application/vnd.heroku+json; version=3.webhooks';

/** An add-on webhook subscription (schema `add-on-webhook`). */
export interface HerokuAddonWebhook {
  id: string;
  url: string;
  include: string[];
  level: string;
  [key: string]: unknown;
}

export interface AddonWebhookInput {
  url: string;
  include: string[];
  level: 'sync' | 'notify';
  authorization: string;
  secret: string;
}

/** Heroku refused the webhook feature for this add-on (403/404: not enabled for the partner, or the add-on is gone). */
export class WebhooksUnavailable extends Error {
  override name = 'WebhooksUnavailable';
  constructor(readonly status: number) {
    super(`Heroku refused add-on webhooks (${status})`);
  }
}

const enc = encodeURIComponent;

type Paced = Pick<RequestOptions, 'onHeaders'>;

/**
 * Heroku Platform API, scoped to one add-on resource by its token source. `http` is a shared
 * HttpClient on HEROKU_API_URL (no token of its own): each call carries this add-on's token.
 * With a pacer (shared by every client of the process), each call first waits its turn as the
 * pacer's rule says (`RateLimit-Remaining`; see ./rate-limit.ts) and every answer's header feeds it.
 */
export class HerokuPlatformClient {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: HerokuTokenSource,
    private readonly pacer?: RateLimitPacer,
  ) {}

  private get headers(): Record<string, string> {
    return { Accept: HEROKU_ACCEPT, 'Content-Type': 'application/json' };
  }

  private async paced<T>(fn: (p: Paced) => Promise<T>): Promise<T> {
    const pacer = this.pacer;
    if (!pacer) return fn({});
    const key = laneKey(await this.tokens.get());
    await pacer.before(key);
    try {
      return await fn({ onHeaders: (_status, headers) => pacer.observe(key, headers) });
    } finally {
      pacer.settle(key);
    }
  }

  /** `GET /addons/{uuid}`; null when Heroku does not know it (404). */
  async getAddon(uuid: string): Promise<HerokuAddon | null> {
    const res = await this.paced((p) =>
      this.http.get<unknown>(`/addons/${enc(uuid)}`, { ...p, headers: this.headers, auth: this.tokens, okStatuses: [404], op: 'heroku.getAddon' }),
    );
    if (res.status === 404) return null;
    const d = res.data as Partial<HerokuAddon> | undefined;
    if (!d || typeof d !== 'object' || typeof d.id !== 'string' || !d.app || typeof d.app !== 'object') {
      throw new UnexpectedResponseError('heroku', 'add-on info without id or app');
    }
    return d as HerokuAddon;
  }

  /** `GET /apps/{appIdOrName}`: the app's info, its owner included. */
  async getApp(appIdOrName: string): Promise<HerokuApp> {
    const res = await this.http.get<unknown>(`/apps/${enc(appIdOrName)}`, { headers: this.headers, auth: this.tokens, op: 'heroku.getApp' });
    const d = res.data as Partial<HerokuApp> | undefined;
    if (!d || typeof d !== 'object' || typeof d.id !== 'string') throw new UnexpectedResponseError('heroku', 'app info without id');
    return d as HerokuApp;
  }

  /** `GET /apps/{appIdOrName}/domains`. */
  async getAppDomains(appIdOrName: string): Promise<HerokuDomain[]> {
    const res = await this.paced((p) =>
      this.http.get<unknown>(`/apps/${enc(appIdOrName)}/domains`, { ...p, headers: this.headers, auth: this.tokens, op: 'heroku.getAppDomains' }),
    );
    if (!Array.isArray(res.data)) throw new UnexpectedResponseError('heroku', 'app domains is not a list');
    return res.data.filter(
      (d): d is HerokuDomain => !!d && typeof d === 'object' && typeof d.hostname === 'string' && typeof d.kind === 'string',
    );
  }

  private get webhookHeaders(): Record<string, string> {
    return { Accept: WEBHOOKS_ACCEPT, 'Content-Type': 'application/json' };
  }

  /** `GET /addons/{uuid}/webhooks`; 403/404 → `WebhooksUnavailable`. */
  async listWebhooks(uuid: string): Promise<HerokuAddonWebhook[]> {
    const res = await this.paced((p) =>
      this.http.get<unknown>(`/addons/${enc(uuid)}/webhooks`, { ...p, headers: this.webhookHeaders, auth: this.tokens, okStatuses: [403, 404], op: 'heroku.listWebhooks' }),
    );
    if (res.status === 403 || res.status === 404) throw new WebhooksUnavailable(res.status);
    if (!Array.isArray(res.data)) throw new UnexpectedResponseError('heroku', 'add-on webhooks is not a list');
    return res.data.filter((w): w is HerokuAddonWebhook => !!w && typeof w === 'object' && typeof w.id === 'string' && typeof w.url === 'string');
  }

  /** `POST /addons/{uuid}/webhooks` (the secrets are masked in errors); 403/404 → `WebhooksUnavailable`. Not retried after a timeout: list first. */
  async createWebhook(uuid: string, input: AddonWebhookInput): Promise<HerokuAddonWebhook> {
    const res = await this.paced((p) =>
      this.http.post<unknown>(`/addons/${enc(uuid)}/webhooks`, input, {
        ...p,
        headers: this.webhookHeaders,
        auth: this.tokens,
        okStatuses: [403, 404],
        secrets: [input.authorization, input.secret],
        op: 'heroku.createWebhook',
      }),
    );
    if (res.status === 403 || res.status === 404) throw new WebhooksUnavailable(res.status);
    const d = res.data as Partial<HerokuAddonWebhook> | undefined;
    if (!d || typeof d !== 'object' || typeof d.id !== 'string') throw new UnexpectedResponseError('heroku', 'add-on webhook without id');
    return d as HerokuAddonWebhook;
  }

  /** `DELETE /addons/{uuid}/webhooks/{id}`: true = deleted, false = already gone (404) or refused (403: the add-on is no longer ours). */
  async deleteWebhook(uuid: string, id: string): Promise<boolean> {
    const res = await this.paced((p) =>
      this.http.delete(`/addons/${enc(uuid)}/webhooks/${enc(id)}`, { ...p, headers: this.webhookHeaders, auth: this.tokens, okStatuses: [403, 404], op: 'heroku.deleteWebhook' }),
    );
    return res.status !== 404 && res.status !== 403;
  }

  /** `PATCH /addons/{uuid}/config` with `{config: [{name, value}]}`; a null value unsets the var. */
  async setConfig(uuid: string, vars: Record<string, string | null>): Promise<void> {
    const config = Object.entries(vars).map(([name, value]) => ({ name, value }));
    await this.paced((p) => this.http.patch(`/addons/${enc(uuid)}/config`, { config }, { ...p, headers: this.headers, auth: this.tokens, op: 'heroku.setConfig' }));
  }

  /** `POST /addons/{uuid}/actions/provision`: tells Heroku the add-on is ready. Retried (idempotent in effect). */
  async provisionAction(uuid: string): Promise<void> {
    await this.paced((p) =>
      this.http.post(`/addons/${enc(uuid)}/actions/provision`, undefined, { ...p, headers: this.headers, auth: this.tokens, retry: 'always', op: 'heroku.provisionAction' }),
    );
  }

  /** `POST /addons/{uuid}/actions/deprovision`: async deprovision done, or a provisioning failed for good. */
  async deprovisionAction(uuid: string): Promise<void> {
    await this.paced((p) =>
      this.http.post(`/addons/${enc(uuid)}/actions/deprovision`, undefined, { ...p, headers: this.headers, auth: this.tokens, retry: 'always', op: 'heroku.deprovisionAction' }),
    );
  }
}

/**
 * The app's own host: the `kind: "heroku"` entry ending in `.herokuapp.com` (not the first entry
 * blindly, which may be a custom domain); else any `.herokuapp.com` host; else null.
 */
export function pickAppHost(domains: readonly { hostname?: unknown; kind?: unknown }[]): string | null {
  const hosts = domains
    .filter((d) => typeof d.hostname === 'string')
    .map((d) => ({ host: (d.hostname as string).trim().toLowerCase().replace(/\.$/, ''), kind: d.kind }))
    .filter((d) => d.host.endsWith('.herokuapp.com') && !d.host.startsWith('*'));
  return (hosts.find((d) => d.kind === 'heroku') ?? hosts[0])?.host ?? null;
}

/**
 * The host follow-app routes to: the app's own host as provisioning picks it (`pickAppHost`); when
 * the app has none any more (its herokuapp.com domain removed or disabled, a custom domain in its
 * place), its first custom domain that is not a wildcard; else null.
 */
export function pickFollowHost(domains: readonly { hostname?: unknown; kind?: unknown }[]): string | null {
  const own = pickAppHost(domains);
  if (own) return own;
  const custom = domains
    .filter((d) => d.kind === 'custom' && typeof d.hostname === 'string')
    .map((d) => (d.hostname as string).trim().toLowerCase().replace(/\.$/, ''))
    .find((h) => h && !h.startsWith('*'));
  return custom ?? null;
}
