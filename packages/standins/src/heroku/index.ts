import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { ViolationLog } from '@aag/contracts';
import { contractGuard } from '../contract';
import { DuplicateAddonError, HerokuStore } from './store';
import { Faults, errorIdFor } from './faults';
import { LogInputs, type LogLine } from './logs';
import { Router, Webhooks, type WebhookDelivery, type WebhookEvent } from './webhooks';
import type { AppRecord } from './store';
import type {
  AddonAction,
  CreateAddonInput,
  FaultRule,
  HerokuSandboxOptions,
  OAuthGrant,
  ProvisionRequestBody,
  RecordedCall,
  SandboxAddon,
} from './types';

export type {
  AddonAction,
  CreateAddonInput,
  FaultRule as HerokuFaultRule,
  HerokuSandboxOptions,
  OAuthGrant,
  ProvisionRequestBody,
  RecordedCall,
  SandboxAddon,
  SandboxAddonState,
} from './types';
export type { LogLine } from './logs';
export { Webhooks, PARTNER_INCLUDES, type WebhookDelivery, type WebhookSubscription } from './webhooks';

/**
 * A local stand-in for Heroku's side of the add-on protocol: the OAuth token endpoint
 * (id.heroku.com) and the Platform API subset an add-on uses (api.heroku.com). State lives in
 * memory. Point the service's HEROKU_ID_URL and HEROKU_API_URL both at it.
 *
 * Choices where Heroku is silent or a client might be lenient (see README in this folder):
 * - `/oauth/token`: wrong/missing client_secret → 401 {id:'unauthorized'}; unknown, used,
 *   superseded or expired code, or unknown refresh token → 400 {id:'invalid_grant'} (RFC 6749 §5.2);
 *   missing code/refresh_token → 400 {id:'invalid_request'}; other grant_type → 400
 *   {id:'unsupported_grant_type'}. Error bodies also carry RFC 6749's `error`/`error_description`.
 * - Platform API: no `application/vnd.heroku+json` with a version in Accept → 400 {id:'bad_request'};
 *   a version other than 3 → 406 {id:'not_acceptable'}. Authentication is checked first (401),
 *   then the rate limit (429), then Accept.
 */

export interface HerokuSandbox {
  app: Express;
  /** Contract violations of the requests received and the answers given. */
  violations: ViolationLog;
  /** Listens on 127.0.0.1:port (0 = random); `routerUrl` is Heroku's router (apps by Host header). */
  start(port?: number): Promise<{ url: string; routerUrl: string }>;
  close(): Promise<void>;
  createAddon(input: CreateAddonInput): ProvisionRequestBody;
  mintGrant(uuid: string): OAuthGrant;
  addon(uuid: string): SandboxAddon | undefined;
  calls(): RecordedCall[];
  actionCount(uuid: string, action: AddonAction): number;
  setFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  reset(): void;
  /** The log input (logplex): the lines an add-on's app holds (`heroku logs`), and a knob to make one refuse posts. */
  logs(uuid: string): LogLine[];
  refuseLogInput(uuid: string, status: number | null): void;
  logInputs: LogInputs;
  /** `heroku apps:rename` of the add-on's app: a new herokuapp.com host, the old one gone; webhooks told (api:app update). */
  renameApp(uuid: string, newName: string): { oldHost?: string; newHost?: string; deliveries: WebhookDelivery[] };
  /** `heroku domains:add|remove` on the add-on's app; webhooks told (api:domain create|destroy). */
  addDomain(uuid: string, hostname: string): { deliveries: WebhookDelivery[] };
  removeDomain(uuid: string, hostname: string): { deliveries: WebhookDelivery[] };
  /** The hosts of the add-on's app (its domains). */
  hostsOf(uuid: string): { hostname: string; kind: string }[];
  /** Every webhook call of the Platform API answers `status` (403: not enabled for this partner), or works again (null). */
  refuseWebhooks(status: number | null): void;
  webhooks: Webhooks;
  /** Requests Heroku's router got for a host. */
  routerHits(host: string): number;
}

const PLATFORM_MEDIA_HINT =
  "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`.";

type AcceptVerdict = 'ok' | 'missing' | 'wrong';

