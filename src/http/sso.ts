import express, { Router, type Request } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../config';
import { addonExists, findAddon, storing, type CommandDeps } from '../commands';
import { isUuid } from '../domain/naming';
import { readSession, safeEqual, signSession, SSO_REPLAY_WINDOW_SECONDS, verifySso, type SessionData } from '../domain/sso';
import type { SessionStore, StoredSession } from '../store/sessions';
import { forbidden, HttpError, notFound, badRequest } from './errors';
import { refuseCrossSiteWrites } from './middleware';
import { ssoFormSchema, describeZodError } from './schemas';
import { noStore, pageCsp } from './security';
import { LOGOUT_PATH, renderDashboard, renderSignedOut, SIGNED_OUT_PATH } from './views';
import { trafficFor, type TrafficReader } from './traffic-view';

/**
 * Heroku single sign-on (`POST /sso/login`, the v3 form post; the v1 GET form ended in 2023 and is
 * not served), our own server-side session, the dashboard, and logout.
 *
 * - Each SSO token signs in once: its SHA-256 is kept until its window closes; a replay is a 403.
 * - The session lives in Redis (SessionStore); the signed cookie only names it, so logging out (a
 *   same-origin form post carrying the session's anti-forgery token) ends it for good.
 * - The dashboard shows who is signed in only when Heroku's user-scoped token vouched for the user
 *   id and email; a form signed with the resource token alone proves the add-on, not the person.
 */

export const SESSION_COOKIE = 'aag_session';

export interface SsoHooks {
  onLogin?: (outcome: string) => void;
}


export type CurrentSession = { cookie: SessionData; session: StoredSession } | { cookie: SessionData | null; session: null };

/** Reads the signed cookie and the session it names, when both hold (the dashboard and its forms). */
export function sessionReader(cfg: Config, sessions: SessionStore, now: () => number): (req: Request) => Promise<CurrentSession> {
  return async (req) => {
    const cookie = readSession(req.cookies?.[SESSION_COOKIE], cfg.SESSION_SECRET, now());
    if (!cookie) return { cookie: null, session: null };
    const session = await storing(() => sessions.get(cookie.sid));
    return session && session.uuid === cookie.uuid ? { cookie, session } : { cookie, session: null };
  };
}

export function ssoRoutes(deps: CommandDeps, sessions: SessionStore, cfg: Config, hooks: SsoHooks = {}, traffic?: TrafficReader): Router {
  const r = Router();
  // Secure outside development (tests run as 'test': browsers accept Secure cookies on 127.0.0.1)
  const secure = cfg.NODE_ENV !== 'development';
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };
  const now = () => Math.floor((deps.now ?? (() => new Date()))().getTime() / 1000);
  const page = [pageCsp, noStore];

  const currentSession = sessionReader(cfg, sessions, now);

  r.post('/sso/login', ...page, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }), async (req, res) => {
    if (!req.body || typeof req.body !== 'object') throw badRequest('sign-on expects a form post');
    const parsed = ssoFormSchema.safeParse(req.body);
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
    // single use: the deciding token must be new (the others of the form are marked used beside it)
    const [fresh] = await storing(() => sessions.claimTokens(verdict.tokens, SSO_REPLAY_WINDOW_SECONDS));
    if (!fresh) {
      hooks.onLogin?.('replay');
      throw forbidden('this sign-on was already used; open the add-on again from the Heroku dashboard');
    }
    const vouched = verdict.kind === 'user_scoped';
    const { sid } = await storing(() =>
      sessions.create(
        { uuid: id, identity: vouched ? 'verified' : 'unverified', userId: vouched ? f.user_id : undefined, email: vouched ? f.email : undefined, app: f.app },
        cfg.SESSION_TTL_SECONDS,
      ),
    );
    const cookie: SessionData = { sid, uuid: id, heroku: true, exp: now() + cfg.SESSION_TTL_SECONDS };
    res.cookie(SESSION_COOKIE, signSession(cookie, cfg.SESSION_SECRET), { ...cookieOptions, maxAge: cfg.SESSION_TTL_SECONDS * 1000 });
    if (f['nav-data']) res.cookie('heroku-nav-data', f['nav-data'], { sameSite: 'lax', secure, path: '/' });
    hooks.onLogin?.('ok');
    // a bare 302 (res.redirect would negotiate and render a body nobody reads)
    res.status(302).setHeader('Location', `/dashboard/${id}`);
    res.end();
  });

  // only the dashboard and logout read cookies
  r.get('/dashboard/:id', ...page, cookieParser(), async (req, res) => {
    const id = String(req.params.id).toLowerCase();
    const { cookie, session } = await currentSession(req);
    if (!session || !cookie || session.uuid !== id) {
      const why = cookie && cookie.uuid !== id ? 'other' : req.cookies?.[SESSION_COOKIE] ? 'expired' : 'none';
      res.status(401).type('html').send(renderSignedOut(why));
      return;
    }
    const rec = await findAddon(deps, id);
    if (!rec) throw new HttpError(404, 'unknown add-on');
    // a key just made is shown once: its sealed secret leaves the record as this page is served
    let reveal: { name: string; clientId: string; clientSecret: string } | undefined;
    const sealedKey = rec.keyRevealSealed;
    if (sealedKey) {
      reveal = deps.box.openField<{ name: string; clientId: string; clientSecret: string }>(id, 'keyRevealSealed', sealedKey);
      await storing(() => deps.store.update(id, (r) => (r.keyRevealSealed === sealedKey ? { ...r, keyRevealSealed: undefined } : null)));
    }
    const verifiedEmail = session.identity === 'verified' ? session.email : undefined;
    const figures = await trafficFor(rec, traffic, (deps.now ?? (() => new Date()))().getTime());
    res.status(200).type('html').send(renderDashboard(rec, { verifiedEmail, anypointBaseUrl: cfg.ANYPOINT_BASE_URL, csrf: session.csrf, traffic: figures, reveal }));
  });

  // logout: a same-origin form post with the session's anti-forgery token; ends the session in Redis
  r.post(LOGOUT_PATH, ...page, refuseCrossSiteWrites, cookieParser(), express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 }), async (req, res) => {
    const { session, cookie } = await currentSession(req);
    if (session && cookie) {
      const given = typeof (req.body as Record<string, unknown> | undefined)?.csrf === 'string' ? ((req.body as Record<string, string>).csrf) : '';
      if (!safeEqual(given, session.csrf)) throw forbidden('sign-out refused: the form is not from this dashboard; use its Sign out button');
      await storing(() => sessions.end(cookie.sid));
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    res.status(303).setHeader('Location', SIGNED_OUT_PATH);
    res.end();
  });

  r.get(SIGNED_OUT_PATH, ...page, (_req, res) => {
    res.status(200).type('html').send(renderSignedOut('ended'));
  });

  return r;
}
