import request from 'supertest';
import {
  createAnypointSandbox,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_CONNECTED_APP_SCOPES,
  DEFAULT_ORG_ID,
  MULESOFT_POLICY_GROUP_ID,
  type AnypointSandbox,
} from '@aag/standins';

/**
 * The Anypoint stand-in's answers and knobs an operator's readiness check (the preflight) relies
 * on: the connected app's scopes, environments paged and filtered by exact name, space types, the
 * runtime lists without LTS lines, policy implementations per technology.
 */

const ENVS = Array.from({ length: 30 }, (_, i) => ({ id: `env-${i}`, name: `Env${i}` }));
const SPACES = [
  { id: '0b5e1c2a-1111-4c2e-9f10-1a2b3c4d5e01', name: 'aag-us-private', type: 'private-space' as const },
  { id: '0b5e1c2a-2222-4c2e-9f10-1a2b3c4d5e02', name: 'Cloudhub-EU-West-1' },
];
let sb: AnypointSandbox;
let url: string;
let auth: string;

beforeAll(async () => {
  sb = createAnypointSandbox({ environments: ENVS, spaces: SPACES });
  ({ url } = await sb.start());
});
afterAll(() => sb.close());
beforeEach(async () => {
  sb.reset();
  const t = await request(url).post('/accounts/api/v2/oauth2/token').send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET }).expect(200);
  auth = `Bearer ${t.body.access_token}`;
});
const get = (path: string) => request(url).get(path).set('Authorization', auth);

describe('Anypoint stand-in: what a preflight reads', () => {
  it('environments: 25 a page by default, limit up to 500, offset, and a case-sensitive name filter', async () => {
    const base = `/accounts/api/organizations/${DEFAULT_ORG_ID}/environments`;
    const first = (await get(base).expect(200)).body;
    expect(first.data).toHaveLength(25);
    expect(first.total).toBe(30);
    expect((await get(`${base}?offset=25&limit=10`).expect(200)).body.data.map((e: { name: string }) => e.name)).toEqual(['Env25', 'Env26', 'Env27', 'Env28', 'Env29']);
    expect((await get(`${base}?name=Env7`).expect(200)).body).toMatchObject({ total: 1, data: [{ id: 'env-7', name: 'Env7' }] });
    expect((await get(`${base}?name=env7`).expect(200)).body).toEqual({ total: 0, data: [] });
  });

  it('the connected app scopes: each scope once per environment, paged; another client is a 404; `scopes` takes one away', async () => {
    const path = `/accounts/api/connectedApplications/${DEFAULT_CLIENT_ID}/scopes`;
    const all = (await get(`${path}?limit=500`).expect(200)).body;
    expect(all.total).toBe(DEFAULT_CONNECTED_APP_SCOPES.length * ENVS.length);
    expect(all.data[0]).toEqual({ scope: DEFAULT_CONNECTED_APP_SCOPES[0], context_params: { org: DEFAULT_ORG_ID, envId: 'env-0' } });
    expect((await get(path).expect(200)).body.data).toHaveLength(25);
    await get(`/accounts/api/connectedApplications/someone-else/scopes`).expect(404);

    await request(url).post('/__sandbox/config').send({ scopes: DEFAULT_CONNECTED_APP_SCOPES.filter((s) => s !== 'manage:api_policies') }).expect(200);
    const fewer = (await get(`${path}?limit=500`).expect(200)).body;
    expect(fewer.data.some((d: { scope: string }) => d.scope === 'manage:api_policies')).toBe(false);
    await request(url).post('/__sandbox/config').send({ scopes: 'manage:apis' }).expect(400);
  });

  it('CloudHub 2.0 targets say whether a space is private or shared', async () => {
    const res = await get(`/proxies/xapi/v1/organizations/${DEFAULT_ORG_ID}/providers/MC/cloudhub2-deployment-targets?environmentId=env-0`).expect(200);
    expect(res.body).toEqual([
      { id: SPACES[0].id, name: 'aag-us-private', type: 'private-space' },
      { id: SPACES[1].id, name: 'Cloudhub-EU-West-1', type: 'shared-space' },
    ]);
  });

  it('ltsRuntimes: false leaves Edge lines only, in both runtime lists, and refuses an LTS gateway', async () => {
    await request(url).post('/__sandbox/config').send({ ltsRuntimes: false }).expect(200);
    const mule = (await get(`/proxies/xapi/v1/organizations/${DEFAULT_ORG_ID}/targets/${SPACES[0].id}/runtimes/mule/versions`).expect(200)).body as { channel: string }[];
    expect(mule.length).toBeGreaterThan(0);
    expect(mule.every((v) => v.channel === 'EDGE')).toBe(true);
    const gw = (await get('/gatewaymanager/xapi/v1/gateway/versions').expect(200)).body;
    expect(Object.keys(gw.channels)).toEqual(['edge']);
    const made = await request(url)
      .post(`/gatewaymanager/api/v1/organizations/${DEFAULT_ORG_ID}/environments/env-0/gateways`)
      .set('Authorization', auth)
      .send({ name: 'gw-lts', targetId: SPACES[0].id, runtimeVersion: '1.10.3', releaseChannel: 'lts', size: 'small' });
    expect(made.status).toBe(400);
  });

  it('policy implementations of a MuleSoft template version, one per technology; an unknown version is a 404', async () => {
    const path = `/exchange/api/v2/assets/${MULESOFT_POLICY_GROUP_ID}/rate-limiting/1.4.1/policies/implementations`;
    const res = await get(path).expect(200);
    expect(res.body.map((i: { technology: string }) => i.technology).sort()).toEqual(['flexGateway', 'mule4']);
    expect(res.headers['x-total-count']).toBe('2');
    await get(`/exchange/api/v2/assets/${MULESOFT_POLICY_GROUP_ID}/rate-limiting/9.9.9/policies/implementations`).expect(404);
  });
});
