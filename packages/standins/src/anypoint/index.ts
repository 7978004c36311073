/**
 * A local stand-in for the Anypoint Platform: the control-plane operations the add-on uses, each
 * request checked against MuleSoft's published spec of that operation (@aag/contracts), state in
 * memory, plus a data plane (each managed Omni Gateway on a port of its own, and one CloudHub 2.0
 * ingress), so the add-on can be run, tested and benchmarked offline. Development tool only: it
 * imports nothing from the product. The shapes and choices callers rely on are in README.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express } from 'express';
import multer from 'multer';
import { contractGuard } from '../contract';
import { CallLog, templateOf } from './calls';
import { controlRouter, parseConfigPatch } from './control';
import { FaultEngine } from './faults';
import { Gateway } from './gateway';
import { errorBody, HttpError, type Ctx } from './http';
import { accountsRateHeaders, registerAccounts, requireToken } from './routes/accounts';
import { registerApiManager } from './routes/apiManager';
import { registerExchange } from './routes/exchange';
import { registerContracts } from './routes/contracts';
import { registerRuntime } from './routes/runtime';
import { registerGateways } from './routes/gateways';
import { registerReadiness } from './routes/readiness';
import { analyticsControl, analyticsOf, registerAnalytics, type AnalyticsLog } from './analytics';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_CONNECTED_APP_SCOPES,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  SandboxState,
} from './state';
import type { AnypointSandboxOptions, FaultRule, SandboxConfigPatch, SandboxInventory } from './types';
import type { ViolationLog } from '@aag/contracts';

export type {
  AnypointSandboxOptions,
  ApiContract,
  ApiInstance,
  ApiInstanceView,
  ApiPolicy,
  CallRecord,
  ClientApplication,
  ExchangeAsset,
  FaultRule,
  GatewayView,
  SandboxConfig,
  SandboxConfigPatch,
  SandboxEnvironment,
  SandboxInventory,
  SandboxSpace,
} from './types';
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_CONNECTED_APP_SCOPES,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  DEFAULT_SPACES,
  GATEWAY_VERSIONS,
  MULESOFT_POLICY_GROUP_ID,
  RUNTIME_VERSIONS,
} from './state';
export { localhostLookup } from './gateway';
export { AnalyticsLog, type AnalyticsEvent, type AnalyticsOptions } from './analytics';
export { mulberry32 } from './prng';

/** Multipart bodies (Exchange asset creation), parsed before the contract check sees them. */
const multipart = multer({ storage: multer.memoryStorage(), limits: { fileSize: 10 * 1024 * 1024, fields: 100 } }).any();

export interface AnypointSandbox {
  /** The control-plane API (mount or listen yourself). */
  app: Express;
  /** Contract violations of the requests received and the answers given. */
  violations: ViolationLog;
  /** Listens on 127.0.0.1:port (0 = random) and starts the gateway on its own port. */
  start(port?: number): Promise<{ url: string; gatewayUrl: string }>;
  close(): Promise<void>;
  /** Same as GET /__sandbox/resources. */
  inspect(): SandboxInventory;
  setFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  configure(patch: SandboxConfigPatch): void;
  /** Forget all resources, faults, tokens, call log; config back to the creation options. */
  reset(): void;
  /** The gateway's analytics events (what the events export serves) and its knobs. */
  analytics: AnalyticsLog;
  /**
   * Upstreams whose host ends in `suffix` are reached through `origin` (null: no longer), the Host
   * header kept: e.g. `.herokuapp.com` → the Heroku stand-in's router.
   */
  routeHosts(suffix: string, origin: string | null): void;
}

