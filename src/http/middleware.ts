import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';
import { safeEqual } from '../domain/sso';
import { DataStoreUnavailable } from '../commands';
import { forbidden, HttpError, tooManyRequests, unauthorized } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

/** A request id (kept from X-Request-Id when it looks sane), a child logger, one log line per request. */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    req.id = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    // the child logger is made on first use: most requests log one line at most
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { configurable: true, get: () => (child ??= logger.child({ reqId: req.id })) });
    res.setHeader('X-Request-Id', req.id);
    if (logger.isLevelEnabled('info')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // the path only: a query string may carry anything (an old SSO v1 link carries a token)
        req.log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
      });
    }
    next();
  };
}

/**
 * Browsers send cookies and Basic credentials on cross-site requests too: refuse a state-changing
 * call (anything but GET/HEAD/OPTIONS) that another site's page started, by `Sec-Fetch-Site` and,
 * where sent, `Origin`. Used by the queue console and the dashboard's logout.
 *
 * Our pages say `Referrer-Policy: no-referrer`, so the browser sends `Origin: null` on their own
 * form posts and same-origin fetches; `null` passes only beside `Sec-Fetch-Site: same-origin`
 * (a header no page can set), never on its own.
 */
export function refuseCrossSiteWrites(req: Request, _res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return next(forbidden('cross-site request refused'));
  const origin = req.get('origin');
  if (origin === 'null') {
    if (site !== 'same-origin') return next(forbidden('cross-origin request refused'));
  } else if (origin) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get('host')) return next(forbidden('cross-origin request refused'));
  }
  next();
}

/** Failed attempts counted per source (src/store/auth-failures.ts), and what each refusal was. */
export interface FailedAuthLimit {
  /** Names the credentials in keys and metrics: `heroku`, `admin`. */
  scope: string;
  check(scope: string, source: string): Promise<number | null>;
  fail(scope: string, source: string): Promise<void>;
  /** Counts a refusal: `refused` (401) or `limited` (429). */
  onRefusal?: (scope: string, outcome: 'refused' | 'limited') => void;
}

/**
 * HTTP Basic auth against one user name and password, compared in constant time. With `limit`,
 * a source IP that failed too often in the window gets 429 with Retry-After on every attempt until
 * the window ends (its credentials are not even looked at). A Redis that cannot count does not
 * lock anyone out: the attempt is judged on its credentials alone.
 */
export function basicAuth(user: string, password: string, realm: string, limit?: FailedAuthLimit) {
  const expected = `${user}:${password}`;
  return async (req: Request, _res: Response, next: NextFunction) => {
    const source = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (limit) {
      const wait = await limit.check(limit.scope, source).catch(() => null);
      if (wait !== null) {
        limit.onRefusal?.(limit.scope, 'limited');
        return next(tooManyRequests('too many failed sign-in attempts; try again later', wait));
      }
    }
    const header = req.get('authorization') ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
    const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    if (!safeEqual(given, expected)) {
      // a request with no credentials (a browser before its prompt) is not an attempt
      if (limit && header) {
        limit.onRefusal?.(limit.scope, 'refused');
        await limit.fail(limit.scope, source).catch((err: unknown) => req.log.warn({ err: { message: (err as Error)?.message } }, 'failed sign-in not counted'));
      }
      const err = unauthorized(m ? 'invalid credentials' : 'Basic authentication required');
      err.headers['WWW-Authenticate'] = `Basic realm="${realm}"`;
      return next(err);
    }
    next();
  };
}

/**
 * Maps errors to responses: HttpError → its status; Redis unreachable → 503 (Heroku retries);
 * body-parser errors → 400/413/415; anything else is a bug: 500 without internals, logged with its
 * cause and the request id (the answer carries the id too).
 */
export function errorHandler() {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      return res.status(err.status).json({ message: err.message });
    }
    if (err instanceof DataStoreUnavailable) {
      req.log.warn({ err: { message: (err.cause as Error)?.message } }, 'data store unavailable');
      res.setHeader('Retry-After', '5');
      return res.status(503).json({ message: err.message });
    }
    const e = err as { status?: number; statusCode?: number; type?: string };
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message =
        e.type === 'entity.too.large'
          ? 'request body too large'
          : e.type === 'entity.parse.failed'
            ? 'request body is not valid JSON'
            : e.type === 'encoding.unsupported' || e.type === 'charset.unsupported'
              ? 'unsupported body encoding'
              : 'bad request';
      return res.status(status).json({ message });
    }
    req.log.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) }, 'unhandled error');
    res.status(500).json({ message: `internal error (request ${req.id})` });
  };
}
