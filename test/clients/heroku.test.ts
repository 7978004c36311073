import { validateUpstream } from '../../src/domain/upstream';
import { UnexpectedResponseError, UpstreamError, isPermanent, isRetryable } from '../../src/clients/errors';
import {
  RefreshingHerokuTokenSource,
  createHerokuClients,
  pickAppHost,
  type HerokuClientConfig,
  type HerokuTokenSource,
} from '../../src/clients/heroku';
import { HEROKU_API, HEROKU_APP_ID, HEROKU_ID, contractNock, expectViolation, herokuAddon, netError, recordingSleep, setupNock } from './helpers';

setupNock();

const OAUTH_SECRET = 'heroku-oauth-client-secret-xyz';
const UUID = '01234567-89ab-cdef-0123-456789abcdef';
const NOW = Date.parse('2026-03-01T12:00:00Z');

const cfg: HerokuClientConfig = {
  HEROKU_API_URL: HEROKU_API,
  HEROKU_ID_URL: HEROKU_ID,
  HEROKU_OAUTH_CLIENT_SECRET: OAUTH_SECRET,
  HTTP_TIMEOUT_MS: 2_000,
  HTTP_MAX_TRIES: 3,
  HTTP_BACKOFF_BASE_MS: 100,
  HTTP_BACKOFF_MAX_MS: 5_000,
};

function make(now: () => number = () => NOW) {
  const rec = recordingSleep();
  return { ...createHerokuClients(cfg, { sleep: rec.sleep, random: () => 0.5, now }), delays: rec.delays };
}

/** A domain as the Platform API lists it. */
function domain(hostname: string, kind: 'heroku' | 'custom') {
  return {
    acm_status: null,
    acm_status_reason: null,
    app: { id: HEROKU_APP_ID, name: 'myapp' },
    cname: kind === 'custom' ? 'myapp-1a2b3c.herokudns.com' : null,
    created_at: '2026-03-01T12:00:00Z',
    hostname,
    id: kind === 'custom' ? '9d8c7b6a-5f4e-4d3c-8b2a-190817263544' : '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    kind,
    sni_endpoint: null,
    status: 'succeeded',
    updated_at: '2026-03-01T12:00:00Z',
  };
}

function staticTokens(token = 'access-token-aaaa1111', fresh = 'access-token-bbbb2222') {
  const src = { get: jest.fn(async () => token), refresh: jest.fn(async () => fresh) };
  return src satisfies HerokuTokenSource;
}

describe('Heroku OAuth', () => {
  it('exchanges the grant: form-encoded code and client secret', async () => {
    let body = '';
    contractNock(HEROKU_ID)
      .post('/oauth/token', (b: string) => {
        body = b;
        return true;
      })
      .matchHeader('content-type', /application\/x-www-form-urlencoded/)
      .reply(200, { access_token: 'at-1', refresh_token: 'rt-1', expires_in: 28800, token_type: 'Bearer', user_id: 'user-9' });
    const { oauth } = make();
    const t = await oauth.exchangeGrant('grant-code-123');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'authorization_code',
      code: 'grant-code-123',
      client_secret: OAUTH_SECRET,
    });
    expect(t).toEqual({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: new Date(NOW + 28_800_000).toISOString(), userId: 'user-9' });
  });

  it('refreshes with grant_type=refresh_token and keeps the refresh token when none comes back', async () => {
    // Heroku always answers a refresh token (and today the same one); the client keeps the old one if not
    expectViolation({ direction: 'response', message: "must have required property 'refresh_token'" });
    let body = '';
    contractNock(HEROKU_ID)
      .post('/oauth/token', (b: string) => {
        body = b;
        return true;
      })
      .reply(200, { access_token: 'at-2', expires_in: 3600, token_type: 'Bearer' });
    const { oauth } = make();
    const t = await oauth.refresh('rt-1', 'user-9');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
      client_secret: OAUTH_SECRET,
    });
    expect(t).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-1', userId: 'user-9' });
  });

  it('an expired grant is permanent and the client secret never shows', async () => {
    contractNock(HEROKU_ID)
      .post('/oauth/token')
      .reply(401, { id: 'unauthorized', message: `Invalid grant for client_secret=${OAUTH_SECRET}` });
    const { oauth } = make();
    const err = (await oauth.exchangeGrant('old-code').catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.api).toBe('heroku-id');
    expect(err.code).toBe('unauthorized');
    expect(isPermanent(err)).toBe(true);
    expect(String(err)).not.toContain(OAUTH_SECRET);
    expect(JSON.stringify(err)).not.toContain(OAUTH_SECRET);
    expect(JSON.stringify(err)).not.toContain('old-code');
  });

  it('a grant exchange that timed out or got reset is not repeated (a code works once)', async () => {
    const scope = contractNock(HEROKU_ID).post('/oauth/token').replyWithError(netError('ECONNRESET'));
    const { oauth, delays } = make();
    const err = (await oauth.exchangeGrant('code').catch((e: unknown) => e)) as UpstreamError;
    expect(err.uncertain).toBe(true);
    expect(isRetryable(err)).toBe(true);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('a refresh is retried on 500', async () => {
    contractNock(HEROKU_ID).post('/oauth/token').reply(500).post('/oauth/token').reply(200, { access_token: 'at-3', refresh_token: 'rt-3', expires_in: 28800, token_type: 'Bearer' });
    const { oauth, delays } = make();
    await expect(oauth.refresh('rt-1')).resolves.toMatchObject({ accessToken: 'at-3' });
    expect(delays).toHaveLength(1);
  });
});

