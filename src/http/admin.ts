import { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { queueConsoleRouter, type JobQueues } from '../jobs';
import { basicAuth, type FailedAuthLimit, refuseCrossSiteWrites } from './middleware';
import { forbidden } from './errors';
import { metricsHandler } from '../metrics';
import { openApiRoutes } from './openapi';
import { consoleCsp, noStore } from './security';

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

/** bull-board's fixed path segments where a job id would stand in `/api/queues/:queue/:jobId/retry`. */
const NOT_A_JOB_ID = new Set(['retry', 'clean', 'promote', 'pause', 'resume', 'concurrency', 'rate-limit', 'empty', 'obliterate', 'job-schedulers', 'add']);

/** The one write the console keeps: retry one job (`PUT /api/queues/<queue>/<job id>/retry`). */
export function isJobRetry(method: string, path: string): boolean {
  if (method !== 'PUT') return false;
  const m = /^\/api\/queues\/[^/]+\/([^/]+)\/retry$/.exec(path);
  return !!m && !NOT_A_JOB_ID.has(decodeSegment(m[1]).toLowerCase());
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The console is read-only but for retrying a job: every other write (clean, empty, obliterate,
 * pause, resume, promote, add, remove, edit job data, delays, priorities, concurrency, rate limits,
 * schedulers) is refused here, before bull-board sees it.
 */
function readOnlyButRetry(req: Request, _res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  if (isJobRetry(req.method, req.path)) return next();
  next(forbidden('the queue console is read-only: only retrying a job is allowed'));
}

/** no-store on the console's pages and API; its content-hashed static files may be cached. */
function consoleNoStore(req: Request, res: Response, next: NextFunction) {
  if (req.path.startsWith('/static/')) return next();
  noStore(req, res, next);
}

export function adminQueuesRoutes(opts: { jobs: JobQueues; password: string; secrets: readonly string[]; basePath?: string; limiter?: AuthLimiter }): Router {
  const basePath = opts.basePath ?? ADMIN_QUEUES_PATH;
  const r = Router();
  r.use(basePath, consoleCsp, consoleNoStore, adminAuth(opts.password, opts.limiter), refuseCrossSiteWrites, readOnlyButRetry, queueConsoleRouter(opts.jobs, basePath, opts.secrets));
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
