import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import request from 'supertest';
import type { Config } from '../../src/config';
import type { AddonRecord } from '../../src/domain/addon';
import type { EngineHooks } from '../../src/engine';
import type { HostResolver } from '../../src/clients/dns';
import type { JobQueues } from '../../src/jobs';
import { createLogger } from '../../src/logger';
import type { AddonStore } from '../../src/store/addons';
import { startWeb, startWorker, type Web, type WorkerProcess } from '../../src/start';
import { createAnypointSandbox, type AnypointSandbox } from '@aag/standins';
import { createHerokuSandbox, type HerokuSandbox } from '@aag/standins';
import manifest from '../../addon-manifest.json';
import { basic, deletePrefix, LogCapture, testConfig, uniquePrefix } from './context';

/**
 * The whole add-on in one test process: both stand-ins on loopback ports, the web tier and the
 * worker as the product wires them (startWeb / startWorker), on real Redis under a unique prefix.
 */
export interface Stack {
  config: Config;
  anypoint: AnypointSandbox;
  heroku: HerokuSandbox;
  anypointUrl: string;
  gatewayUrl: string;
  herokuUrl: string;
  /** Heroku's router in the stand-in (apps by Host header). */
  routerUrl: string;
  web: Web;
  worker: WorkerProcess;
  redis: Redis;
  store: AddonStore;
  jobs: JobQueues;
  app: Web['app'];
  logs: LogCapture;
  auth: string;
  provision(input?: { plan?: string; options?: Record<string, string>; appName?: string; owner?: string }): Promise<{ uuid: string; status: number; body: unknown }>;
  waitFor(uuid: string, pred: (r: AddonRecord) => boolean, timeoutMs?: number): Promise<AddonRecord>;
  waitForState(uuid: string, state: AddonRecord['state'], timeoutMs?: number): Promise<AddonRecord>;
  close(): Promise<void>;
}

export interface StackOptions {
  config?: Record<string, string>;
  /** CloudHub 2.0 proxy start, gateway creation, API go-live (ms). */
  deployDelayMs?: number;
  gatewayCreateDelayMs?: number;
  apiGoLiveDelayMs?: number;
  gatewayApiLimit?: number;
  hooks?: EngineHooks;
  seed?: number;
  resolve?: HostResolver;
  /** The web listens on a loopback port and the worker's PUBLIC_URL names it (Heroku's webhook deliveries reach it). */
  listen?: boolean;
  /** Heroku stand-in: the wait between two tries of a webhook delivery. */
  webhookRetryDelayMs?: number;
}

export async function startStack(tag: string, opts: StackOptions = {}): Promise<Stack> {
  const anypoint = createAnypointSandbox({
    deployDelayMs: opts.deployDelayMs ?? 150,
    gatewayCreateDelayMs: opts.gatewayCreateDelayMs ?? 150,
    apiGoLiveDelayMs: opts.apiGoLiveDelayMs ?? 20,
    gatewayApiLimit: opts.gatewayApiLimit,
    seed: opts.seed ?? 42,
  });
  // the config vars the manifest declares (the origin secret's two among them)
  const heroku = createHerokuSandbox({ configVars: manifest.api.config_vars, webhookRetryDelayMs: opts.webhookRetryDelayMs ?? 100 });
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  // the apps' herokuapp.com hosts are served by the Heroku stand-in's router
  anypoint.routeHosts('.herokuapp.com', h.routerUrl);
  const prefix = uniquePrefix(tag);
  const config = testConfig({
    KEY_PREFIX: prefix,
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    ANYPOINT_ENVIRONMENT: 'Sandbox',
    HTTP_TIMEOUT_MS: '2000',
    HTTP_MAX_TRIES: '4',
    HTTP_BACKOFF_BASE_MS: '5',
    HTTP_BACKOFF_MAX_MS: '50',
    DEPLOY_POLL_MS: '100',
    JOB_BACKOFF_MS: '50',
    SWEEP_STALE_MS: '0',
    ...opts.config,
  });
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info' }, logs);
  const web = await startWeb(config, { listen: opts.listen ? { port: 0, host: '127.0.0.1' } : false, logger, resolve: opts.resolve });
  // the sweeper is driven by the tests (worker.sweeper.sweepOnce) with a long interval
  const worker = await startWorker({ ...config, SWEEP_INTERVAL_MS: 3_600_000, ...(web.url ? { PUBLIC_URL: web.url } : {}) }, { logger, hooks: opts.hooks, opsServer: false, resolve: opts.resolve });
  const auth = basic(config.ADDON_ID, config.ADDON_PASSWORD);

  const stack: Stack = {
    config,
    anypoint,
    heroku,
    anypointUrl: a.url,
    gatewayUrl: a.gatewayUrl,
    herokuUrl: h.url,
    routerUrl: h.routerUrl,
    web,
    worker,
    redis: web.redis,
    store: web.store,
    jobs: web.jobs,
    app: web.app,
    logs,
    auth,
    async provision(input = {}) {
      const body = heroku.createAddon({ plan: input.plan ?? 'test', options: input.options, appName: input.appName, owner: input.owner });
      const res = await request(web.app).post('/heroku/resources').set('Authorization', auth).send(body);
      return { uuid: body.uuid, status: res.status, body: res.body };
    },
    async waitFor(uuid, pred, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      let last: AddonRecord | null = null;
      while (Date.now() < until) {
        last = await web.store.get(uuid);
        if (last && pred(last)) return last;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out waiting for add-on ${uuid}; last record: ${JSON.stringify(last && { state: last.state, failureReason: last.failureReason, timeline: last.timeline.slice(-5) })}`);
    },
    waitForState(uuid, state, timeoutMs) {
      return stack.waitFor(uuid, (r) => r.state === state, timeoutMs);
    },
    async close() {
      await worker.close();
      await deletePrefix(web.redis, prefix);
      await web.close();
      await anypoint.close();
      await heroku.close();
    },
  };
  return stack;
}

/**
 * Calls `path` through the proxy at `proxyUrl` — a shared gateway's `http://127.0.0.1:<port>/<base
 * path>/` or a dedicated proxy's `http://<name>.localhost:<port>/` — connecting to 127.0.0.1 with the
 * URL's Host.
 */
export function callGateway(proxyUrl: string, path = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(proxyUrl);
  const full = `${u.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: Number(u.port), path: full, method: 'GET', headers: { ...headers, Host: u.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A tiny upstream app on loopback: answers JSON with the path it got; keeps the origin secret header of each request. */
export async function startUpstream(): Promise<{ url: string; hits: () => number; secrets: () => (string | undefined)[]; close(): Promise<void> }> {
  let hits = 0;
  const secrets: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    hits++;
    const s = req.headers['x-anypoint-gateway-secret'];
    secrets.push(Array.isArray(s) ? s.join(',') : s);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    secrets: () => secrets,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