export function createAnypointSandbox(opts: AnypointSandboxOptions = {}): AnypointSandbox {
  const state = new SandboxState(
    opts.orgId ?? DEFAULT_ORG_ID,
    opts.environments ?? DEFAULT_ENVIRONMENTS,
    opts.clientId ?? DEFAULT_CLIENT_ID,
    opts.clientSecret ?? DEFAULT_CLIENT_SECRET,
    {
      deployDelayMs: opts.deployDelayMs ?? 1000,
      gatewayCreateDelayMs: opts.gatewayCreateDelayMs ?? 300,
      apiGoLiveDelayMs: opts.apiGoLiveDelayMs ?? 50,
      gatewayApiLimit: opts.gatewayApiLimit ?? 50,
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
      failDeployments: false,
      neverReady: false,
      hardDeletionEnabled: true,
      scopes: [...DEFAULT_CONNECTED_APP_SCOPES],
      ltsRuntimes: true,
      policyApplyDelayMs: opts.policyApplyDelayMs ?? 0,
      contractApplyDelayMs: opts.contractApplyDelayMs ?? 0,
    },
    opts.gatewayPort ?? 0,
    opts.spaces,
  );
  const faults = new FaultEngine(opts.seed ?? 1);
  const gateway = new Gateway(state);
  const calls = new CallLog(10_000);
  const ctx: Ctx = { state, faults, calls };
  const analytics = analyticsOf(state, opts.analytics);

  const configure = (patch: SandboxConfigPatch) => {
    const p = parseConfigPatch(patch);
    state.config = { ...state.config, ...p };
  };
  const reset = () => {
    state.reset();
    faults.clear();
    calls.clear();
    analytics.clear();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // every request checked against MuleSoft's published spec of its operation; answers too
  const guard = contractGuard({
    api: 'anypoint',
    name: 'anypoint',
    errorBody,
    skip: (req) => req.path.startsWith('/__sandbox'),
  });

  // Call log (API paths only): recorded when the exchange ends, however it ends.
  app.use((req, res, next) => {
    if (req.path.startsWith('/__sandbox')) return next();
    const t0 = performance.now();
    const at = new Date().toISOString();
    res.once('close', () => {
      calls.add({
        at,
        method: req.method,
        path: req.path,
        template: templateOf(req.method, req.path),
        status: res.headersSent ? res.statusCode : 0,
        ms: Math.round((performance.now() - t0) * 100) / 100,
        ...(typeof res.locals.fault === 'string' ? { fault: res.locals.fault } : {}),
      });
    });
    next();
  });
  app.use('/__sandbox/analytics', analyticsControl(analytics));
  app.use('/__sandbox', express.json({ limit: '1mb' }), controlRouter(ctx, { configure, reset }));
  app.use(faults.middleware());
  app.use('/accounts', accountsRateHeaders(ctx));
  app.use(express.json({ limit: '5mb' }));
  app.use(express.urlencoded({ extended: false }));
  app.use(multipart);
  // credentials first (401, as on the platform), then the contract
  app.use(requireToken(ctx));
  app.use(guard.check);
  registerAccounts(app, ctx);
  registerExchange(app, ctx);
  registerApiManager(app, ctx);
  registerContracts(app, ctx);
  registerRuntime(app, ctx);
  registerGateways(app, ctx, gateway);
  registerReadiness(app, ctx);
  registerAnalytics(app, ctx);
  app.use((req, res) => {
    res.status(404).json(errorBody(404, `No route for ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).json(errorBody(err.status, err.message, err.code));
      return;
    }
    if (err instanceof multer.MulterError) {
      res.status(400).json(errorBody(400, `Bad multipart body: ${err.message}`));
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = (err as { type?: string }).type === 'entity.parse.failed' ? 'Malformed JSON body' : String((err as Error).message);
      res.status(status).json(errorBody(status, message));
      return;
    }
    res.status(500).json(errorBody(500, `Sandbox error: ${(err as Error)?.message ?? String(err)}`));
  };
  app.use(onError);

  let server: http.Server | undefined;

  return {
    app,
    async start(port = 0) {
      if (server) throw new Error('anypoint sandbox already started');
      const s = http.createServer(app);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      state.gatewayPort = await gateway.listen(opts.gatewayPort ?? 0);
      const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      return { url, gatewayUrl: `http://127.0.0.1:${state.gatewayPort}` };
    },
    async close() {
      faults.cancelAll();
      const s = server;
      const closing: Promise<void>[] = [gateway.close()];
      if (s?.listening) {
        closing.push(new Promise<void>((resolve) => s.close(() => resolve())));
        s.closeAllConnections();
      }
      await Promise.all(closing);
    },
    violations: guard.log,
    inspect: () => state.inventory(),
    setFaults: (rules) => faults.set(rules),
    clearFaults: () => faults.clear(),
    configure,
    reset,
    analytics,
    routeHosts: (suffix, origin) => gateway.routeHosts(suffix, origin),
  };
}
