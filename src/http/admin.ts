import { Router, type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { basicAuth } from './middleware';
import { forbidden } from './errors';
import { metricsHandler } from '../metrics';
import { openApiRoutes } from './openapi';

/**
 * The operator's queue console: bull-board over the three queues at `/admin/queues`, behind HTTP
 * Basic auth (user `admin`, password ADMIN_PASSWORD, compared in constant time).
 *
 * Job data holds only ids by design; the board still redacts any key that looks secret, so a
 * mistake elsewhere never shows a token on screen.
 */


export const ADMIN_USER = 'admin';
export const ADMIN_QUEUES_PATH = '/admin/queues';
export const REDACTED = '[redacted]';

const SECRET_KEY = /token|secret|passw(or)?d|code|grant|authori[sz]ation|cookie|credential|api[-_]?key|private[-_]?key|salt|session/i;

/** A deep copy of `value` with the value of every secret-looking key replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** The operator credentials check (Basic `admin:ADMIN_PASSWORD`), shared by /admin/queues and /metrics. */
export function adminAuth(password: string) {
  return basicAuth(ADMIN_USER, password, 'anypoint-api-gateway admin');
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

export function adminQueuesRoutes(opts: { queues: readonly Queue[]; password: string; basePath?: string }): Router {
  const basePath = opts.basePath ?? ADMIN_QUEUES_PATH;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  const adapters = opts.queues.map((q) => {
    const a = new BullMQAdapter(q, { allowRetries: true, description: `jobs of the ${q.name} workflow (data: add-on ids only)` });
    a.setFormatter('data', (data: unknown) => redactSecrets(data));
    a.setFormatter('returnValue', (data: unknown) => redactSecrets(data));
    return a;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'anypoint-api-gateway' } },
  });

  const r = Router();
  r.use(basePath, adminAuth(opts.password), sameOriginWrites, serverAdapter.getRouter() as Router);
  return r;
}

/**
 * Everything operator-facing on the web app, for buildApp's `extra` hook: `/metrics` and
 * `/admin/queues` behind the operator credentials, `/openapi.json` open.
 */
export function mountOperatorRoutes(
  app: Express,
  opts: { queues: readonly Queue[]; adminPassword: string; registry: Registry; publicUrl?: string },
): void {
  app.use(openApiRoutes({ publicUrl: opts.publicUrl }));
  app.get('/metrics', adminAuth(opts.adminPassword), metricsHandler(opts.registry));
  app.use(adminQueuesRoutes({ queues: opts.queues, password: opts.adminPassword }));
}
