/**
 * A local stand-in for the Anypoint Platform: the control-plane paths of
 * /work/shared/specs/anypoint-api.md, state in memory, plus a proxy gateway, so the add-on can be
 * run, tested and benchmarked offline. Development tool only: it imports nothing from the product.
 *
 * Shapes and choices that callers rely on (see also README.md beside this file):
 * - Errors: `{status, name, message, code?}`; the Exchange 409 has code ASSET_PRE_CONDITIONS_FAILED.
 *   Every API path (all but the token endpoint and /__sandbox/*) needs a valid bearer token: 401
 *   without, unknown or expired. An `:orgId` in the path (or an X-ANYPNT-ORG-ID header) naming
 *   another org → 403. An unknown `:envId` → 404.
 * - Exchange create: multipart only (else 415). groupId must be the org id (else 403). http-api needs
 *   properties.apiVersion, rest-api needs a files.<classifier>.<packaging> part. The asset exists
 *   (and is readable) as soon as the POST returns, sync (201) or async (202 + publicationStatusLink,
 *   which answers {status:'running'} once and then {status:'completed'}). GET of a soft-deleted
 *   asset → 404; a soft-deleted asset can still be hard-deleted; DELETE → 409 code ASSET_IN_USE
 *   while an API instance uses it.
 * - API Manager create: spec must name an existing Exchange asset, else 400. 409 when an instance of
 *   the same group/asset/version with the same instanceLabel exists in the environment.
 *   List → `{total, assets: [{groupId, assetId, exchangeAssetName, totalApis, apis: [instance]}]}`
 *   (instances grouped by asset, as API Manager does; `total`, `limit` (default 20, max 100) and
 *   `offset` count asset groups; filters assetId, groupId, instanceLabel are exact matches).
 *   Instance: `{id, organizationId, environmentId, groupId, assetId, assetVersion, productVersion,
 *   instanceLabel, technology, endpointUri, autodiscoveryInstanceName, endpoint, deployment|null,
 *   status ('active' once its proxy application is STARTED, else 'unregistered'), lastActiveDate}`.
 * - Policies: GET .../policies returns a plain array (sorted by order). POST/PATCH/PUT answer the
 *   policy `{id, apiId, policyTemplateId, groupId, assetId, assetVersion, configurationData,
 *   pointcutData, order, disabled, type}`. Unknown template or wrong groupId → 400.
 * - Deployments: 409 when the name is taken (another API's application or `takenNames`), when the
 *   API already runs under another name, or on the same name without overwrite:true (with it: a
 *   redeploy in place, status stays STARTED while deploymentUpdateStatus is DEPLOYING). Outcome
 *   (STARTED / DEPLOY_FAILED / never ready) and delay are fixed when the deploy starts, from the
 *   config at that moment. Status is derived lazily from time: no timers. Deployment status
 *   `{status: deploymentUpdateStatus ?? application status | 'UNDEPLOYED', lastActiveDate,
 *   apiVersionStatus: 'active'|'unregistered'}`.
 * - CloudHub: X-ANYPNT-ENV-ID missing or not an environment of the org → 400; an application of
 *   another environment → 404. Deleting the application clears the instance's `deployment`.
 * - Gateway: fullDomain = `<name>.localhost:<gatewayPort>`; route by the Host header's first label
 *   (connect to 127.0.0.1, or use `localhostLookup`). 404 unknown / not started, 502 upstream
 *   failure or instance deleted, 504 after endpoint.responseTimeout (default 30 s). Rate limiting:
 *   fixed windows per application; 429 `{error}` with X-Ratelimit-Limit/Remaining/Reset (Reset =
 *   ms left in the window, as Mule does); a changed policy starts fresh windows.
 * - /__sandbox/resources lists soft-deleted assets in a separate `softDeletedAssets` array.
 *   Faults apply to control-plane API paths only (never /__sandbox/*, never the gateway).
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
import { registerRuntime } from './routes/runtime';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  SandboxState,
} from './state';
import type { AnypointSandboxOptions, FaultRule, SandboxConfigPatch, SandboxInventory } from './types';
import type { ViolationLog } from '@aag/contracts';

export type {
  AnypointSandboxOptions,
  ApiInstance,
  ApiInstanceView,
  ApiPolicy,
  CallRecord,
  CloudHubApplicationView,
  ExchangeAsset,
  FaultRule,
  SandboxConfig,
  SandboxConfigPatch,
  SandboxEnvironment,
  SandboxInventory,
} from './types';
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  MULESOFT_POLICY_GROUP_ID,
} from './state';
export { localhostLookup } from './gateway';
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
  configure(
    patch: Partial<{ deployDelayMs: number; tokenTtlSeconds: number; failDeployments: boolean; neverReady: boolean; takenNames: string[] }>,
  ): void;
  /** Forget all resources, faults, tokens, call log; config back to the creation options. */
  reset(): void;
}

export function createAnypointSandbox(opts: AnypointSandboxOptions = {}): AnypointSandbox {
  const state = new SandboxState(
    opts.orgId ?? DEFAULT_ORG_ID,
    opts.environments ?? DEFAULT_ENVIRONMENTS,
    opts.clientId ?? DEFAULT_CLIENT_ID,
    opts.clientSecret ?? DEFAULT_CLIENT_SECRET,
    {
      deployDelayMs: opts.deployDelayMs ?? 1000,
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
      failDeployments: false,
      neverReady: false,
      takenNames: [],
    },
    opts.gatewayPort ?? 0,
  );
  const faults = new FaultEngine(opts.seed ?? 1);
  const calls = new CallLog(10_000);
  const ctx: Ctx = { state, faults, calls };

  const configure = (patch: SandboxConfigPatch) => {
    const p = parseConfigPatch(patch);
    state.config = { ...state.config, ...p };
  };
  const reset = () => {
    state.reset();
    faults.clear();
    calls.clear();
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
  registerRuntime(app, ctx);
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

  const gateway = new Gateway(state);
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
  };
}
