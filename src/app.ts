import express, { type Express } from 'express';
import type { Config } from './config';
import type { Logger } from './logger';
import type { AddonStore } from './store/addons';
import type { JobQueues } from './jobs';
import type { SecretBox } from './secrets';
import type { SessionStore } from './store/sessions';
import { basicAuth, errorHandler, requestContext } from './http/middleware';
import { securityHeaders } from './http/security';
import { assetRoutes } from './http/assets';
import { herokuRoutes } from './http/heroku';
import { webhookRoutes } from './http/webhooks';
import type { WebhookEvents } from './store/webhook-events';
import { ssoRoutes, type SsoHooks } from './http/sso';
import { consoleRoutes } from './http/console';
import { healthRoutes, type HealthDeps } from './http/health';
import { notFound } from './http/errors';
import { checkUpstream, type HostResolver, systemResolver, upstreamPolicy } from './clients/dns';
import type { AuthLimiter } from './http/admin';
import type { TrafficReader } from './http/traffic-view';

/** How long the web waits for an upstream's DNS answer: Heroku waits for ours (a few seconds at most). */
export const WEB_RESOLVE_TIMEOUT_MS = 1_500;

/** Builds the web app (no listen): tests use it in-process. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  /** Dashboard sessions and used SSO tokens. */
  sessions: SessionStore;
  now?: () => Date;
  readiness?: HealthDeps['readiness'];
  sso?: SsoHooks;
  /** Extra routers mounted before the 404 handler (queue console, metrics). */
  extra?: (app: Express) => void;
  /** DNS for the upstream check (tests give a table). */
  resolve?: HostResolver;
  /** Counts failed Basic-auth attempts per source IP (429 once over the limit). */
  authLimiter?: AuthLimiter;
  /** The gateway traffic figures the dashboard shows. */
  traffic?: TrafficReader;
  /** Heroku's webhook events already taken (follow the app); without it the receiver is not mounted. */
  webhookEvents?: WebhookEvents;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // API answers are small and never revalidated: no ETag hashing of every body
  app.set('etag', false);
  app.set('trust proxy', 1);
  app.use(requestContext(deps.logger));
  // CSP default-src 'none', frame-ancestors 'none', nosniff, no-referrer, HSTS in production (src/http/security.ts)
  app.use(securityHeaders(deps.config));

  const targets = { defaultTarget: deps.config.ANYPOINT_DEFAULT_TARGET, planTargets: deps.config.PLAN_TARGETS };
  const policy = upstreamPolicy(deps.config);
  const resolve = deps.resolve ?? systemResolver(WEB_RESOLVE_TIMEOUT_MS);
  const commandDeps = {
    store: deps.store,
    jobs: deps.jobs,
    targets,
    box: deps.box,
    now: deps.now,
    logger: deps.logger,
    maxFreeAddons: deps.config.MAX_FREE_ADDONS,
    checkUpstream: (raw: unknown) => checkUpstream(raw, { policy, resolve, timeoutMs: WEB_RESOLVE_TIMEOUT_MS }),
  };
  const auth = basicAuth(deps.config.ADDON_ID, deps.config.ADDON_PASSWORD, deps.config.ADDON_ID, deps.authLimiter && { ...deps.authLimiter, scope: 'heroku' });

  app.use(healthRoutes({ readiness: deps.readiness }));
  if (deps.webhookEvents) app.use(webhookRoutes({ store: deps.store, jobs: deps.jobs, box: deps.box, events: deps.webhookEvents, logger: deps.logger, now: deps.now }));
  app.use(herokuRoutes(commandDeps, auth));
  app.use(ssoRoutes(commandDeps, deps.sessions, deps.config, deps.sso, deps.traffic));
  app.use(consoleRoutes(commandDeps, deps.sessions, deps.config));
  app.use(assetRoutes());
  deps.extra?.(app);
  app.get('/', (_req, res) => {
    res.type('text').send('anypoint-api-gateway: a Heroku add-on. See /healthz.');
  });
  app.use((req, _res, next) => next(notFound(`no route ${req.method} ${req.path.slice(0, 200)}`)));
  app.use(errorHandler());
  return app;
}