describe('RefreshingHerokuTokenSource', () => {
  it('hands out the stored token, refreshes near expiry, stores the new tokens', async () => {
    let now = NOW;
    contractNock(HEROKU_ID).post('/oauth/token').reply(200, { access_token: 'at-new', refresh_token: 'rt-new', expires_in: 28800, token_type: 'Bearer' });
    const { oauth } = make(() => now);
    const saved: unknown[] = [];
    const src = new RefreshingHerokuTokenSource({
      tokens: { accessToken: 'at-old', refreshToken: 'rt-old', expiresAt: new Date(NOW + 120_000).toISOString(), userId: 'u' },
      oauth,
      now: () => now,
      onRefresh: (t) => {
        saved.push(t);
      },
    });
    expect(await src.get()).toBe('at-old');
    now += 61_000; // 59 s before expiry
    expect(await src.get()).toBe('at-new');
    expect(saved).toEqual([expect.objectContaining({ accessToken: 'at-new', refreshToken: 'rt-new', userId: 'u' })]);
  });

  it('concurrent refreshes share one request; a stale 401 reuses the newer token', async () => {
    const scope = contractNock(HEROKU_ID).post('/oauth/token').delay(10).reply(200, { access_token: 'at-new', refresh_token: 'rt', expires_in: 28800, token_type: 'Bearer' });
    const { oauth } = make();
    const src = new RefreshingHerokuTokenSource({
      tokens: { accessToken: 'at-old', refreshToken: 'rt', expiresAt: new Date(NOW + 3_600_000).toISOString() },
      oauth,
      now: () => NOW,
    });
    const got = await Promise.all([src.refresh('at-old'), src.refresh('at-old'), src.refresh()]);
    expect(got).toEqual(['at-new', 'at-new', 'at-new']);
    expect(await src.refresh('at-old')).toBe('at-new');
    scope.done();
  });
});