/** Looks for `application/vnd.heroku+json; version=3` (or a `3.<variant>`) among the Accept entries. */
export function checkAccept(header: string | undefined): AcceptVerdict {
  if (!header) return 'missing';
  let verdict: AcceptVerdict = 'missing';
  for (const entry of header.split(',')) {
    const [type, ...params] = entry.split(';').map((p) => p.trim());
    if (type.toLowerCase() !== 'application/vnd.heroku+json') continue;
    const version = params
      .map((p) => p.split('=').map((x) => x.trim()))
      .find(([k]) => k.toLowerCase() === 'version')?.[1]
      ?.replace(/^"|"$/g, '');
    if (version === undefined) continue;
    if (/^3(\..+)?$/.test(version)) return 'ok';
    verdict = 'wrong';
  }
  return verdict;
}

function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

function authKind(header: string | undefined): RecordedCall['auth'] {
  if (!header) return 'none';
  const scheme = header.trim().split(/\s+/)[0]?.toLowerCase();
  if (scheme === 'bearer') return 'bearer';
  if (scheme === 'basic') return 'basic';
  return 'none';
}

function fail(res: Response, status: number, id: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ id, message, ...extra });
}

function oauthFail(res: Response, status: number, id: string, message: string): void {
  fail(res, status, id, message, { error: id, error_description: message });
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

export function createHerokuSandbox(opts: HerokuSandboxOptions = {}): HerokuSandbox {
  const clientSecret = opts.clientSecret ?? 'dev-heroku-oauth-client-secret';
  const now = opts.now ?? (() => Date.now());
  const maxCalls = opts.maxCalls ?? 20_000;
  const store = new HerokuStore({
    accessTokenTtlSeconds: opts.accessTokenTtlSeconds ?? 28_800,
    grantTtlSeconds: opts.grantTtlSeconds ?? 300,
    addonId: opts.addonId ?? 'anypoint-api-gateway',
    configVarsPrefix: opts.configVarsPrefix ?? 'ANYPOINT_API_GATEWAY',
    configVars: opts.configVars ?? ['ANYPOINT_API_GATEWAY_URL', 'ANYPOINT_API_GATEWAY_API_ID', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS'],
    rateLimit: opts.rateLimit ?? 4500,
    rateLimitRefillPerMinute: opts.rateLimitRefillPerMinute ?? 75,
    customDomain: opts.customDomain ?? true,
    now,
  });
  const faults = new Faults();
  const logInputs = new LogInputs();
  const webhooks = new Webhooks({ retryDelayMs: opts.webhookRetryDelayMs ?? 1000, maxAttempts: opts.webhookMaxAttempts ?? 180, now });
  const router = new Router((host) => store.appByHost(host));

  const appView = (app: AppRecord) => {
    const heroku = app.domains.find((d) => d.kind === 'heroku');
    return {
      id: app.id,
      name: app.name,
      owner: { id: app.owner.id, email: app.owner.email },
      created_at: app.createdAt,
      updated_at: app.createdAt,
      region: { name: app.region.includes('eu-') ? 'eu' : 'us' },
      stack: { name: 'heroku-24' },
      web_url: heroku ? `https://${heroku.hostname}/` : null,
    };
  };
  const domainView = (app: AppRecord, d: AppRecord['domains'][number]) => ({
    acm_status: null,
    acm_status_reason: null,
    app: { id: app.id, name: app.name },
    cname: d.cname,
    created_at: d.createdAt,
    hostname: d.hostname,
    id: d.id,
    kind: d.kind,
    sni_endpoint: null,
    status: d.status,
    updated_at: d.createdAt,
  });
  const appOfAddon = (uuid: string): AppRecord => {
    const app = store.appOf(uuid);
    if (!app) throw new Error(`unknown add-on ${uuid}`);
    return app;
  };
  const tell = (app: AppRecord, event: WebhookEvent) => webhooks.emit(store.addonsOfApp(app.id), event);
  const renameApp = (uuid: string, newName: string) => {
    const r = store.renameApp(appOfAddon(uuid).id, newName);
    if (typeof r === 'string') throw new Error(r);
    const newHost = r.app.domains.find((d) => d.kind === 'heroku')?.hostname;
    const deliveries = tell(r.app, { include: 'api:app', resource: 'app', action: 'update', data: appView(r.app), previousData: { name: r.before.name } });
    return { oldHost: r.before.host, newHost, deliveries };
  };
  const changeDomain = (uuid: string, hostname: string, add: boolean) => {
    const r = add ? store.addDomain(appOfAddon(uuid).id, hostname) : store.removeDomain(appOfAddon(uuid).id, hostname);
    if (typeof r === 'string') throw new Error(r);
    return { deliveries: tell(r.app, { include: 'api:domain', resource: 'domain', action: add ? 'create' : 'destroy', data: domainView(r.app, r.domain) }) };
  };
  let recorded: RecordedCall[] = [];
  let server: http.Server | undefined;
  let startedUrl: string | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const record = (c: RecordedCall) => {
    recorded.push(c);
    if (recorded.length > maxCalls) recorded.splice(0, recorded.length - maxCalls);
  };

  const createAddon = (input: CreateAddonInput, baseUrl?: string): ProvisionRequestBody => {
    if (!input || typeof input.plan !== 'string' || input.plan === '') throw new TypeError('plan is required');
    if (input.options !== undefined && !isStringRecord(input.options)) throw new TypeError('options must map names to strings');
    for (const k of ['appName', 'owner', 'uuid', 'region', 'name'] as const) {
      if (input[k] !== undefined && (typeof input[k] !== 'string' || input[k] === '')) throw new TypeError(`${k} must be a non-empty string`);
    }
    const { addon, grant } = store.createAddon(input);
    const base = (opts.publicUrl ?? startedUrl ?? baseUrl ?? 'https://api.heroku.com').replace(/\/+$/, '');
    const drain = `d.${randomUUID()}`;
    return {
      uuid: addon.uuid,
      name: addon.name,
      plan: addon.plan,
      region: addon.region,
      callback_url: `${base}/addons/${addon.uuid}`,
      oauth_grant: grant,
      options: { ...(input.options ?? {}) },
      log_input_url: logInputs.urlFor(addon.uuid, store.view(addon.uuid)?.app.name ?? addon.uuid, opts.publicUrl ?? startedUrl ?? baseUrl),
      log_drain_token: drain,
    };
  };

  /** The budget left for a bearer token's account (the full limit when the token is unknown). */
  const remainingFor = (authorization: string | undefined): number => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const t = m ? store.checkToken(m[1]) : undefined;
    return t?.ok ? store.peek(t.addonUuid) : store.settings.rateLimit;
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // recorded, and refused by the routes' own checks with Heroku's error ids (422 invalid_params, …)
  const guard = contractGuard({ api: 'heroku', name: 'heroku', refuse: false, errorBody: (status, message) => ({ id: errorIdFor(status), message }) });

  // Record every call to Heroku's side (not the /__sandbox control calls). Never keep credentials.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const path = req.originalUrl.split('?')[0];
    if (path.startsWith('/__sandbox')) return next();
    res.setHeader('Request-Id', randomUUID());
    let done = false;
    const onEnd = () => {
      if (done) return;
      done = true;
      const call: RecordedCall = {
        method: req.method,
        path,
        status: res.statusCode,
        at: new Date(now()).toISOString(),
        auth: authKind(req.headers.authorization),
      };
      const addonUuid = res.locals.addonUuid as string | undefined;
      if (addonUuid) call.addonUuid = addonUuid;
      if (path === '/oauth/token') {
        const gt = (req.body as Record<string, unknown> | undefined)?.grant_type;
        call.body = { grant_type: typeof gt === 'string' ? gt : undefined };
      } else if (req.body !== undefined) {
        call.body = req.body;
      }
      record(call);
    };
    // 'finish' when answered; 'close' alone when the client went away first.
    res.once('finish', onEnd);
    res.once('close', onEnd);
    next();
  });

  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(express.json({ type: ['application/json', 'application/*+json'], limit: '1mb' }));

  // Injected faults (never on /__sandbox).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/__sandbox')) return next();
    const hit = faults.match(req.method, req.path);
    if (!hit) return next();
    const go = () => {
      if (hit.status === undefined) return next();
      if (res.headersSent || res.writableEnded) return;
      // a Platform API answer always says what is left, even an injected failure (which spends nothing)
      if (/^\/(addons|apps)(\/|$)/.test(req.path)) res.setHeader('RateLimit-Remaining', String(remainingFor(req.headers.authorization)));
      fail(res, hit.status, errorIdFor(hit.status), `Sandbox fault injected (${hit.status}).`);
    };
    if (hit.latencyMs <= 0) return go();
    const t = setTimeout(() => {
      timers.delete(t);
      go();
    }, hit.latencyMs);
    timers.add(t);
  });

  // ---- control endpoints ------------------------------------------------------------------
  const control = express.Router();
  control.post('/addons', (req, res) => {
    try {
      const base = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
      res.status(201).json(createAddon((req.body ?? {}) as CreateAddonInput, base));
    } catch (e) {
      if (e instanceof DuplicateAddonError) return fail(res, 409, 'conflict', e.message);
      fail(res, 400, 'bad_request', (e as Error).message);
    }
  });
  control.post('/addons/:uuid/grant', (req, res) => {
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    res.status(201).json(store.mintGrant(req.params.uuid));
  });
  control.get('/addons/:uuid', (req, res) => {
    const v = store.view(req.params.uuid);
    if (!v) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    res.json({
      ...v,
      actions: {
        provision: store.actionCount(v.uuid, 'provision'),
        deprovision: store.actionCount(v.uuid, 'deprovision'),
      },
    });
  });
  control.get('/calls', (req, res) => {
    const addon = typeof req.query.addonUuid === 'string' ? req.query.addonUuid : undefined;
    res.json(addon ? recorded.filter((c) => c.addonUuid === addon) : recorded);
  });
  control.get('/faults', (_req, res) => {
    res.json({ rules: faults.list() });
  });
  control.post('/faults', (req, res) => {
    const body = req.body as unknown;
    const rules = Array.isArray(body) ? body : (body as { rules?: unknown } | undefined)?.rules;
    if (!Array.isArray(rules)) return fail(res, 400, 'bad_request', 'body must be an array of fault rules or {rules: [...]}');
    try {
      faults.set(rules as FaultRule[]);
    } catch (e) {
      return fail(res, 400, 'bad_request', (e as Error).message);
    }
    res.json({ rules: faults.list() });
  });
  control.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  control.post('/reset', (_req, res) => {
    reset();
    res.status(204).end();
  });
  control.get('/addons/:uuid/logs', (req, res) => {
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    res.json({ app: logInputs.appOf(req.params.uuid) ?? null, lines: logInputs.appLines(logInputs.appOf(req.params.uuid) ?? '') });
  });
  control.post('/addons/:uuid/log-input', (req, res) => {
    const status = (req.body as { refuse?: unknown } | undefined)?.refuse;
    if (status !== null && (typeof status !== 'number' || status < 400 || status > 599)) return fail(res, 400, 'bad_request', 'refuse must be a status 400-599, or null');
    if (!logInputs.refuse(req.params.uuid, status)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    res.json({ refuse: status });
  });
  control.post('/addons/:uuid/rename', (req, res) => {
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string') return fail(res, 400, 'bad_request', 'name is required');
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    try {
      const r = renameApp(req.params.uuid, name);
      res.json({ app: name, oldHost: r.oldHost, newHost: r.newHost, deliveries: r.deliveries.length });
    } catch (e) {
      fail(res, 422, 'invalid_params', (e as Error).message);
    }
  });
  control.post('/addons/:uuid/domains', (req, res) => {
    const hostname = (req.body as { hostname?: unknown } | undefined)?.hostname;
    if (typeof hostname !== 'string') return fail(res, 400, 'bad_request', 'hostname is required');
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    try {
      res.status(201).json({ hostname, deliveries: changeDomain(req.params.uuid, hostname, true).deliveries.length });
    } catch (e) {
      fail(res, 422, 'invalid_params', (e as Error).message);
    }
  });
  control.delete('/addons/:uuid/domains/:hostname', (req, res) => {
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    try {
      res.json({ hostname: req.params.hostname, deliveries: changeDomain(req.params.uuid, req.params.hostname, false).deliveries.length });
    } catch (e) {
      fail(res, 422, 'invalid_params', (e as Error).message);
    }
  });
  control.get('/addons/:uuid/domains', (req, res) => {
    if (!store.view(req.params.uuid)) return fail(res, 404, 'not_found', 'Couldn\'t find that add-on.');
    res.json(appOfAddon(req.params.uuid).domains.map((d) => ({ hostname: d.hostname, kind: d.kind })));
  });
  control.get('/addons/:uuid/webhooks', (req, res) => {
    res.json({ subscriptions: webhooks.list(req.params.uuid).map((w) => webhooks.view(w)), deliveries: webhooks.deliveries(req.params.uuid) });
  });
  control.post('/addons/:uuid/webhooks/test-delivery', async (req, res) => {
    const b = (req.body ?? {}) as { tamper?: unknown; eventId?: unknown };
    if (b.tamper !== undefined && b.tamper !== 'signature' && b.tamper !== 'authorization' && b.tamper !== 'body') return fail(res, 400, 'bad_request', 'tamper must be signature, authorization or body');
    if (b.eventId !== undefined && typeof b.eventId !== 'string') return fail(res, 400, 'bad_request', 'eventId must be a string');
    const r = await webhooks.deliverOnce(req.params.uuid, { tamper: b.tamper as 'signature' | undefined, eventId: b.eventId as string | undefined });
    if (!r) return fail(res, 404, 'not_found', 'The add-on has no webhook subscription.');
    res.json(r);
  });
  control.post('/webhooks/refuse', (req, res) => {
    const status = (req.body as { status?: unknown } | undefined)?.status;
    if (status !== null && (typeof status !== 'number' || status < 400 || status > 599)) return fail(res, 400, 'bad_request', 'status must be 400-599, or null');
    webhooks.refused = status;
    res.json({ status });
  });
  app.use('/__sandbox', control);
  // logplex's log input: after the fault rules, before the Platform API's contract check
  app.use(logInputs.router(now));

  // every request checked against Heroku's published Platform API schema (and the partner OAuth
  // endpoint as @aag/contracts records it); answers too
  app.use(guard.check);

  // ---- id.heroku.com: OAuth token endpoint ------------------------------------------------
  app.post('/oauth/token', (req, res) => {
    // a form post, as partners send it (the contract: application/x-www-form-urlencoded)
    if (!req.is('application/x-www-form-urlencoded')) return oauthFail(res, 415, 'unsupported_media_type', 'Send the token request as application/x-www-form-urlencoded.');
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!secretMatches(body.client_secret, clientSecret)) {
      return oauthFail(res, 401, 'unauthorized', 'Invalid credentials provided.');
    }
    const grantType = body.grant_type;
    if (grantType === 'authorization_code') {
      if (typeof body.code !== 'string' || body.code === '') {
        return oauthFail(res, 400, 'invalid_request', 'Missing required parameter: code.');
      }
      const r = store.exchangeGrant(body.code);
      if (r.addonUuid) res.locals.addonUuid = r.addonUuid;
      if (!r.ok) {
        const why = {
          unknown: 'The authorization code is not valid.',
          used: 'The authorization code has already been used.',
          superseded: 'The authorization code was replaced by a newer one.',
          expired: 'The authorization code has expired.',
          deprovisioned: 'The add-on this code belongs to has been deprovisioned.',
        }[r.reason];
        return oauthFail(res, 400, 'invalid_grant', why);
      }
      return res.json({
        access_token: r.accessToken,
        refresh_token: r.refreshToken,
        expires_in: r.expiresIn,
        token_type: 'Bearer',
        user_id: r.userId,
        session_nonce: r.sessionNonce,
      });
    }
    if (grantType === 'refresh_token') {
      if (typeof body.refresh_token !== 'string' || body.refresh_token === '') {
        return oauthFail(res, 400, 'invalid_request', 'Missing required parameter: refresh_token.');
      }
      const r = store.refresh(body.refresh_token);
      if (!r.ok) return oauthFail(res, 400, 'invalid_grant', 'The refresh token is not valid.');
      res.locals.addonUuid = r.addonUuid;
      return res.json({
        access_token: r.accessToken,
        refresh_token: r.refreshToken,
        expires_in: r.expiresIn,
        token_type: 'Bearer',
        user_id: r.userId,
        session_nonce: r.sessionNonce,
      });
    }
    return oauthFail(res, 400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
  });

  // ---- api.heroku.com: Platform API subset ------------------------------------------------
  const limit = store.settings.rateLimit;
  const platformGuard = (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      res.setHeader('RateLimit-Remaining', String(limit));
      return fail(res, 401, 'unauthorized', 'Invalid credentials provided.');
    }
    const t = store.checkToken(m[1]);
    if (!t.ok) {
      res.setHeader('RateLimit-Remaining', String(limit));
      if (t.addonUuid) res.locals.addonUuid = t.addonUuid;
      return fail(res, 401, 'unauthorized', t.reason === 'expired' ? 'Your access token has expired.' : 'Invalid credentials provided.');
    }
    res.locals.addonUuid = t.addonUuid;
    res.locals.tokenAddon = t.addonUuid;
    const spent = store.spend(t.addonUuid);
    res.setHeader('RateLimit-Remaining', String(spent.remaining));
    if (!spent.allowed) {
      return fail(res, 429, 'rate_limit', 'Your account reached the API rate limit. Please wait a few minutes before making new requests.');
    }
    const accept = checkAccept(req.headers.accept);
    if (accept === 'missing') return fail(res, 400, 'bad_request', PLATFORM_MEDIA_HINT);
    if (accept === 'wrong') return fail(res, 406, 'not_acceptable', PLATFORM_MEDIA_HINT);
    next();
  };
  app.use(['/addons', '/apps'], platformGuard);

  /** The add-on named in the path, if this token may use it; otherwise answers 404/403. */
  const ownAddon = (req: Request, res: Response) => {
    const a = store.findAddon(String(req.params.addon));
    if (!a) {
      fail(res, 404, 'not_found', 'Couldn\'t find that add-on.', { resource: 'addon' });
      return undefined;
    }
    res.locals.addonUuid = a.uuid;
    if (a.uuid !== res.locals.tokenAddon) {
      fail(res, 403, 'forbidden', 'This token is not allowed to access this add-on.');
      return undefined;
    }
    return a;
  };

  const ownApp = (req: Request, res: Response) => {
    const target = store.findApp(String(req.params.app));
    if (!target) {
      fail(res, 404, 'not_found', 'Couldn\'t find that app.', { resource: 'app' });
      return undefined;
    }
    const mine = store.appOf(res.locals.tokenAddon as string);
    if (!mine || mine.id !== target.id) {
      fail(res, 403, 'forbidden', 'This token is not allowed to access this app.');
      return undefined;
    }
    return target;
  };

  const configList = (config: Record<string, string>) =>
    Object.entries(config).map(([name, value]) => ({ name, value }));

  app.get('/addons/:addon', (req, res) => {
    const a = ownAddon(req, res);
    if (a) res.json(store.platformView(a));
  });

  app.get('/addons/:addon/config', (req, res) => {
    const a = ownAddon(req, res);
    if (a) res.json(configList(a.config));
  });

  app.patch('/addons/:addon/config', (req, res) => {
    const a = ownAddon(req, res);
    if (!a) return;
    if (a.state === 'deprovisioned') return fail(res, 422, 'invalid_params', 'This add-on has been deprovisioned.');
    const entries = (req.body as { config?: unknown } | undefined)?.config;
    const problem = store.checkConfig(entries);
    if (problem) return fail(res, 422, 'invalid_params', problem);
    store.setConfig(a, entries as { name: string; value: string | null }[]);
    res.json(configList(a.config));
  });

  app.post('/addons/:addon/actions/:action', (req, res) => {
    const action = req.params.action;
    if (action !== 'provision' && action !== 'deprovision') {
      return fail(res, 404, 'not_found', 'The requested API endpoint was not found.');
    }
    const a = ownAddon(req, res);
    if (!a) return;
    if (action === 'provision' && a.state === 'deprovisioned') {
      return fail(res, 422, 'invalid_params', 'This add-on has been deprovisioned and cannot be provisioned.');
    }
    store.act(a, action);
    res.json(store.platformView(a));
  });

  // add-on webhooks: the partner's own add-on only; refused as a whole while the feature is off
  const webhookAddon = (req: Request, res: Response) => {
    const a = ownAddon(req, res);
    if (!a) return undefined;
    if (webhooks.refused !== null) {
      fail(res, webhooks.refused, errorIdFor(webhooks.refused), 'Add-on webhooks are not enabled for this add-on service.');
      return undefined;
    }
    if (a.state === 'deprovisioned') {
      fail(res, 404, 'not_found', 'Couldn\'t find that add-on.', { resource: 'addon' });
      return undefined;
    }
    return a;
  };
  app.post('/addons/:addon/webhooks', (req, res) => {
    const a = webhookAddon(req, res);
    if (!a) return;
    const problem = webhooks.check(req.body, a.uuid);
    if (problem) return fail(res, 422, 'invalid_params', problem);
    res.status(201).json(webhooks.view(webhooks.create(a.uuid, a.name, req.body as Record<string, unknown>)));
  });
  app.get('/addons/:addon/webhooks', (req, res) => {
    const a = webhookAddon(req, res);
    if (a) res.json(webhooks.list(a.uuid).map((w) => webhooks.view(w)));
  });
  app.get('/addons/:addon/webhooks/:id', (req, res) => {
    const a = webhookAddon(req, res);
    if (!a) return;
    const w = webhooks.get(a.uuid, String(req.params.id));
    if (!w) return fail(res, 404, 'not_found', 'Couldn\'t find that webhook.', { resource: 'webhook' });
    res.json(webhooks.view(w));
  });
  app.delete('/addons/:addon/webhooks/:id', (req, res) => {
    const a = webhookAddon(req, res);
    if (!a) return;
    const w = webhooks.delete(a.uuid, String(req.params.id));
    if (!w) return fail(res, 404, 'not_found', 'Couldn\'t find that webhook.', { resource: 'webhook' });
    res.json(webhooks.view(w));
  });

  app.get('/apps/:app', (req, res) => {
    const target = ownApp(req, res);
    if (!target) return;
    res.json(appView(target));
  });

  app.get('/apps/:app/domains', (req, res) => {
    const target = ownApp(req, res);
    if (!target) return;
    res.json(target.domains.map((d) => domainView(target, d)));
  });

  app.use((_req: Request, res: Response) => {
    fail(res, 404, 'not_found', 'The requested API endpoint was not found.');
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; type?: string; message?: string };
    if (res.headersSent) return;
    if (e.type === 'entity.parse.failed') return fail(res, 400, 'bad_request', 'Request body is not valid JSON.');
    const status = e.status && e.status >= 400 && e.status < 600 ? e.status : 500;
    fail(res, status, errorIdFor(status), status === 500 ? 'Internal server error.' : (e.message ?? 'Error.'));
  });

  function reset(): void {
    store.reset();
    faults.clear();
    logInputs.reset();
    webhooks.reset();
    router.reset();
    recorded = [];
  }

  return {
    app,
    violations: guard.log,
    start(port = 0) {
      if (server) return Promise.reject(new Error('Heroku sandbox already started'));
      return new Promise((resolve, reject) => {
        const s = http.createServer(app);
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          s.off('error', reject);
          server = s;
          const { port: p } = s.address() as AddressInfo;
          const url = `http://127.0.0.1:${p}`;
          startedUrl = url;
          router.listen().then((routerUrl) => resolve({ url, routerUrl }), reject);
        });
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      webhooks.close();
      await router.close();
      const s = server;
      server = undefined;
      startedUrl = undefined;
      if (!s) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        s.close((err) => (err ? reject(err) : resolve()));
        s.closeAllConnections();
      });
    },
    createAddon: (input) => createAddon(input),
    mintGrant: (uuid) => store.mintGrant(uuid),
    addon: (uuid) => store.view(uuid),
    calls: () => recorded.map((c) => ({ ...c })),
    actionCount: (uuid, action) => store.actionCount(uuid, action),
    setFaults: (rules) => faults.set(rules),
    clearFaults: () => faults.clear(),
    reset,
    logs: (uuid) => logInputs.appLines(logInputs.appOf(uuid) ?? ''),
    refuseLogInput: (uuid, status) => void logInputs.refuse(uuid, status),
    logInputs,
    renameApp: (uuid, name) => renameApp(uuid, name),
    addDomain: (uuid, hostname) => changeDomain(uuid, hostname, true),
    removeDomain: (uuid, hostname) => changeDomain(uuid, hostname, false),
    hostsOf: (uuid) => appOfAddon(uuid).domains.map((d) => ({ hostname: d.hostname, kind: d.kind })),
    refuseWebhooks: (status) => {
      webhooks.refused = status;
    },
    webhooks,
    routerHits: (host) => router.hitsOf(host),
  };
}
