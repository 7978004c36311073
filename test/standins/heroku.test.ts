import request from 'supertest';
import { createHerokuSandbox, type HerokuSandbox, type HerokuSandboxOptions } from '@aag/standins';
import { pathPattern } from '@aag/standins/src/heroku/faults';

const SECRET = 'dev-heroku-oauth-client-secret';
const ACCEPT = 'application/vnd.heroku+json; version=3';

interface Clock {
  t: number;
  now: () => number;
  advance(seconds: number): void;
}

function clock(): Clock {
  const c: Clock = {
    t: Date.parse('2026-01-01T00:00:00Z'),
    now: () => c.t,
    advance: (s) => {
      c.t += s * 1000;
    },
  };
  return c;
}

/**
 * This file tests the stand-in's own refusals: the malformed requests it sends on purpose (token
 * requests without their fields, Platform API calls without credentials or media type, bad config
 * bodies, unknown paths) are expected contract violations. Its answers are still checked.
 */
function deliberate(sb: HerokuSandbox): HerokuSandbox {
  sb.violations.expect({ direction: 'request', operation: /oauth\/token/ });
  sb.violations.expect({ direction: 'request', where: 'header' });
  sb.violations.expect({ direction: 'request', where: 'body', operation: /\/config$/ });
  sb.violations.expect({ direction: 'request', where: 'operation' });
  sb.violations.expect({ direction: 'request', where: 'query' });
  return sb;
}

function sandbox(opts: HerokuSandboxOptions = {}) {
  const c = clock();
  const sb = deliberate(createHerokuSandbox({ now: c.now, ...opts }));
  return { sb, clock: c };
}

async function exchange(sb: HerokuSandbox, code: string, secret = SECRET) {
  return request(sb.app)
    .post('/oauth/token')
    .type('form')
    .send({ grant_type: 'authorization_code', code, client_secret: secret });
}

async function provisioned(sb: HerokuSandbox, input: { plan: string; appName?: string } = { plan: 'test' }) {
  const body = sb.createAddon(input);
  const res = await exchange(sb, body.oauth_grant.code);
  expect(res.status).toBe(200);
  return { body, token: res.body.access_token as string, refresh: res.body.refresh_token as string };
}

function api(sb: HerokuSandbox, token: string) {
  const auth = (r: request.Test) => r.set('Accept', ACCEPT).set('Authorization', `Bearer ${token}`);
  return {
    get: (p: string) => auth(request(sb.app).get(p)),
    patch: (p: string, body: unknown) => auth(request(sb.app).patch(p)).send(body as object),
    post: (p: string) => auth(request(sb.app).post(p)),
  };
}

describe('provision request body', () => {
  it('looks like what Heroku sends on addons:create', () => {
    const { sb, clock: c } = sandbox();
    const body = sb.createAddon({ plan: 'basic', appName: 'acme-web', options: { upstream: 'x' } });
    expect(body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.plan).toBe('basic');
    expect(body.region).toBe('amazon-web-services::us-east-1');
    expect(body.callback_url).toBe(`https://api.heroku.com/addons/${body.uuid}`);
    expect(body.oauth_grant.type).toBe('authorization_code');
    expect(Date.parse(body.oauth_grant.expires_at) - c.t).toBe(300_000);
    expect(body.options).toEqual({ upstream: 'x' });
    expect(sb.addon(body.uuid)).toMatchObject({ uuid: body.uuid, plan: 'basic', state: 'provisioning', app: { name: 'acme-web' }, config: {} });
    expect(() => sb.createAddon({ plan: 'test', uuid: body.uuid })).toThrow(/already exists/);
  });

  it('strips the add-on prefix from a plan and reuses an existing app', () => {
    const { sb } = sandbox();
    const a = sb.createAddon({ plan: 'anypoint-api-gateway:premium', appName: 'shared' });
    const b = sb.createAddon({ plan: 'test', appName: 'shared' });
    expect(a.plan).toBe('premium');
    expect(sb.addon(a.uuid)!.app.id).toBe(sb.addon(b.uuid)!.app.id);
    expect(a.uuid).not.toBe(b.uuid);
  });
});

