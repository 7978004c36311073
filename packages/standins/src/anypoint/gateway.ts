import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SandboxState } from './state';
import type { ApiInstance, ApiPolicy } from './types';
import { markBlocked, trackGatewayCall } from './analytics';
import {
  allowlistOf,
  clientCredentials,
  corsHeaders,
  DEFAULT_IP_EXPRESSION,
  evaluate,
  firstAddress,
  injectHeaders,
  isPreflight,
  removeHeaders,
  parseExpression,
  type CorsConfig,
  type HeaderInjectionConfig,
  type HeaderRemovalConfig,
} from './policies';
import { timingSafeEqual } from 'node:crypto';

/** The base path an API instance on a managed gateway serves under: the path of its proxyUri. */
export function basePathOf(api: ApiInstance): string {
  try {
    return new URL(api.endpoint.proxyUri ?? '').pathname.replace(/\/+$/, '') || '/';
  } catch {
    return '/';
  }
}

function listenOn(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function stripHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

interface Limit {
  maximumRequests: number;
  timePeriodInMilliseconds: number;
}

/**
 * The data plane. Each managed Omni Gateway serves on a port of its own and routes by base path
 * (`/<base path>/rest` → the API instance deployed to it whose proxyUri ends in that base path); the
 * CloudHub 2.0 ingress serves every dedicated proxy application on one port and routes by the first
 * label of the Host header (`<application>.localhost:<port>`). Both enforce the API instance's
 * rate-limiting policy and forward to its endpoint.uri.
 */
export class Gateway {
  /** The CloudHub 2.0 ingress. */
  readonly server: http.Server;
  private readonly gatewayServers = new Map<string, http.Server>();
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 512 });

  constructor(private readonly state: SandboxState) {
    this.server = http.createServer((req, res) => this.handleIngress(req, res));
  }

  /** Hosts ending in a suffix (`.herokuapp.com`) are reached through the origin given (a stand-in's router). */
  private readonly hostRoutes = new Map<string, URL>();

  routeHosts(suffix: string, origin: string | null): void {
    if (origin === null) this.hostRoutes.delete(suffix.toLowerCase());
    else this.hostRoutes.set(suffix.toLowerCase(), new URL(origin));
  }

  private routeFor(hostname: string): URL | undefined {
    const h = hostname.toLowerCase();
    for (const [suffix, origin] of this.hostRoutes) if (h.endsWith(suffix)) return origin;
    return undefined;
  }

  listen(port: number): Promise<number> {
    return listenOn(this.server, port);
  }

  /** Starts the data plane of a new managed gateway on a free port; returns the port. */
  async openGateway(gatewayId: string): Promise<number> {
    const server = http.createServer((req, res) => this.handleGateway(gatewayId, req, res));
    this.gatewayServers.set(gatewayId, server);
    return listenOn(server, 0);
  }

  /** Stops a removed gateway's data plane. */
  async closeGateway(gatewayId: string): Promise<void> {
    const server = this.gatewayServers.get(gatewayId);
    this.gatewayServers.delete(gatewayId);
    if (server) await closeServer(server);
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    await Promise.all([closeServer(this.server), ...[...this.gatewayServers.values()].map((s) => closeServer(s))]);
    this.gatewayServers.clear();
  }

  private notFound(req: http.IncomingMessage, res: http.ServerResponse, what: string) {
    this.state.gatewayStats.notFound += 1;
    req.resume();
    sendJson(res, 404, { error: what });
  }

  /** A managed gateway: the API whose base path starts the request path. */
  private handleGateway(gatewayId: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const { state } = this;
    state.gatewayStats.requests += 1;
    const url = req.url ?? '/';
    const first = url.split('?')[0].split('/')[1] ?? '';
    const api = [...state.deployments.values()]
      .filter((d) => d.type === 'HY' && d.targetId === gatewayId)
      .map((d) => state.apis.get(d.apiId))
      .find((a): a is ApiInstance => !!a && basePathOf(a) === `/${first}`);
    if (!api || !state.apiLive(api)) return this.notFound(req, res, `No API is live at /${first} on this gateway`);
    this.serve(api, req, res, url.slice(first.length + 1) || '/');
  }

  /** The CloudHub 2.0 ingress: the proxy application named by the Host header. */
  private handleIngress(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { state } = this;
    state.gatewayStats.requests += 1;
    const host = (req.headers.host ?? '').toLowerCase();
    const name = host.split(':')[0].split('.')[0];
    const app = host.includes('.') ? state.applications.get(name) : undefined;
    if (!app || state.applicationStatus(app).applicationStatus !== 'RUNNING') return this.notFound(req, res, `No application is running at ${host || '(no host)'}`);
    const api = state.apis.get(app.apiId);
    if (!api) {
      state.gatewayStats.upstreamErrors += 1;
      req.resume();
      sendJson(res, 502, { error: 'The API instance of this proxy no longer exists' });
      return;
    }
    this.serve(api, req, res, req.url ?? '/', state.applicationUri(app));
  }

  /**
   * The API's live policies (see SandboxState.livePolicies), in a fixed order: CORS (a preflight is
   * answered here; an allowed origin gets its headers on every answer), IP allowlist (403), client-ID
   * enforcement (401), rate limiting (429), then the upstream: header removal, then header injection.
   */
  private serve(api: ApiInstance, req: http.IncomingMessage, res: http.ServerResponse, rest: string, uri = api.endpoint.uri): void {
    const { state } = this;
    trackGatewayCall(state, api, req, res, rest);
    const live = state.livePolicies(api.id);
    const find = (assetId: string): ApiPolicy | undefined => live.find((p) => p.assetId === assetId);
    let extra: http.OutgoingHttpHeaders = {};
    const refuse = (status: number, policyName: string, error: string, headers: http.OutgoingHttpHeaders = {}) => {
      markBlocked(res, policyName);
      req.resume();
      sendJson(res, status, { error }, { ...extra, ...headers });
    };

    const cors = find('cors');
    if (cors) {
      const preflight = isPreflight(req);
      const headers = corsHeaders(cors.configurationData as CorsConfig, req, preflight);
      if (preflight) {
        req.resume();
        res.writeHead(200, { ...(headers ?? {}), 'content-length': '0' });
        res.end();
        return;
      }
      if (headers) extra = { ...headers };
    }

    const allow = find('ip-allowlist');
    if (allow) {
      const cfg = allow.configurationData as { ips: string[]; ipExpression?: string };
      const source = this.sourceAddress(req, cfg.ipExpression ?? DEFAULT_IP_EXPRESSION);
      if (!source || !allowlistOf(cfg.ips).check(source.address, source.type)) {
        state.gatewayStats.ipRefused += 1;
        return refuse(403, 'IP Allowlist', 'Forbidden: the IP is not allowed');
      }
    }

    const clientId = find('client-id-enforcement');
    if (clientId) {
      const creds = clientCredentials(req, clientId.configurationData);
      if (!this.hasLiveContract(api.id, creds)) {
        state.gatewayStats.unauthorized += 1;
        const basic = clientId.configurationData.credentialsOriginHasHttpBasicAuthenticationHeader === 'httpBasicAuthenticationHeader';
        return refuse(401, 'Client ID Enforcement', 'Unauthorized: invalid client application credentials', basic ? { 'www-authenticate': 'Basic realm="mule-realm"' } : {});
      }
    }

    const policy = find('rate-limiting');
    if (policy) {
      const rl = this.rateLimit(String(api.id), policy);
      if (!rl.allowed) {
        state.gatewayStats.rateLimited += 1;
        return refuse(429, 'Rate limiting', 'Too many requests', rl.headers);
      }
      if (rl.expose) extra = { ...extra, ...rl.headers };
    }
    const inject = find('header-injection')?.configurationData as HeaderInjectionConfig | undefined;
    const remove = find('header-removal')?.configurationData as HeaderRemovalConfig | undefined;
    this.forward(req, res, new URL(uri), rest, api.endpoint.responseTimeout ?? 30_000, extra, inject, remove);
  }

  /**
   * The source address the allowlist checks. The default expression reads X-Forwarded-For, which the
   * platform's load balancer extends with the address it saw the call come from: the first entry of
   * (the caller's X-Forwarded-For, then the socket's address). `#[attributes.remoteAddress]` is the socket.
   */
  private sourceAddress(req: http.IncomingMessage, expression: string): ReturnType<typeof firstAddress> {
    const expr = parseExpression(expression);
    if (!expr) return undefined;
    if (expr.kind === 'header' && expr.name === 'x-forwarded-for') {
      const prior = req.headers['x-forwarded-for'];
      return firstAddress([prior, req.socket.remoteAddress].filter(Boolean).join(', '));
    }
    return firstAddress(evaluate(expr, req));
  }

  /** Whether a contract of this API that the gateway honours now has these credentials. */
  private hasLiveContract(apiId: number, creds: { id?: string; secret?: string; checkSecret: boolean }): boolean {
    if (!creds.id) return false;
    if (creds.checkSecret && creds.secret === undefined) return false;
    const same = (a: string, b: string) => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return x.length === y.length && timingSafeEqual(x, y);
    };
    const now = Date.now();
    for (const c of [...this.state.contracts.values()]) {
      if (c.apiId !== apiId || !this.state.contractLive(c, now)) continue;
      if (same(c.clientId, creds.id) && (!creds.checkSecret || same(c.clientSecret, creds.secret ?? ''))) return true;
    }
    return false;
  }

  /** Fixed windows per application; a changed policy (new limits) starts fresh windows. */
  private rateLimit(
    key: string,
    policy: ApiPolicy,
  ): { allowed: boolean; headers: http.OutgoingHttpHeaders; expose: boolean } {
    const cfg = policy.configurationData as { rateLimits: Limit[]; exposeHeaders?: boolean };
    const now = Date.now();
    const signature = `${policy.id}:${JSON.stringify(cfg.rateLimits)}`;
    let entry = this.state.rateWindows.get(key);
    if (!entry || entry.signature !== signature) {
      entry = { signature, windows: cfg.rateLimits.map(() => ({ start: now, count: 0 })) };
      this.state.rateWindows.set(key, entry);
    }
    cfg.rateLimits.forEach((l, i) => {
      const w = entry.windows[i];
      if (now >= w.start + l.timePeriodInMilliseconds) {
        w.start = now;
        w.count = 0;
      }
    });
    const blocked = cfg.rateLimits.findIndex((l, i) => entry.windows[i].count >= l.maximumRequests);
    if (blocked === -1) for (const w of entry.windows) w.count += 1;
    // Report the blocking window, or else the one with the fewest requests left.
    let pick = blocked;
    if (pick === -1) {
      pick = 0;
      cfg.rateLimits.forEach((l, i) => {
        const left = l.maximumRequests - entry.windows[i].count;
        const best = cfg.rateLimits[pick].maximumRequests - entry.windows[pick].count;
        if (left < best) pick = i;
      });
    }
    const l = cfg.rateLimits[pick];
    const w = entry.windows[pick];
    return {
      allowed: blocked === -1,
      expose: cfg.exposeHeaders === true,
      headers: {
        'X-Ratelimit-Limit': String(l.maximumRequests),
        'X-Ratelimit-Remaining': String(Math.max(0, l.maximumRequests - w.count)),
        // Like Mule's rate-limiting policy: milliseconds until the window resets.
        'X-Ratelimit-Reset': String(Math.max(0, w.start + l.timePeriodInMilliseconds - now)),
      },
    };
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: URL,
    rest: string,
    timeoutMs: number,
    extra: http.OutgoingHttpHeaders,
    inject?: HeaderInjectionConfig,
    remove?: HeaderRemovalConfig,
  ): void {
    const { state } = this;
    const basePath = target.pathname.replace(/\/+$/, '');
    const headers = stripHopByHop(req.headers);
    delete headers.host;
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [prior, req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers.host = target.host;
    // removal first: a caller's own copy of an injected header is dropped, then the configured value added
    removeHeaders(headers, remove?.inboundHeaders);
    injectHeaders(headers, inject?.inboundHeaders);
    // a host the sandbox routes elsewhere (e.g. *.herokuapp.com → the Heroku stand-in's router), Host kept
    const routed = this.routeFor(target.hostname);
    const via = routed ?? target;
    const viaSecure = via.protocol === 'https:';
    const upstream = (viaSecure ? https : http).request({
      protocol: via.protocol,
      hostname: via.hostname.replace(/^\[|\]$/g, ''),
      port: via.port || (viaSecure ? 443 : 80),
      method: req.method,
      path: `${basePath}${rest.startsWith('/') ? rest : `/${rest}`}`,
      headers,
      agent: viaSecure ? this.httpsAgent : this.httpAgent,
      lookup: localhostLookup as unknown as http.RequestOptions['lookup'],
    });
    let failed = false;
    const fail = (status: number, error: string) => {
      if (failed) return;
      failed = true;
      state.gatewayStats.upstreamErrors += 1;
      if (!res.headersSent) sendJson(res, status, { error });
      else res.destroy();
    };
    upstream.setTimeout(timeoutMs, () => {
      fail(504, 'The upstream did not answer in time');
      upstream.destroy();
    });
    upstream.on('error', () => fail(502, 'The upstream could not be reached'));
    upstream.on('response', (ur) => {
      state.gatewayStats.forwarded += 1;
      const out: http.OutgoingHttpHeaders = { ...stripHopByHop(ur.headers), ...extra };
      removeHeaders(out, remove?.outboundHeaders);
      injectHeaders(out, inject?.outboundHeaders);
      res.writeHead(ur.statusCode ?? 502, out);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

/**
 * A dns.lookup that resolves `localhost` and every `*.localhost` name to 127.0.0.1 (many resolvers
 * do not). Use it for clients that call the gateway by fullDomain, e.g.
 * `new http.Agent({ lookup: localhostLookup })`.
 */
export function localhostLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
): void {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback as never);
}
