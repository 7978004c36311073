import { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { queueConsoleRouter, type JobQueues } from '../jobs';
import { basicAuth, type FailedAuthLimit } from './middleware';
import { forbidden } from './errors';
import { metricsHandler } from '../metrics';
import { openApiRoutes } from './openapi';

/**
 * Operator-facing routes: the queue console at `/admin/queues` and `/metrics`, behind HTTP Basic
 * auth (user `admin`, password ADMIN_PASSWORD, compared in constant time); `/openapi.json` open.
 */

export const ADMIN_USER = 'admin';
export const ADMIN_QUEUES_PATH = '/admin/queues';

/** What counts failed sign-ins (every scope shares it; each check names its own). */
export type AuthLimiter = Omit<FailedAuthLimit, 'scope'>;

/** The operator credentials check (Basic `admin:ADMIN_PASSWORD`), shared by /admin/queues and /metrics. */
export function adminAuth(password: string, limiter?: AuthLimiter) {
  return basicAuth(ADMIN_USER, password, 'anypoint-api-gateway admin', limiter && { ...limiter, scope: 'admin' });
}

/**
 * Basic credentials are sent by browsers on cross-site requests too: refuse state-changing calls
 * (retry, clean, pause…) that another site's page started.
 */
function sameOriginWrites(req: Request, _res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return next(forbidden('cross-site request refused'));
  const origin = req.get('origin');
  if (origin && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get('host')) return next(forbidden('cross-origin request refused'));
  } else if (origin === 'null') {
    return next(forbidden('cross-origin request refused'));
  }
  next();
}

export function adminQueuesRoutes(opts: { jobs: JobQueues; password: string; secrets: readonly string[]; basePath?: string; limiter?: AuthLimiter }): Router {
  const basePath = opts.basePath ?? ADMIN_QUEUES_PATH;
  const r = Router();
  r.use(basePath, adminAuth(opts.password, opts.limiter), sameOriginWrites, queueConsoleRouter(opts.jobs, basePath, opts.secrets));
  return r;
}

/**
 * Everything operator-facing on the web app, for buildApp's `extra` hook: `/metrics` and
 * `/admin/queues` behind the operator credentials, `/openapi.json` open.
 */
export function mountOperatorRoutes(
  app: Express,
  opts: { jobs: JobQueues; adminPassword: string; secrets: readonly string[]; registry: Registry; publicUrl?: string; limiter?: AuthLimiter },
): void {
  app.use(openApiRoutes({ publicUrl: opts.publicUrl }));
  app.get('/metrics', adminAuth(opts.adminPassword, opts.limiter), metricsHandler(opts.registry));
  app.use(adminQueuesRoutes({ jobs: opts.jobs, password: opts.adminPassword, secrets: opts.secrets, limiter: opts.limiter }));
}