describe('POST /oauth/token', () => {
  it('exchanges a grant with the right secret, once', async () => {
    const { sb } = sandbox();
    const body = sb.createAddon({ plan: 'test' });
    const ok = await exchange(sb, body.oauth_grant.code);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 28800 });
    expect(typeof ok.body.access_token).toBe('string');
    expect(typeof ok.body.refresh_token).toBe('string');
    expect(ok.body.user_id).toMatch(/^[0-9a-f-]{36}$/);

    const again = await exchange(sb, body.oauth_grant.code);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ id: 'invalid_grant', error: 'invalid_grant' });
  });

  it('refuses a wrong or missing client secret with 401 and leaves the grant usable', async () => {
    const { sb } = sandbox();
    const body = sb.createAddon({ plan: 'test' });
    const bad = await exchange(sb, body.oauth_grant.code, 'not-the-secret');
    expect(bad.status).toBe(401);
    expect(bad.body.id).toBe('unauthorized');
    const none = await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: body.oauth_grant.code });
    expect(none.status).toBe(401);
    expect((await exchange(sb, body.oauth_grant.code)).status).toBe(200);
  });

  it('takes a form post only (415 for JSON), and a custom client secret', async () => {
    const { sb } = sandbox({ clientSecret: 'other-secret' });
    const body = sb.createAddon({ plan: 'test' });
    const json = await request(sb.app)
      .post('/oauth/token')
      .send({ grant_type: 'authorization_code', code: body.oauth_grant.code, client_secret: 'other-secret' });
    expect(json.status).toBe(415);
    const form = await request(sb.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code: body.oauth_grant.code, client_secret: 'other-secret' });
    expect(form.status).toBe(200);
  });

  it('refuses an unknown code and an expired one (short TTL)', async () => {
    const { sb, clock: c } = sandbox({ grantTtlSeconds: 2 });
    expect((await exchange(sb, 'no-such-code')).body.id).toBe('invalid_grant');
    const body = sb.createAddon({ plan: 'test' });
    c.advance(2);
    const res = await exchange(sb, body.oauth_grant.code);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ id: 'invalid_grant' });
    expect(res.body.message).toMatch(/expired/);
  });

  it('expires a grant on the real clock too', async () => {
    const sb = createHerokuSandbox({ grantTtlSeconds: 0.05 });
    const body = sb.createAddon({ plan: 'test' });
    await new Promise((r) => setTimeout(r, 80));
    expect((await exchange(sb, body.oauth_grant.code)).status).toBe(400);
  });

  it('mintGrant gives a fresh grant and kills the old one', async () => {
    const { sb } = sandbox();
    const body = sb.createAddon({ plan: 'test' });
    const fresh = sb.mintGrant(body.uuid);
    expect(fresh.code).not.toBe(body.oauth_grant.code);
    expect((await exchange(sb, body.oauth_grant.code)).status).toBe(400);
    expect((await exchange(sb, fresh.code)).status).toBe(200);
    expect(() => sb.mintGrant('nope')).toThrow();
  });

  it('refreshes an access token; refresh tokens do not expire', async () => {
    const { sb, clock: c } = sandbox();
    const { body, token, refresh } = await provisioned(sb);
    c.advance(365 * 24 * 3600);
    expect((await api(sb, token).get(`/addons/${body.uuid}`)).status).toBe(401);
    const res = await request(sb.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refresh, client_secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 28800, refresh_token: refresh });
    expect(res.body.access_token).not.toBe(token);
    expect((await api(sb, res.body.access_token).get(`/addons/${body.uuid}`)).status).toBe(200);

    const wrongSecret = await request(sb.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refresh, client_secret: 'x' });
    expect(wrongSecret.status).toBe(401);
    const unknown = await request(sb.app)
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: 'nope', client_secret: SECRET });
    expect(unknown.status).toBe(400);
    expect(unknown.body.id).toBe('invalid_grant');
  });

  it('rejects other grant types and missing parameters', async () => {
    const { sb } = sandbox();
    const r1 = await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'password', client_secret: SECRET });
    expect(r1.status).toBe(400);
    expect(r1.body.id).toBe('unsupported_grant_type');
    const r2 = await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', client_secret: SECRET });
    expect(r2.status).toBe(400);
    expect(r2.body.id).toBe('invalid_request');
  });
});

