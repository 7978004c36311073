import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';
import { STYLE_CSP_SOURCE } from './views';

/**
 * Browser-facing security headers, set with helmet (one well-kept implementation of each header).
 *
 * - Every answer: `Content-Security-Policy: default-src 'none'` (nothing may load, run or frame),
 *   `frame-ancestors 'none'` and `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
 *   `Referrer-Policy: no-referrer`, same-origin opener and resource policies, and in production
 *   (NODE_ENV=production) `Strict-Transport-Security` for a year.
 * - Our HTML pages (dashboard, sign-in and signed-out pages) widen the CSP by exactly what they use:
 *   their one style block by its hash and the same-origin dashboard script; forms post to us only.
 * - The queue console (bull-board's UI) loads its own scripts, styles, images and JSON from its
 *   folder and sets inline styles, so its CSP allows `'self'` for those and inline styles; scripts
 *   stay same-origin only and nothing may frame it.
 * - `Cache-Control: no-store` on the dashboard, SSO and the console (`noStore`): a shared or back
 *   button cache never keeps a page that shows an add-on.
 */

const PAGE_DIRECTIVES = {
  'default-src': ["'none'"],
  'style-src': [STYLE_CSP_SOURCE],
  'script-src': ["'self'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
};

const CONSOLE_DIRECTIVES = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  // bull-board's page and React components set style attributes and one <style> block
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  // the page sets <base href="/admin/queues/">
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** App-wide: the strictest set, for every answer (JSON included). */
export function securityHeaders(cfg: Pick<Config, 'NODE_ENV'>): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: cfg.NODE_ENV === 'production' ? { maxAge: 365 * 24 * 3600, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
  }) as RequestHandler;
}

/** The CSP of our HTML pages (replaces the app-wide one on those routes). */
export const pageCsp = helmet.contentSecurityPolicy({ useDefaults: false, directives: PAGE_DIRECTIVES }) as RequestHandler;

/** The CSP of the queue console. */
export const consoleCsp = helmet.contentSecurityPolicy({ useDefaults: false, directives: CONSOLE_DIRECTIVES }) as RequestHandler;

export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}
