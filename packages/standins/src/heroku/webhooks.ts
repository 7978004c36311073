import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';

/**
 * Add-on webhooks in the Heroku stand-in (schema `add-on-webhook`; heroku-addon-api.md, "Webhooks to
 * the add-on"): the subscriptions an add-on made, and the deliveries of app and domain events to
 * them — `POST <url>` with the subscription's `Authorization` value and
 * `Heroku-Webhook-Hmac-SHA256: base64(HMAC-SHA256(secret, raw body))`. A `sync` subscription is tried
 * again after any answer but a 2xx (or no answer), up to `maxAttempts`, `retryDelayMs` apart (Heroku:
 * about 180 tries over 7 days); `notify` is tried once. Each try of one event keeps its delivery and
 * event ids and gets a new attempt id.
 *
 * Also Heroku's router, as far as an add-on sees it: an app answers on each of its hosts, and a host
 * no app has (an old name after `apps:rename`, a removed domain) answers Heroku's "no such app" 404.
 */

/** What partners may include without asking Heroku (heroku-addon-api.md). */
export const PARTNER_INCLUDES = ['api:addon-attachment', 'api:addon', 'api:app', 'api:domain', 'api:collaborator', 'api:sni-endpoint'];

export interface WebhookSubscription {
  id: string;
  addonUuid: string;
  addonName: string;
  url: string;
  include: string[];
  level: 'sync' | 'notify';
  authorization: string | null;
  secret: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  webhookId: string;
  addonUuid: string;
  include: string;
  resource: string;
  action: string;
  status: 'pending' | 'retrying' | 'succeeded' | 'failed';
  attempts: number;
  /** HTTP status of each try (0: no answer). */
  answers: number[];
}

export interface WebhookEvent {
  include: string;
  resource: string;
  action: 'create' | 'update' | 'destroy';
  data: Record<string, unknown>;
  previousData?: Record<string, unknown>;
}

export interface WebhookOptions {
  retryDelayMs: number;
  maxAttempts: number;
  now: () => number;
}

export class Webhooks {
  private readonly subs = new Map<string, WebhookSubscription>();
  private readonly log: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** When set, every webhook call of the Platform API answers this status (the feature not enabled). */
  refused: number | null = null;

  constructor(private readonly opts: WebhookOptions) {}

  /** The API's view of a subscription (never its secrets). */
  view(s: WebhookSubscription): Record<string, unknown> {
    return {
      addon: { id: s.addonUuid, name: s.addonName },
      created_at: s.createdAt,
      id: s.id,
      include: [...s.include],
      level: s.level,
      updated_at: s.updatedAt,
      url: s.url,
    };
  }

