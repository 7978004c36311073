import crypto from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import { HttpError, intQuery, requireOrg, strQuery, type Ctx } from '../http';

const ACCOUNTS_LIMIT = 1000;
const ACCOUNTS_WINDOW_MS = 60_000;

/**
 * X-RateLimit-* headers on every accounts call: a 1,000-per-minute fixed window that is reported,
 * not enforced (inject 429s with a fault rule instead).
 */
export function accountsRateHeaders(ctx: Ctx): RequestHandler {
  return (_req, res, next) => {
    const w = ctx.state.accountsWindow;
    const now = Date.now();
    if (now >= w.start + ACCOUNTS_WINDOW_MS) {
      w.start = now;
      w.count = 0;
    }
    w.count += 1;
    res.set({
      'X-RateLimit-Limit': String(ACCOUNTS_LIMIT),
      'X-RateLimit-Remaining': String(Math.max(0, ACCOUNTS_LIMIT - w.count)),
      'X-RateLimit-Reset': String(Math.ceil((w.start + ACCOUNTS_WINDOW_MS) / 1000)),
    });
    next();
  };
}

/** Bearer check for every API path except the token endpoint. */
export function requireToken(ctx: Ctx): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'POST' && /^\/accounts\/api\/v2\/oauth2\/token\/?$/.test(req.path)) return next();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m) throw new HttpError(401, 'Unauthorized: missing bearer token');
    const t = ctx.state.tokens.get(m[1]);
    if (!t) throw new HttpError(401, 'Unauthorized: unknown token');
    if (Date.now() >= t.expiresAt) {
      ctx.state.tokens.delete(m[1]);
      throw new HttpError(401, 'Unauthorized: token expired');
    }
    const orgHeader = req.get('x-anypnt-org-id');
    if (orgHeader !== undefined && orgHeader !== ctx.state.orgId) {
      throw new HttpError(403, `Forbidden: no access to organization ${orgHeader}`);
    }
    next();
  };
}

export function registerAccounts(app: Express, ctx: Ctx): void {
  app.post('/accounts/api/v2/oauth2/token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    let clientId = typeof body.client_id === 'string' ? body.client_id : undefined;
    let clientSecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (basic && clientId === undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        clientId = decodeURIComponent(decoded.slice(0, i));
        clientSecret = decodeURIComponent(decoded.slice(i + 1));
      }
    }
    if (body.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
      return;
    }
    if (!clientId || !clientSecret) {
      res.status(400).json({ error: 'invalid_request', error_description: 'client_id and client_secret are required' });
      return;
    }
    const { state } = ctx;
    if (clientId !== state.clientId || clientSecret !== state.clientSecret) {
      res.status(401).json({ error: 'invalid_client', error_description: 'Invalid client credentials' });
      return;
    }
    const ttl = state.config.tokenTtlSeconds;
    const token = crypto.randomBytes(24).toString('hex');
    state.tokens.set(token, { clientId, expiresAt: Date.now() + ttl * 1000 });
    res.set('Cache-Control', 'no-store');
    // the spec types expires_in as an integer (seconds); a fractional test TTL is rounded up
    res.json({ access_token: token, token_type: 'bearer', expires_in: Math.ceil(ttl) });
  });

  app.get('/accounts/api/me', (_req, res) => {
    res.json({
      client: {
        client_id: ctx.state.clientId,
        org_id: ctx.state.orgId,
        name: 'anypoint-sandbox connected app',
        redirect_uris: [],
        grant_types: ['client_credentials'],
      },
    });
  });

  // `name` is a case-sensitive match (the spec); pages of `limit` (default 25, at most 500) from `offset`
  app.get('/accounts/api/organizations/:orgId/environments', (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const name = strQuery(req, 'name');
    const offset = intQuery(req, 'offset') ?? 0;
    const limit = Math.min(intQuery(req, 'limit') ?? 25, 500);
    const matching = ctx.state.environments.filter((e) => name === undefined || e.name === name);
    const data = matching.slice(offset, offset + limit).map((e) => ({
      id: e.id,
      name: e.name,
      organizationId: ctx.state.orgId,
      isProduction: e.isProduction,
      type: e.isProduction ? 'production' : 'sandbox',
      clientId: crypto.createHash('sha1').update(e.id).digest('hex').slice(0, 32),
    }));
    res.json({ data, total: matching.length });
  });
}
