import nock from 'nock';
import { createAnypointClient } from '../../src/clients/anypoint';
import { EnvironmentNotFoundError, UnexpectedResponseError, UpstreamError, isPermanent } from '../../src/clients/errors';
import {
  ANYPOINT,
  CLIENT_SECRET,
  ENV,
  ORG,
  TOKEN,
  anypointCfg,
  contractNock,
  envQuery,
  environmentItem,
  expectViolation,
  meAnswer,
  mockAnypointContext,
  recordingSleep,
  setupNock,
  vendorExample,
} from './helpers';

setupNock();

const ENVS = `/accounts/api/organizations/${ORG}/environments`;
const GW_ID = '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';
const GW_STATUS = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways/${GW_ID}/status`;
const running = () => vendorExample('anypoint', 'GET', GW_STATUS);

function make(now?: () => number) {
  const rec = recordingSleep();
  const client = createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5, now });
  return { client, delays: rec.delays };
}

/** `count` environments named `<prefix>-<n>`, ids `env-<prefix>-<n>`. */
const envs = (prefix: string, count: number, from = 0) => Array.from({ length: count }, (_, i) => environmentItem(`env-${prefix}-${from + i}`, `${prefix}-${from + i}`));

describe('Anypoint auth (client credentials)', () => {
  it('posts the client credentials as JSON and caches the token', async () => {
    let body: unknown;
    const scope = contractNock(ANYPOINT)
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
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'token-one-1111', token_type: 'bearer', expires_in: 600 })
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'token-two-2222', token_type: 'bearer', expires_in: 600 });
    const { client } = make(() => now);
    expect(await client.auth.get()).toBe('token-one-1111');
    now += 539_000; // 61 s before expiry
    expect(await client.auth.get()).toBe('token-one-1111');
    now += 2_000; // 59 s before expiry
    expect(await client.auth.get()).toBe('token-two-2222');
  });

  it('a token answer without access_token is an UnexpectedResponseError', async () => {
    expectViolation({ direction: 'response', message: "must have required property 'access_token'" });
    contractNock(ANYPOINT).post('/accounts/api/v2/oauth2/token').reply(200, { token_type: 'bearer' });
    const { client } = make();
    await expect(client.auth.get()).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('concurrent callers share one in-flight token fetch', async () => {
    const scope = contractNock(ANYPOINT).post('/accounts/api/v2/oauth2/token').delay(20).reply(200, { access_token: TOKEN, expires_in: 3600 });
    const { client } = make();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => client.auth.get()));
    expect(new Set(tokens)).toEqual(new Set([TOKEN]));
    scope.done();
  });

  it('on a 401 from an API call: one new token, the call repeated once', async () => {
    mockAnypointContext();
    const auths: unknown[] = [];
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 })
      .get(GW_STATUS)
      .times(2)
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return auths.length === 1 ? [401, { message: 'Unauthorized', status: 401 }] : [200, running()];
      });
    const { client } = make();
    expect(await client.gateways.status(GW_ID)).toEqual({ status: 'RUNNING', ready: true, running: true });
    expect(auths).toEqual([`Bearer ${TOKEN}`, 'Bearer fresh-token-9999']);
    expect(await client.auth.get()).toBe('fresh-token-9999');
  });

  it('concurrent 401s share one refresh', async () => {
    mockAnypointContext();
    const tokenScope = contractNock(ANYPOINT).post('/accounts/api/v2/oauth2/token').delay(10).reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 });
    contractNock(ANYPOINT)
      .get(/\/gatewaymanager\/api\/v1\/.*\/status$/)
      .times(6)
      .reply(function () {
        return this.req.headers.authorization === `Bearer ${TOKEN}` ? [401, { message: 'Unauthorized', status: 401 }] : [200, running()];
      });
    const { client } = make();
    await client.context();
    const ids = ['a', 'b', 'c'].map((c) => GW_ID.replace(/^0/, c));
    await Promise.all(ids.map((id) => client.gateways.status(id)));
    tokenScope.done();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a second 401 is a permanent error', async () => {
    mockAnypointContext();
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: 'fresh-token-9999', expires_in: 3600 })
      .get(GW_STATUS)
      .times(2)
      .reply(401, { message: 'Unauthorized', status: 401 });
    const { client } = make();
    const err = await client.gateways.status(GW_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(401);
    expect(isPermanent(err)).toBe(true);
  });

  it('bad client credentials: permanent, and the secret never shows', async () => {
    contractNock(ANYPOINT)
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
    contractNock(ANYPOINT)
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
  it('resolves org (client.org_id) and the environment by name (one filtered call), once', async () => {
    const scope = mockAnypointContext();
    const { client } = make();
    const [a, b] = await Promise.all([client.context(), client.context()]);
    expect(a).toEqual({ orgId: ORG, envId: ENV, envName: 'Sandbox' });
    expect(b).toEqual(a);
    expect(await client.context()).toEqual(a);
    scope.done();
  });

  it('sends the bearer token, and the org header on the environments call', async () => {
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(200, meAnswer())
      .get(ENVS)
      .query(envQuery('Sandbox'))
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .matchHeader('x-anypnt-org-id', ORG)
      .reply(200, { data: [environmentItem(ENV, 'Sandbox')], total: 1 });
    const { client } = make();
    await expect(client.context()).resolves.toMatchObject({ envId: ENV });
  });

  it("falls back to user.organization.id (the vendor's own /me example names no client.org_id)", async () => {
    const me = vendorExample<{ client: Record<string, unknown>; user: { organization: { id: string } } }>('anypoint', 'GET', '/accounts/api/me');
    expect(me.client.org_id).toBeUndefined();
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .reply(200, me);
    const { client } = make();
    expect(await client.accounts.orgId()).toBe(me.user.organization.id);
  });

  it('a /me answer naming no organisation is an UnexpectedResponseError', async () => {
    const me = vendorExample<{ client: Record<string, unknown> }>('anypoint', 'GET', '/accounts/api/me');
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .reply(200, { client: me.client });
    const { client } = make();
    await expect(client.accounts.orgId()).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('a filter match in another case is not taken blindly: every page is read, then the one case-insensitive match', async () => {
    mockAnypointContext({ envName: 'SANDBOX' }); // the filtered answer holds no exact match
    const scope = contractNock(ANYPOINT, { reqheaders: { 'x-anypnt-org-id': ORG } })
      .get(ENVS)
      .query({ limit: '500', offset: '0' })
      .reply(200, { data: envs('dev', 500), total: 501 })
      .get(ENVS)
      .query({ limit: '500', offset: '500' })
      .reply(200, { data: [environmentItem('env-sb', 'sandbox')], total: 501 });
    const { client } = make();
    expect(await client.context()).toEqual({ orgId: ORG, envId: 'env-sb', envName: 'sandbox' });
    scope.done();
  });

  it('listEnvironments pages by 500 until a short page', async () => {
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get(ENVS)
      .query({ limit: '500', offset: '0' })
      .reply(200, { data: envs('a', 500), total: 1003 })
      .get(ENVS)
      .query({ limit: '500', offset: '500' })
      .reply(200, { data: envs('a', 500, 500), total: 1003 })
      .get(ENVS)
      .query({ limit: '500', offset: '1000' })
      .reply(200, { data: envs('a', 3, 1000), total: 1003 });
    const { client } = make();
    const all = await client.accounts.listEnvironments(ORG);
    expect(all).toHaveLength(1003);
    expect(all[1002]).toEqual({ id: 'env-a-1002', name: 'a-1002', organizationId: ORG, isProduction: false, type: 'sandbox' });
  });

  it('listEnvironments stops at the total, even on a full last page', async () => {
    const scope = contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get(ENVS)
      .query({ limit: '500', offset: '0' })
      .reply(200, { data: envs('a', 500), total: 500 });
    const { client } = make();
    expect(await client.accounts.listEnvironments(ORG)).toHaveLength(500);
    scope.done();
  });

  it('an absent environment is a permanent error naming it and the ones that exist', async () => {
    mockAnypointContext({ envName: 'Design' });
    contractNock(ANYPOINT)
      .get(ENVS)
      .query({ limit: '500', offset: '0' })
      .reply(200, { data: [environmentItem('env-prod', 'Production', { isProduction: true, type: 'production' }), environmentItem('env-d', 'Design')], total: 2 });
    const { client } = make();
    const err = await client.context().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentNotFoundError);
    expect(isPermanent(err)).toBe(true);
    expect(String(err)).toContain('"Sandbox"');
    expect(String(err)).toContain('"Production"');
    expect(String(err)).toContain('"Design"');
    expect((err as EnvironmentNotFoundError).available).toEqual(['Production', 'Design']);
  });

  it('an environments answer without a data list is an UnexpectedResponseError', async () => {
    expectViolation({ direction: 'response', operation: /environments$/ }, 2);
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get(ENVS)
      .query(true)
      .reply(200, { environments: [] });
    const { client } = make();
    await expect(client.accounts.listEnvironments(ORG)).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('a failed context lookup is not cached', async () => {
    contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get('/accounts/api/me')
      .reply(400, { message: 'nope' });
    const { client } = make();
    await expect(client.context()).rejects.toBeInstanceOf(UpstreamError);
    contractNock(ANYPOINT)
      .get('/accounts/api/me')
      .reply(200, meAnswer())
      .get(ENVS)
      .query(envQuery('Sandbox'))
      .reply(200, { data: [environmentItem(ENV, 'Sandbox')], total: 1 });
    await expect(client.context()).resolves.toEqual({ orgId: ORG, envId: ENV, envName: 'Sandbox' });
  });

  it('the environment is cached per org and name', async () => {
    const scope = contractNock(ANYPOINT)
      .post('/accounts/api/v2/oauth2/token')
      .reply(200, { access_token: TOKEN, expires_in: 3600 })
      .get(ENVS)
      .query(envQuery('Sandbox'))
      .reply(200, { data: [environmentItem(ENV, 'Sandbox')], total: 1 });
    const { client } = make();
    const [a, b] = await Promise.all([client.accounts.environment(ORG, 'Sandbox'), client.accounts.environment(ORG, 'Sandbox')]);
    expect(a).toBe(b);
    expect(a.id).toBe(ENV);
    scope.done();
  });
});