  /** Checks a create body; returns the first problem or null. */
  check(body: unknown, addonUuid: string): string | null {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return 'body must be an object';
    const b = body as Record<string, unknown>;
    if (!Array.isArray(b.include) || b.include.length === 0 || !b.include.every((i) => typeof i === 'string')) return 'include must be a non-empty list of entities';
    const other = (b.include as string[]).find((i) => !PARTNER_INCLUDES.includes(i));
    if (other) return `include ${other} is not available to add-on partners`;
    if (b.level !== 'sync' && b.level !== 'notify') return 'level must be sync or notify';
    if (typeof b.url !== 'string') return 'url is required';
    let u: URL;
    try {
      u = new URL(b.url);
    } catch {
      return 'url is not a valid URL';
    }
    const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) return 'url must use https';
    for (const k of ['authorization', 'secret'] as const) {
      if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') return `${k} must be a string or null`;
    }
    if (this.list(addonUuid).some((s) => s.url === b.url)) return 'Url has already been taken';
    return null;
  }

  create(addonUuid: string, addonName: string, body: Record<string, unknown>): WebhookSubscription {
    const at = new Date(this.opts.now()).toISOString();
    const s: WebhookSubscription = {
      id: randomUUID(),
      addonUuid,
      addonName,
      url: body.url as string,
      include: [...new Set(body.include as string[])],
      level: body.level as 'sync' | 'notify',
      authorization: (body.authorization as string | null | undefined) ?? null,
      secret: (body.secret as string | null | undefined) ?? null,
      createdAt: at,
      updatedAt: at,
    };
    this.subs.set(s.id, s);
    return s;
  }

  list(addonUuid: string): WebhookSubscription[] {
    return [...this.subs.values()].filter((s) => s.addonUuid === addonUuid);
  }

  get(addonUuid: string, id: string): WebhookSubscription | undefined {
    const s = this.subs.get(id);
    return s && s.addonUuid === addonUuid ? s : undefined;
  }

  delete(addonUuid: string, id: string): WebhookSubscription | undefined {
    const s = this.get(addonUuid, id);
    if (s) this.subs.delete(id);
    return s;
  }

  /** Every delivery (all tries), oldest first; of one add-on when named. */
  deliveries(addonUuid?: string): WebhookDelivery[] {
    return this.log.filter((d) => !addonUuid || d.addonUuid === addonUuid).map((d) => ({ ...d, answers: [...d.answers] }));
  }

  /** Sends `event` to every subscription of these add-ons that includes it. */
  emit(addonUuids: readonly string[], event: WebhookEvent): WebhookDelivery[] {
    const out: WebhookDelivery[] = [];
    for (const uuid of addonUuids) {
      for (const s of this.list(uuid)) {
        if (!s.include.includes(event.include)) continue;
        const d: WebhookDelivery = {
          id: randomUUID(),
          eventId: randomUUID(),
          webhookId: s.id,
          addonUuid: uuid,
          include: event.include,
          resource: event.resource,
          action: event.action,
          status: 'pending',
          attempts: 0,
          answers: [],
        };
        this.log.push(d);
        if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
        out.push(d);
        void this.attempt(s, d, event);
      }
    }
    return out;
  }

  /** The body and headers of one try, signed as Heroku signs them. */
  static signed(s: Pick<WebhookSubscription, 'authorization' | 'secret' | 'id'>, d: Pick<WebhookDelivery, 'id' | 'eventId' | 'include'>, event: Omit<WebhookEvent, 'include'>, at: string): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify({
      id: d.eventId,
      action: event.action,
      actor: { email: 'owner@example.com', id: randomUUID() },
      created_at: at,
      data: event.data,
      previous_data: event.previousData ?? {},
      published_at: at,
      resource: event.resource,
      sequence: null,
      updated_at: at,
      version: 'application/vnd.heroku+json; version=3',
      webhook_metadata: { attempt: { id: randomUUID() }, delivery: { id: d.id }, event: { id: d.eventId, include: d.include }, webhook: { id: s.id } },
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Heroku Webhooks', 'Heroku-Webhook-Id': d.id };
    if (s.authorization) headers.Authorization = s.authorization;
    if (s.secret) headers['Heroku-Webhook-Hmac-SHA256'] = createHmac('sha256', s.secret).update(body).digest('base64');
    return { body, headers };
  }

  /**
   * One test delivery to the add-on's first subscription, answered with the service's status: as
   * Heroku signs it, or forged (`signature`: signed with another secret; `authorization`: another
   * Authorization value; `body`: the body changed after signing). `eventId` repeats an event.
   */
  async deliverOnce(addonUuid: string, opts: { tamper?: 'signature' | 'authorization' | 'body'; eventId?: string } = {}): Promise<{ status: number; eventId: string } | null> {
    const s = this.list(addonUuid)[0];
    if (!s) return null;
    const eventId = opts.eventId ?? randomUUID();
    const event = { resource: 'app', action: 'update' as const, data: { id: randomUUID(), name: 'test-delivery' } };
    const signer = opts.tamper === 'signature' ? { ...s, secret: `${s.secret ?? ''}-not-it` } : s;
    const { body, headers } = Webhooks.signed(signer, { id: randomUUID(), eventId, include: 'api:app' }, event, new Date(this.opts.now()).toISOString());
    if (opts.tamper === 'authorization') headers.Authorization = 'Bearer not-the-authorization';
    const sent = opts.tamper === 'body' ? body.replace('"update"', '"destroy"') : body;
    try {
      const res = await fetch(s.url, { method: 'POST', body: sent, headers, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, eventId };
    } catch {
      return { status: 0, eventId };
    }
  }

  private async attempt(s: WebhookSubscription, d: WebhookDelivery, event: WebhookEvent): Promise<void> {
    d.attempts += 1;
    const { body, headers } = Webhooks.signed(s, d, event, new Date(this.opts.now()).toISOString());
    let status = 0;
    try {
      const res = await fetch(s.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      status = 0;
    }
    d.answers.push(status);
    if (status >= 200 && status < 300) {
      d.status = 'succeeded';
      return;
    }
    if (s.level === 'notify' || d.attempts >= this.opts.maxAttempts || !this.subs.has(s.id)) {
      d.status = 'failed';
      return;
    }
    d.status = 'retrying';
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(s, d, event);
    }, this.opts.retryDelayMs);
    this.timers.add(t);
  }

  reset(): void {
    this.close();
    this.subs.clear();
    this.log.length = 0;
    this.refused = null;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Heroku's router: a host one of the stand-in's apps has answers for that app; any other host, Heroku's 404 page. */
export class Router {
  readonly server: http.Server;
  private readonly hits = new Map<string, number>();

  constructor(appByHost: (host: string) => { name: string } | undefined) {
    this.server = http.createServer((req, res) => {
      const host = (req.headers.host ?? '').split(':')[0].toLowerCase();
      this.hits.set(host, (this.hits.get(host) ?? 0) + 1);
      req.resume();
      const app = appByHost(host);
      if (!app) {
        const page = '<!DOCTYPE html><html><head><title>No such app</title></head><body><h1>There is no app configured at that hostname.</h1></body></html>';
        res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
        res.end(page);
        return;
      }
      const text = JSON.stringify({ app: app.name, host, path: req.url ?? '/' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  /** Requests the router got for a host (answered or not). */
  hitsOf(host: string): number {
    return this.hits.get(host.toLowerCase()) ?? 0;
  }

  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
      });
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  reset(): void {
    this.hits.clear();
  }
}
