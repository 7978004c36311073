import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../config';
import { DataStoreUnavailable, type CommandDeps } from '../commands';
import type { AddonRecord } from '../domain/addon';
import { boundaryOf, type ChangeRequest, parseAllowlist, parseCors, parseKeyName, startChange } from '../domain/boundary';
import { findPlan } from '../domain/plans';
import { safeEqual } from '../domain/sso';
import { isRedisUnavailable } from '../store/redis';
import { RecordNotFoundError } from '../store/addons';
import type { SessionStore } from '../store/sessions';
import { refuseCrossSiteWrites } from './middleware';
import { noStore, pageCsp } from './security';
import { sessionReader } from './sso';
import { renderConsoleRefusal } from './views';

/**
 * The dashboard's policy console: thin routes over `startChange` (src/domain/boundary.ts) and the
 * policy workflow. Every form post needs the add-on's SSO session (a session for another add-on
 * changes nothing), the session's anti-forgery token, and a same-origin Origin or Sec-Fetch-Site
 * header. A valid change is written on the record (who asked, what) and queued; the page then
 * shows it under way, and its outcome.
 */

export const CONSOLE_PATHS = {
  createKey: (id: string) => `/dashboard/${id}/keys`,
  revokeKey: (id: string, keyId: string) => `/dashboard/${id}/keys/${keyId}/revoke`,
  enforcement: (id: string) => `/dashboard/${id}/enforcement`,
  allowlist: (id: string) => `/dashboard/${id}/ip-allowlist`,
  cors: (id: string) => `/dashboard/${id}/cors`,
  rotate: (id: string) => `/dashboard/${id}/origin-secret/rotate`,
} as const;

const field = (req: Request, name: string): string => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

/** A form post must say where it comes from: a same-origin Origin, or Sec-Fetch-Site same-origin. */
function requireSameOrigin(req: Request, res: Response, next: (err?: unknown) => void) {
  if (!req.get('origin') && req.get('sec-fetch-site') !== 'same-origin') {
    res.status(403).type('html').send(renderConsoleRefusal(String(req.params.id ?? ''), 'the form did not say where it came from; use the dashboard'));
    return;
  }
  refuseCrossSiteWrites(req, res, (err?: unknown) => {
    if (err) {
      res.status(403).type('html').send(renderConsoleRefusal(String(req.params.id ?? ''), 'a form from another site cannot change this gateway'));
      return;
    }
    next();
  });
}

export function consoleRoutes(deps: CommandDeps, sessions: SessionStore, cfg: Config): Router {
  const r = Router();
  const now = () => (deps.now ?? (() => new Date()))();
  const currentSession = sessionReader(cfg, sessions, () => Math.floor(now().getTime() / 1000));
  const form = [pageCsp, noStore, requireSameOrigin, cookieParser(), express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 })];

  /** Checks the session and token, builds the change, writes it and queues its workflow. */
  type Built = { ok: true; change: (rec: AddonRecord) => ChangeRequest } | { ok: false; message: string };
  const handle = (build: (req: Request) => Built) => async (req: Request, res: Response) => {
    const id = String(req.params.id).toLowerCase();
    const refuse = (status: number, why: string) => res.status(status).type('html').send(renderConsoleRefusal(id, why));
    const { session } = await currentSession(req);
    if (!session) return refuse(401, 'sign in through Heroku first');
    if (session.uuid !== id) return refuse(403, 'your session belongs to another add-on');
    if (!safeEqual(field(req, 'csrf'), session.csrf)) return refuse(403, 'the form is not from this dashboard (its anti-forgery token is missing or wrong); reload the dashboard and try again');
    const built = build(req);
    if (!built.ok) return refuse(400, built.message);
    const by = session.identity === 'verified' && session.email ? session.email : session.userId ? `Heroku user ${session.userId}` : 'a Heroku user';
    const changeId = randomBytes(8).toString('hex');
    let outcome: ReturnType<typeof startChange> | undefined;
    try {
      await deps.store.update(id, (rec) => {
        const plan = findPlan(rec.plan);
        outcome = startChange(rec, built.change(rec), { id: changeId, by, at: now().toISOString(), maxKeys: plan?.maxApiKeys ?? 0 });
        return outcome.ok ? (outcome.rec as typeof rec) : null;
      });
      if (!outcome) return refuse(404, 'unknown add-on');
      if (!outcome.ok) return refuse(outcome.status, outcome.message);
      await deps.jobs.enqueue({ workflow: 'policy', id, key: changeId });
    } catch (err) {
      if (isRedisUnavailable(err)) throw new DataStoreUnavailable(err);
      if (err instanceof RecordNotFoundError) return refuse(404, 'unknown add-on');
      throw err;
    }
    res.status(303).setHeader('Location', `/dashboard/${id}#policies`);
    res.end();
  };

  r.post('/dashboard/:id/keys', ...form, handle((req) => {
    const name = parseKeyName(field(req, 'name'));
    if (!name.ok) return { ok: false, message: `No key created: ${name.message}` };
    const key = { id: randomBytes(4).toString('hex'), name: name.value };
    return { ok: true, change: () => ({ kind: 'key-create', key }) };
  }));

  r.post('/dashboard/:id/keys/:keyId/revoke', ...form, handle((req) => ({ ok: true, change: () => ({ kind: 'key-revoke', keyId: String(req.params.keyId) }) })));

  // client-id enforcement: on with the first key; off (and on again) on request
  r.post('/dashboard/:id/enforcement', ...form, handle((req) => {
    const on = field(req, 'enforcement') === 'on';
    return {
      ok: true,
      change: (rec) => ({ kind: 'settings', settings: { ...boundaryOf(rec).settings, enforcement: on }, summary: on ? 'API keys required' : 'API keys no longer required' }),
    };
  }));

  r.post('/dashboard/:id/ip-allowlist', ...form, handle((req) => {
    const parsed = parseAllowlist(field(req, 'cidrs'));
    if (!parsed.ok) return { ok: false, message: `IP allowlist not changed: ${parsed.message}` };
    const summary = parsed.value.length ? `IP allowlist set to ${parsed.value.join(', ')}` : 'IP allowlist removed (any source)';
    return { ok: true, change: (rec) => ({ kind: 'settings', settings: { ...boundaryOf(rec).settings, ipAllowlist: parsed.value }, summary }) };
  }));

  r.post('/dashboard/:id/cors', ...form, handle((req) => {
    const parsed = parseCors({ origins: field(req, 'origins'), methods: field(req, 'methods'), headers: field(req, 'headers') });
    if (!parsed.ok) return { ok: false, message: `CORS not changed: ${parsed.message}` };
    const cors = parsed.value;
    const summary = cors ? `CORS set for ${cors.origins.join(', ')} (${cors.methods.join(', ')})` : 'CORS removed';
    return { ok: true, change: (rec) => ({ kind: 'settings', settings: { ...boundaryOf(rec).settings, cors }, summary }) };
  }));

  r.post('/dashboard/:id/origin-secret/rotate', ...form, handle(() => ({ ok: true, change: () => ({ kind: 'rotate' }) })));

  return r;
}