describe('Platform API', () => {
  it('expires access tokens after accessTokenTtlSeconds', async () => {
    const { sb, clock: c } = sandbox({ accessTokenTtlSeconds: 60 });
    const { body, token } = await provisioned(sb);
    c.advance(59);
    expect((await api(sb, token).get(`/addons/${body.uuid}`)).status).toBe(200);
    c.advance(1);
    const res = await api(sb, token).get(`/addons/${body.uuid}`);
    expect(res.status).toBe(401);
    expect(res.body.id).toBe('unauthorized');
  });

  it('needs a bearer token', async () => {
    const { sb } = sandbox();
    const { body } = await provisioned(sb);
    const none = await request(sb.app).get(`/addons/${body.uuid}`).set('Accept', ACCEPT);
    expect(none.status).toBe(401);
    expect(none.body.id).toBe('unauthorized');
    const bad = await api(sb, 'HRKU-made-up').get(`/addons/${body.uuid}`);
    expect(bad.status).toBe(401);
    const basic = await request(sb.app).get(`/addons/${body.uuid}`).set('Accept', ACCEPT).set('Authorization', 'Basic Zm9vOmJhcg==');
    expect(basic.status).toBe(401);
  });

  it('checks the Accept header: 400 without the versioned type, 406 for another version', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb);
    const path = `/addons/${body.uuid}`;
    const auth = { Authorization: `Bearer ${token}` };
    const missing = await request(sb.app).get(path).set(auth);
    expect(missing.status).toBe(400);
    expect(missing.body.id).toBe('bad_request');
    const plain = await request(sb.app).get(path).set(auth).set('Accept', 'application/json');
    expect(plain.status).toBe(400);
    const noVersion = await request(sb.app).get(path).set(auth).set('Accept', 'application/vnd.heroku+json');
    expect(noVersion.status).toBe(400);
    const v2 = await request(sb.app).get(path).set(auth).set('Accept', 'application/vnd.heroku+json; version=2');
    expect(v2.status).toBe(406);
    expect(v2.body.id).toBe('not_acceptable');
    const listed = await request(sb.app).get(path).set(auth).set('Accept', `application/json, ${ACCEPT}`);
    expect(listed.status).toBe(200);
  });

  it('GET /addons/:uuid answers the add-on, also by name', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb, { plan: 'basic', appName: 'acme-web' });
    const res = await api(sb, token).get(`/addons/${body.uuid}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body).toMatchObject({
      id: body.uuid,
      name: body.name,
      app: { name: 'acme-web' },
      state: 'provisioning',
      plan: { name: 'anypoint-api-gateway:basic' },
      addon_service: { name: 'anypoint-api-gateway' },
      config_vars: [],
    });
    expect(res.body.app.id).toBe(sb.addon(body.uuid)!.app.id);
    expect((await api(sb, token).get(`/addons/${body.name}`)).body.id).toBe(body.uuid);
    expect((await api(sb, token).get('/addons/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it("scopes a token to its add-on and that add-on's app (403)", async () => {
    const { sb } = sandbox();
    const a = await provisioned(sb, { plan: 'test', appName: 'app-a' });
    const b = await provisioned(sb, { plan: 'test', appName: 'app-b' });
    const onB = await api(sb, a.token).get(`/addons/${b.body.uuid}`);
    expect(onB.status).toBe(403);
    expect(onB.body.id).toBe('forbidden');
    expect((await api(sb, a.token).patch(`/addons/${b.body.uuid}/config`, { config: [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://x' }] })).status).toBe(403);
    expect((await api(sb, a.token).post(`/addons/${b.body.uuid}/actions/provision`)).status).toBe(403);
    expect(sb.addon(b.body.uuid)).toMatchObject({ state: 'provisioning', config: {} });
    expect(sb.actionCount(b.body.uuid, 'provision')).toBe(0);
    expect((await api(sb, a.token).get('/apps/app-b/domains')).status).toBe(403);
    expect((await api(sb, a.token).get('/apps/app-a/domains')).status).toBe(200);
    expect((await api(sb, a.token).get('/apps/no-such-app/domains')).status).toBe(404);
  });

  it('lists domains with the herokuapp.com host (<app>-<12 hex>, as for apps made since mid-2023) as kind heroku, a custom one first', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb, { plan: 'test', appName: 'acme-web' });
    const appId = sb.addon(body.uuid)!.app.id;
    for (const key of ['acme-web', appId]) {
      const res = await api(sb, token).get(`/apps/${key}/domains`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(2);
      expect(res.body[0]).toMatchObject({ kind: 'custom', hostname: 'www.acme-web.example.com' });
      expect(res.body[1].kind).toBe('heroku');
      expect(res.body[1].hostname).toMatch(/^acme-web-[0-9a-f]{12}\.herokuapp\.com$/);
      expect(res.body[1].app).toEqual({ id: appId, name: 'acme-web' });
      expect(typeof res.body[1].id).toBe('string');
    }
    const app = await api(sb, token).get('/apps/acme-web');
    expect(app.status).toBe(200);
    expect(app.body.web_url).toMatch(/^https:\/\/acme-web-[0-9a-f]{12}\.herokuapp\.com\/$/);
  });

  it('can leave the custom domain out', async () => {
    const { sb } = sandbox({ customDomain: false });
    const { token } = await provisioned(sb, { plan: 'test', appName: 'plain' });
    const res = await api(sb, token).get('/apps/plain/domains');
    expect(res.body.map((d: { kind: string }) => d.kind)).toEqual(['heroku']);
  });

  it('PATCH config accepts the declared vars and refuses anything else, changing nothing', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb);
    const path = `/addons/${body.uuid}/config`;
    const good = await api(sb, token).patch(path, {
      config: [
        { name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://proxy.example/' },
        { name: 'ANYPOINT_API_GATEWAY_API_ID', value: '12345' },
      ],
    });
    expect(good.status).toBe(200);
    expect(good.body).toEqual([
      { name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://proxy.example/' },
      { name: 'ANYPOINT_API_GATEWAY_API_ID', value: '12345' },
    ]);

    const refusals: unknown[] = [
      { config: [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://changed/' }, { name: 'ANYPOINT_API_GATEWAY_TOKEN', value: 'x' }] },
      { config: [{ name: 'DATABASE_URL', value: 'postgres://x' }] },
      { config: [{ name: 'ANYPOINT_API_GATEWAY_API_ID', value: 42 }] },
      { config: [{ name: 'ANYPOINT_API_GATEWAY_API_ID' }] },
      { config: { ANYPOINT_API_GATEWAY_URL: 'https://x' } },
      {},
    ];
    for (const bad of refusals) {
      const res = await api(sb, token).patch(path, bad);
      expect(res.status).toBe(422);
      expect(res.body.id).toBe('invalid_params');
      expect(typeof res.body.message).toBe('string');
    }
    expect(sb.addon(body.uuid)!.config).toEqual({
      ANYPOINT_API_GATEWAY_URL: 'https://proxy.example/',
      ANYPOINT_API_GATEWAY_API_ID: '12345',
    });
    expect((await api(sb, token).get(path)).body).toHaveLength(2);
    expect((await api(sb, token).get(`/addons/${body.uuid}`)).body.config_vars).toEqual([
      'ANYPOINT_API_GATEWAY_URL',
      'ANYPOINT_API_GATEWAY_API_ID',
    ]);
  });

  it('honours a prefix and var list from options', async () => {
    const { sb } = sandbox({ configVarsPrefix: 'FOO', configVars: ['FOO_URL', 'BAR_URL'] });
    const { body, token } = await provisioned(sb);
    const path = `/addons/${body.uuid}/config`;
    expect((await api(sb, token).patch(path, { config: [{ name: 'FOO_URL', value: 'https://x' }] })).status).toBe(200);
    // declared, but without the prefix
    expect((await api(sb, token).patch(path, { config: [{ name: 'BAR_URL', value: 'https://x' }] })).status).toBe(422);
  });

  it('runs the provision and deprovision actions and counts them', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb);
    const prov = await api(sb, token).post(`/addons/${body.uuid}/actions/provision`);
    expect(prov.status).toBe(200);
    expect(prov.body).toMatchObject({ id: body.uuid, state: 'provisioned' });
    await api(sb, token).post(`/addons/${body.uuid}/actions/provision`);
    expect(sb.actionCount(body.uuid, 'provision')).toBe(2);
    expect(sb.addon(body.uuid)!.provisionedAt).toBeDefined();

    const de = await api(sb, token).post(`/addons/${body.uuid}/actions/deprovision`);
    expect(de.status).toBe(200);
    expect(de.body.state).toBe('deprovisioned');
    expect(sb.actionCount(body.uuid, 'deprovision')).toBe(1);
    expect(sb.addon(body.uuid)).toMatchObject({ state: 'deprovisioned' });
    expect(sb.addon(body.uuid)!.deprovisionedAt).toBeDefined();

    // once deprovisioned it stays so
    const late = await api(sb, token).post(`/addons/${body.uuid}/actions/provision`);
    expect(late.status).toBe(422);
    expect(sb.addon(body.uuid)!.state).toBe('deprovisioned');
    expect((await api(sb, token).post(`/addons/${body.uuid}/actions/deprovision`)).status).toBe(200);
    expect((await api(sb, token).post(`/addons/${body.uuid}/actions/restart`)).status).toBe(404);
  });

  it('sends RateLimit-Remaining and answers 429 past the limit', async () => {
    const { sb } = sandbox({ rateLimit: 3 });
    const { body, token } = await provisioned(sb);
    const other = await provisioned(sb);
    const path = `/addons/${body.uuid}`;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api(sb, token).get(path);
      expect(res.status).toBe(200);
      seen.push(res.headers['ratelimit-remaining']);
    }
    expect(seen).toEqual(['2', '1', '0']);
    const over = await api(sb, token).get(path);
    expect(over.status).toBe(429);
    expect(over.body.id).toBe('rate_limit');
    expect(over.headers['ratelimit-remaining']).toBe('0');
    // another add-on's account is not affected
    const res = await api(sb, other.token).get(`/addons/${other.body.uuid}`);
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('2');
  });

  it('refills the rate limit over time', async () => {
    const { sb, clock: c } = sandbox({ rateLimit: 2, rateLimitRefillPerMinute: 60 });
    const { body, token } = await provisioned(sb);
    const path = `/addons/${body.uuid}`;
    await api(sb, token).get(path);
    await api(sb, token).get(path);
    expect((await api(sb, token).get(path)).status).toBe(429);
    c.advance(1);
    const res = await api(sb, token).get(path);
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('0');
    c.advance(3600);
    expect((await api(sb, token).get(path)).headers['ratelimit-remaining']).toBe('1');
  });
});

describe('faults', () => {
  it('answers an injected status for a number of times, by path pattern and method', async () => {
    const { sb } = sandbox();
    const { body, token } = await provisioned(sb);
    sb.setFaults([{ path: '/addons/:uuid/actions/provision', method: 'post', status: 503, times: 2 }]);
    const path = `/addons/${body.uuid}/actions/provision`;
    const r1 = await api(sb, token).post(path);
    expect(r1.status).toBe(503);
    expect(r1.body.id).toBe('service_unavailable');
    expect((await api(sb, token).post(path)).status).toBe(503);
    expect((await api(sb, token).post(path)).status).toBe(200);
    expect(sb.actionCount(body.uuid, 'provision')).toBe(1);
    // method filter
    sb.setFaults([{ path: '/addons/*', method: 'PATCH', status: 500 }]);
    expect((await api(sb, token).get(`/addons/${body.uuid}`)).status).toBe(200);
    expect((await api(sb, token).patch(`/addons/${body.uuid}/config`, { config: [] })).status).toBe(500);
    sb.clearFaults();
    expect((await api(sb, token).patch(`/addons/${body.uuid}/config`, { config: [] })).status).toBe(200);
  });

  it('errorRate 0 never fires; latency delays the real answer', async () => {
    const { sb } = sandbox();
    const body = sb.createAddon({ plan: 'test' });
    sb.setFaults([
      { path: '/oauth/token', status: 500, errorRate: 0 },
      { path: '/oauth/token', latencyMs: 120 },
    ]);
    const t0 = Date.now();
    const res = await exchange(sb, body.oauth_grant.code);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('rejects malformed rules', () => {
    const { sb } = sandbox();
    expect(() => sb.setFaults([{ path: '' }])).toThrow();
    expect(() => sb.setFaults([{ path: '/x', errorRate: 2 }])).toThrow();
    expect(() => sb.setFaults([{ path: '/x', status: 42 }])).toThrow();
  });

  it('matches path patterns', () => {
    expect(pathPattern('/addons/:uuid').test('/addons/abc')).toBe(true);
    expect(pathPattern('/addons/:uuid').test('/addons/abc/config')).toBe(false);
    expect(pathPattern('/addons/*').test('/addons/abc/config')).toBe(true);
    expect(pathPattern('/oauth/token').test('/oauth/tokens')).toBe(false);
  });
});

describe('call recording', () => {
  it('records every call with its auth kind and add-on, never a token, code or secret', async () => {
    const { sb } = sandbox();
    const { body, token, refresh } = await provisioned(sb);
    await api(sb, token).patch(`/addons/${body.uuid}/config`, { config: [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://p/' }] });
    await api(sb, token).get('/apps/whatever/domains?x=1');
    await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refresh, client_secret: SECRET });
    await request(sb.app).get('/__sandbox/calls');

    const calls = sb.calls();
    expect(calls.map((c) => [c.method, c.path, c.status, c.auth])).toEqual([
      ['POST', '/oauth/token', 200, 'none'],
      ['PATCH', `/addons/${body.uuid}/config`, 200, 'bearer'],
      ['GET', '/apps/whatever/domains', 404, 'bearer'],
      ['POST', '/oauth/token', 200, 'none'],
    ]);
    expect(calls.every((c) => c.addonUuid === body.uuid)).toBe(true);
    expect(calls[0].body).toEqual({ grant_type: 'authorization_code' });
    expect(calls[1].body).toEqual({ config: [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://p/' }] });
    expect(Number.isNaN(Date.parse(calls[0].at))).toBe(false);
    const dump = JSON.stringify(calls);
    for (const s of [token, refresh, body.oauth_grant.code, SECRET]) expect(dump).not.toContain(s);
  });

  it('keeps only the last maxCalls', async () => {
    const { sb } = sandbox({ maxCalls: 3 });
    for (let i = 0; i < 5; i++) await request(sb.app).get(`/nothing/${i}`);
    expect(sb.calls().map((c) => c.path)).toEqual(['/nothing/2', '/nothing/3', '/nothing/4']);
  });
});

describe('control endpoints and a real server', () => {
  let sb: HerokuSandbox;
  let url: string;
  beforeAll(async () => {
    sb = deliberate(createHerokuSandbox());
    url = (await sb.start(0)).url;
  });
  afterAll(async () => {
    await sb.close();
  });

  it('runs the whole add-on conversation over HTTP', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const created = await request(url).post('/__sandbox/addons').send({ plan: 'premium', appName: 'live', region: 'amazon-web-services::eu-west-1' });
    expect(created.status).toBe(201);
    const body = created.body;
    expect(body.callback_url).toBe(`${url}/addons/${body.uuid}`);
    expect(body.region).toBe('amazon-web-services::eu-west-1');

    const grant = await request(url).post(`/__sandbox/addons/${body.uuid}/grant`);
    expect(grant.status).toBe(201);
    expect(grant.body.type).toBe('authorization_code');
    expect((await request(url).post('/__sandbox/addons/nope/grant')).status).toBe(404);

    const tok = await request(url).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: grant.body.code, client_secret: SECRET });
    expect(tok.status).toBe(200);
    const auth = { Accept: ACCEPT, Authorization: `Bearer ${tok.body.access_token}` };
    expect((await request(url).post(`/addons/${body.uuid}/actions/provision`).set(auth)).body.state).toBe('provisioned');

    const view = await request(url).get(`/__sandbox/addons/${body.uuid}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ uuid: body.uuid, state: 'provisioned', plan: 'premium', actions: { provision: 1, deprovision: 0 } });
    expect((await request(url).get('/__sandbox/addons/nope')).status).toBe(404);

    const calls = await request(url).get('/__sandbox/calls');
    expect(calls.body.map((c: { path: string }) => c.path)).toEqual(['/oauth/token', `/addons/${body.uuid}/actions/provision`]);
    expect((await request(url).get(`/__sandbox/calls?addonUuid=${body.uuid}`)).body).toHaveLength(2);

    expect((await request(url).post('/__sandbox/addons').send({ plan: 'test', uuid: body.uuid })).status).toBe(409);
    expect((await request(url).post('/__sandbox/addons').send({})).status).toBe(400);
  });

  it('sets and clears faults, and resets', async () => {
    const set = await request(url).post('/__sandbox/faults').send([{ path: '/oauth/token', status: 502, times: 1 }]);
    expect(set.status).toBe(200);
    expect(set.body.rules[0]).toMatchObject({ path: '/oauth/token', remaining: 1 });
    expect((await request(url).post('/oauth/token')).status).toBe(502);
    expect((await request(url).post('/oauth/token').type('form').send({})).status).toBe(401);
    expect((await request(url).post('/__sandbox/faults').send({ rules: [{ path: '/x', errorRate: 5 }] })).status).toBe(400);
    await request(url).post('/__sandbox/faults').send({ rules: [{ path: '/oauth/token', status: 500 }] });
    expect((await request(url).delete('/__sandbox/faults')).status).toBe(204);
    expect((await request(url).post('/oauth/token').type('form').send({})).status).toBe(401);

    expect((await request(url).post('/__sandbox/reset')).status).toBe(204);
    expect((await request(url).get('/__sandbox/calls')).body).toEqual([]);
    expect(sb.calls()).toEqual([]);
  });

  it('refuses a second start and closes twice without harm', async () => {
    await expect(sb.start(0)).rejects.toThrow(/already started/);
    const other = createHerokuSandbox();
    await other.start(0);
    await other.close();
    await other.close();
  });
});
