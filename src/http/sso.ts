import express, { Router, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../config';
import { addonExists, findAddon, type CommandDeps } from '../commands';
import { isUuid } from '../domain/naming';
import { readSession, signSession, verifySso, type SessionData } from '../domain/sso';
import { forbidden, HttpError, notFound, badRequest } from './errors';
import { ssoFormSchema, describeZodError } from './schemas';
import { renderDashboard, renderSignedOut } from './views';

/**
 * Heroku single sign-on: the form post (`POST /sso/login`) and the legacy GET
 * (`/heroku/resources/:id?token=&timestamp=`), then our own signed session and the dashboard.
 */

export const SESSION_COOKIE = 'aag_session';

export interface SsoHooks {
  onLogin?: (outcome: string) => void;
}

export function ssoRoutes(deps: CommandDeps, cfg: Config, hooks: SsoHooks = {}): Router {
  const r = Router();
  // Secure outside development (tests run as 'test': browsers accept Secure cookies on 127.0.0.1)
  const secure = cfg.NODE_ENV !== 'development';
  const now = () => Math.floor((deps.now ?? (() => new Date()))().getTime() / 1000);

  async function login(req: Request, res: Response, fields: Record<string, unknown>) {
    const parsed = ssoFormSchema.safeParse(fields);
    if (!parsed.success) {
      hooks.onLogin?.('bad_request');
      throw badRequest(`invalid sign-on request: ${describeZodError(parsed.error)}`);
    }
    const f = parsed.data;
    const id = (f.resource_id ?? f.id ?? '').toLowerCase();
    if (!isUuid(id)) {
      hooks.onLogin?.('not_found');
      throw notFound('unknown add-on');
    }
    const verdict = verifySso(
      {
        id,
        timestamp: f.timestamp,
        userScopedToken: f.user_scoped_resource_token,
        resourceToken: f.resource_token,
        legacyToken: f.token,
        userId: f.user_id,
        email: f.email,
      },
      cfg.SSO_SALT,
      now(),
    );
    if (!verdict.ok) {
      hooks.onLogin?.(verdict.reason);
      const why = verdict.reason === 'stale' ? 'the sign-on link has expired' : verdict.reason === 'future' ? 'the sign-on timestamp is in the future' : 'invalid sign-on token';
      throw forbidden(`${why}; open the add-on again from the Heroku dashboard`);
    }
    if (!(await addonExists(deps, id))) {
      hooks.onLogin?.('not_found');
      throw notFound('unknown add-on');
    }
    const session: SessionData = {
      uuid: id,
      userId: f.user_id,
      email: f.email,
      app: f.app,
      heroku: true,
      exp: now() + cfg.SESSION_TTL_SECONDS,
    };
    res.cookie(SESSION_COOKIE, signSession(session, cfg.SESSION_SECRET), {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge: cfg.SESSION_TTL_SECONDS * 1000,
    });
    if (f['nav-data']) res.cookie('heroku-nav-data', f['nav-data'], { sameSite: 'lax', secure, path: '/' });
    hooks.onLogin?.('ok');
    // a bare 302 (res.redirect would negotiate and render a body nobody reads)
    res.status(302).setHeader('Location', `/dashboard/${id}`);
    res.end();
  }

  r.post('/sso/login', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }), async (req, res) => {
    if (!req.body || typeof req.body !== 'object') throw badRequest('sign-on expects a form post');
    await login(req, res, req.body as Record<string, unknown>);
  });

  // legacy form: GET /heroku/resources/:id?token=&timestamp=
  r.get('/heroku/resources/:id', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const pick = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    await login(req, res, { id: req.params.id, token: pick('token'), timestamp: pick('timestamp') ?? '', 'nav-data': pick('nav-data') });
  });

  // only the dashboard reads cookies
  r.get('/dashboard/:id', cookieParser(), async (req, res) => {
    const id = String(req.params.id).toLowerCase();
    const session = readSession(req.cookies?.[SESSION_COOKIE], cfg.SESSION_SECRET, now());
    if (!session || session.uuid !== id) {
      res.status(401).type('html').send(renderSignedOut(session ? 'other' : req.cookies?.[SESSION_COOKIE] ? 'expired' : 'none'));
      return;
    }
    const rec = await findAddon(deps, id);
    if (!rec) throw new HttpError(404, 'unknown add-on');
    res.status(200).type('html').send(renderDashboard(rec, { email: session.email, anypointBaseUrl: cfg.ANYPOINT_BASE_URL }));
  });

  return r;
}