describe('Heroku Platform API', () => {
  const heroku = () =>
    contractNock(HEROKU_API, {
      reqheaders: { accept: 'application/vnd.heroku+json; version=3', authorization: 'Bearer access-token-aaaa1111' },
    });

  it('getAddon and getAppDomains with the v3 Accept header and the bearer token', async () => {
    heroku()
      .get(`/addons/${UUID}`)
      .reply(200, herokuAddon(UUID))
      .get(`/apps/${HEROKU_APP_ID}/domains`)
      .reply(200, [domain('www.example.com', 'custom'), domain('myapp-1a2b3c.herokuapp.com', 'heroku')]);
    const { platform } = make();
    const p = platform(staticTokens());
    const addon = await p.getAddon(UUID);
    expect(addon).toMatchObject({ id: UUID, state: 'provisioning', app: { id: HEROKU_APP_ID, name: 'myapp' } });
    const domains = await p.getAppDomains(addon!.app.id);
    expect(pickAppHost(domains)).toBe('myapp-1a2b3c.herokuapp.com');
  });

  it('getAddon: null on 404', async () => {
    heroku().get(`/addons/${UUID}`).reply(404, { id: 'not_found', message: 'Couldn’t find that add-on.' });
    const { platform } = make();
    expect(await platform(staticTokens()).getAddon(UUID)).toBeNull();
  });

  it('answers the client cannot use are UnexpectedResponseErrors', async () => {
    expectViolation({ direction: 'response', message: "GET /addons/{add_on_identity} → 200 body: must have required property 'app'" });
    expectViolation({ direction: 'response', message: 'GET /apps/{app_identity}/domains → 200 body: must be array' });
    const { app: _app, ...withoutApp } = herokuAddon(UUID);
    heroku()
      .get(`/addons/${UUID}`)
      .reply(200, withoutApp)
      .get(`/apps/${HEROKU_APP_ID}/domains`)
      .reply(200, { domains: [] });
    const { platform } = make();
    const p = platform(staticTokens());
    await expect(p.getAddon(UUID)).rejects.toBeInstanceOf(UnexpectedResponseError);
    await expect(p.getAppDomains(HEROKU_APP_ID)).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('setConfig PATCHes {config:[{name,value}]} as JSON', async () => {
    let body: unknown;
    heroku()
      .patch(`/addons/${UUID}/config`, (b) => {
        body = b;
        return true;
      })
      .matchHeader('content-type', /application\/json/)
      .reply(200, [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://aag-x.us-e2.cloudhub.io/' }]);
    const { platform } = make();
    await platform(staticTokens()).setConfig(UUID, {
      ANYPOINT_API_GATEWAY_URL: 'https://aag-x.us-e2.cloudhub.io/',
      ANYPOINT_API_GATEWAY_API_ID: '18800001',
    });
    expect(body).toEqual({
      config: [
        { name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://aag-x.us-e2.cloudhub.io/' },
        { name: 'ANYPOINT_API_GATEWAY_API_ID', value: '18800001' },
      ],
    });
  });

  it('provision and deprovision actions are POSTed and retried on a 500', async () => {
    heroku()
      .post(`/addons/${UUID}/actions/provision`)
      .reply(500)
      .post(`/addons/${UUID}/actions/provision`)
      .reply(200, herokuAddon(UUID, { state: 'provisioned' }))
      .post(`/addons/${UUID}/actions/deprovision`)
      .reply(200, herokuAddon(UUID, { state: 'deprovisioned' }));
    const { platform, delays } = make();
    const p = platform(staticTokens());
    await p.provisionAction(UUID);
    await p.deprovisionAction(UUID);
    expect(delays).toHaveLength(1);
  });

  it('on a 401: refresh once, retry once with the new token', async () => {
    const auths: unknown[] = [];
    contractNock(HEROKU_API)
      .get(`/addons/${UUID}`)
      .times(2)
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return auths.length === 1 ? [401, { id: 'unauthorized', message: 'Invalid credentials provided.' }] : [200, herokuAddon(UUID)];
      });
    const tokens = staticTokens();
    const { platform } = make();
    await platform(tokens).getAddon(UUID);
    expect(auths).toEqual(['Bearer access-token-aaaa1111', 'Bearer access-token-bbbb2222']);
    expect(tokens.refresh).toHaveBeenCalledTimes(1);
  });

  it('a second 401 is permanent and names neither token', async () => {
    contractNock(HEROKU_API).get(`/addons/${UUID}`).times(2).reply(401, { id: 'unauthorized', message: 'Invalid credentials provided.' });
    const tokens = staticTokens();
    const { platform } = make();
    const err = (await platform(tokens).getAddon(UUID).catch((e: unknown) => e)) as UpstreamError;
    expect(err.status).toBe(401);
    expect(isPermanent(err)).toBe(true);
    expect(tokens.refresh).toHaveBeenCalledTimes(1);
    for (const t of ['access-token-aaaa1111', 'access-token-bbbb2222']) {
      expect(String(err)).not.toContain(t);
      expect(JSON.stringify(err)).not.toContain(t);
    }
  });

  it('Heroku rate limit (429 {id: rate_limit}) is retried, then retryable with its code', async () => {
    heroku().get(`/addons/${UUID}`).times(3).reply(429, { id: 'rate_limit', message: 'Your account reached the API rate limit' });
    const { platform, delays } = make();
    const err = (await platform(staticTokens()).getAddon(UUID).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('rate_limit');
    expect(err.api).toBe('heroku');
    expect(isRetryable(err)).toBe(true);
    expect(delays).toEqual([50, 100]);
  });
});

describe('pickAppHost', () => {
  it('takes the kind "heroku" herokuapp.com host, not the first entry', () => {
    expect(
      pickAppHost([
        { hostname: 'api.acme.com', kind: 'custom' },
        { hostname: 'other.herokuapp.com', kind: 'custom' },
        { hostname: 'MyApp-1a2b.herokuapp.com', kind: 'heroku' },
      ]),
    ).toBe('myapp-1a2b.herokuapp.com');
  });
  it('falls back to any herokuapp.com host, else null', () => {
    expect(pickAppHost([{ hostname: 'x.herokuapp.com', kind: 'custom' }])).toBe('x.herokuapp.com');
    expect(pickAppHost([{ hostname: 'api.acme.com', kind: 'custom' }])).toBeNull();
    expect(pickAppHost([{ hostname: 'evil-herokuapp.com', kind: 'heroku' }])).toBeNull();
    expect(pickAppHost([])).toBeNull();
  });
});

describe('validateUpstream (the --upstream option)', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://api.example.com/', 'https://api.example.com'],
    ['  https://API.Example.com:443/v1/  ', 'https://api.example.com/v1'],
  ])('accepts %s', (raw, url) => {
    expect(validateUpstream(raw, { mode: 'strict' })).toMatchObject({ ok: true, url });
  });

  it.each([
    ['', /URL/],
    ['not a url', /not a valid URL/],
    ['http://api.example.com', /https/],
    ['ftp://api.example.com', /https/],
    ['https://user:pass@api.example.com', /credentials/],
    ['https://api.example.com/?key=1', /query/],
    ['https://api.example.com/#x', /fragment/],
    ['https://localhost/', /public/],
    ['https://127.0.0.1/', /loopback/],
    ['https://[::1]/', /loopback/],
    ['https://intranet/', /public/],
    ['https://api.example.com:8443/', /443/],
  ])('refuses %j', (raw, message) => {
    const r = validateUpstream(raw, { mode: 'strict' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
