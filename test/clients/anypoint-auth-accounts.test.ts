import nock from 'nock';
import { createAnypointClient } from '../../src/clients/anypoint';
import { EnvironmentNotFoundError, UpstreamError, isPermanent } from '../../src/clients/errors';
import { ANYPOINT, CLIENT_SECRET, ENV, ORG, TOKEN, anypointCfg, mockAnypointContext, recordingSleep, setupNock } from './helpers';

setupNock();

function make(now?: () => number) {
  const rec = recordingSleep();
  const client = createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5, now });
  return { client, delays: rec.delays };
}

describe('Anypoint auth (client credentials)', () => {
  it('posts the client credentials as JSON and caches the token', async () => {
    let body: unknown;
    const scope = nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token', (b) => {
        body = b;
        return true;
      })
      .matchHeader('content-type', /application\/json/)
      .reply(200, { access_token: TOKEN, token_type: 'bearer', expires_in: 3600 });
    const { client } = make();
    expect(await client.auth.get()).toBe(TOKEN);
    expect(await client.auth.get()).toBe(TOKEN);
    expect(body).toEqual({ grant_type: 'client_credentials', client_id: 'client-id-1', client_secret: CLIENT_SECRET });
    scope.done();
  });

  it('keeps the token until 60 s before expiry, then fetches a new one', async () => {
    let now = 1_000_000;
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'token-one-1111', expires_in: 600 })
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'token-two-2222', expires_in: 600 });
    const { client } = make(() => now);
    expect(await client.auth.get()).toBe('token-one-1111');
    now += 539_000; // 61 s before expiry
    expect(await client.auth.get()).toBe('token-one-1111');
    now += 2_000; // 59 s before expiry
    expect(await client.auth.get()).toBe('token-two-2222');
  });

  it('concurrent callers share one in-flight token fetch', async () => {
    const scope = nock(ANYPOINT).post('/accounts/api/v2/oauth2/token').delay(20).reply(200, { access_token: TOKEN, expires_in: 3600 });
    const { client } = make();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => client.auth.get()));
    expect(new Set(tokens)).toEqual(new Set([TOKEN]));
    scope.done();
  });

  it('on a 401 from an API call: one new token, the call repeated once', async () => {
    mockAnypointContext();
    const auths: unknown[] = [];
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 })
      .get('/cloudhub/api/v2/applications/app-1')
      .times(2)
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return auths.length === 1 ? [401, {}] : [200, { domain: 'app-1', status: 'STARTED' }];
      });
    const { client } = make();
    const app = await client.cloudhub.getApplication('app-1');
    expect(app?.status).toBe('STARTED');
    expect(auths).toEqual([`Bearer ${TOKEN}`, 'Bearer fresh-token-9999']);
    expect(await client.auth.get()).toBe('fresh-token-9999');
  });

  it('concurrent 401s share one refresh', async () => {
    mockAnypointContext();
    const tokenScope = nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .delay(10)
      .reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 });
    nock(ANYPOINT)
      .get(/\/cloudhub\/api\/v2\/applications\/.*/)
      .times(6)
      .reply(function () {
        return this.req.headers.authorization === `Bearer ${TOKEN}` ? [401, {}] : [200, { status: 'STARTED' }];
      });
    const { client } = make();
    await client.context();
    await Promise.all(['a', 'b', 'c'].map((d) => client.cloudhub.getApplication(`app-${d}`)));
    tokenScope.done();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a second 401 is a permanent error', async () => {
    mockAnypointContext();
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 })
      .get('/cloudhub/api/v2/applications/app-1')
      .times(2)
      .reply(401, { message: 'Unauthorized' });
    const { client } = make();
    const err = await client.cloudhub.getApplication('app-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(401);
    expect(isPermanent(err)).toBe(true);
  });

  it('bad client credentials: permanent, and the secret never shows', async () => {
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(401, { error: 'invalid_client', error_description: `client_secret ${CLIENT_SECRET} is wrong` });
    const { client } = make();
    const err = (await client.auth.get().catch((e: unknown) => e)) as UpstreamError;
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.api).toBe('accounts');
    expect(err.code).toBe('invalid_client');
    expect(err.retryable).toBe(false);
    expect(String(err)).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(err)).not.toContain(CLIENT_SECRET);
  });

  it('the token fetch is retried on 503 (it is idempotent)', async () => {
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(503)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 });
    const { client, delays } = make();
    expect(await client.auth.get()).toBe(TOKEN);
    expect(delays).toEqual([50]);
  });
});

describe('Anypoint accounts and context', () => {
  it('resolves org (client.org_id) and environment by name, once', async () => {
    const scope = mockAnypointContext();
    const { client } = make();
    const [a, b] = await Promise.all([client.context(), client.context()]);
    expect(a).toEqual({ orgId: ORG, envId: ENV, envName: 'Sandbox' });
    expect(b).toEqual(a);
    expect(await client.context()).toEqual(a);
    scope.done();
  });

  it('sends the bearer token and the org header on the environments call', async () => {
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(200, { client: { org_id: ORG } })
      .get(`/accounts/api/organizations/${ORG}/environments`)
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .matchHeader('x-anypnt-org-id', ORG)
      .reply(200, { data: [{ id: ENV, name: 'Sandbox' }], total: 1 });
    const { client } = make();
    await expect(client.context()).resolves.toMatchObject({ envId: ENV });
  });

  it('falls back to user.organization.id for a user token', async () => {
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .reply(200, { user: { organization: { id: 'org-user' } } });
    const { client } = make();
    expect(await client.accounts.orgId()).toBe('org-user');
  });

  it('an absent environment is a permanent error naming it and the ones that exist', async () => {
    mockAnypointContext({ envName: 'Design' });
    const { client } = make();
    const err = await client.context().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentNotFoundError);
    expect(isPermanent(err)).toBe(true);
    expect(String(err)).toContain('"Sandbox"');
    expect(String(err)).toContain('"Production"');
    expect(String(err)).toContain('"Design"');
    expect((err as EnvironmentNotFoundError).available).toEqual(['Production', 'Design']);
  });

  it('a failed context lookup is not cached', async () => {
    nock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .reply(400, { message: 'nope' });
    const { client } = make();
    await expect(client.context()).rejects.toBeInstanceOf(UpstreamError);
    nock(ANYPOINT)
      .get('/accounts/api/me')
      .reply(200, { client: { org_id: ORG } })
      .get(`/accounts/api/organizations/${ORG}/environments`)
      .reply(200, { data: [{ id: ENV, name: 'Sandbox' }] });
    await expect(client.context()).resolves.toEqual({ orgId: ORG, envId: ENV, envName: 'Sandbox' });
  });
});
