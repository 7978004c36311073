import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  createAnypointSandbox,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  DEFAULT_SPACES,
  GATEWAY_VERSIONS,
  MULESOFT_POLICY_GROUP_ID,
  RUNTIME_VERSIONS,
  type AnypointSandbox,
  type FaultRule,
} from '@aag/standins';

const ORG = DEFAULT_ORG_ID;
const ENV = DEFAULT_ENVIRONMENTS[0].id;
const PROD = DEFAULT_ENVIRONMENTS[1].id;
const APIS = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;
const deploymentsPath = (apiId: number) =>
  `/proxies/xapi/v1/organizations/${ORG}/environments/${ENV}/apis/${apiId}/deployments`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sb: AnypointSandbox;
let url: string;
let gatewayUrl: string;
let upstream: http.Server;
let upstreamUrl: string;

beforeAll(async () => {
  sb = createAnypointSandbox({ deployDelayMs: 60, seed: 42 });
  ({ url, gatewayUrl } = await sb.start());
  // A tiny upstream that echoes what it received.
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-upstream', 'yes');
      res.end(
        JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sb.close();
  await new Promise<void>((r) => {
    upstream.close(() => r());
    upstream.closeAllConnections();
  });
});

beforeEach(() => sb.reset());

/** The next violations matching `m` are sent on purpose (this file tests the stand-in's refusals). */
const deliberately = (m: Parameters<AnypointSandbox['violations']['expect']>[0], times?: number) => sb.violations.expect(m, times);
const FOREIGN_ORG = '00000000-0000-4000-8000-000000000000';

async function tokenFor(base: string | AnypointSandbox['app'] = url): Promise<string> {
  const res = await request(base)
    .post('/accounts/api/v2/oauth2/token')
    .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET })
    .expect(200);
  return res.body.access_token as string;
}

/** A client with a fresh token. */
async function client() {
  const auth = `Bearer ${await tokenFor()}`;
  const r = request(url);
  return {
    get: (p: string) => r.get(p).set('Authorization', auth),
    del: (p: string) => r.delete(p).set('Authorization', auth),
    post: (p: string) => r.post(p).set('Authorization', auth),
    patch: (p: string) => r.patch(p).set('Authorization', auth),
    put: (p: string) => r.put(p).set('Authorization', auth),
  };
}
type Client = Awaited<ReturnType<typeof client>>;

function createAsset(c: Client, assetId: string, opts: { sync?: boolean; version?: string; groupId?: string } = {}) {
  const req = c
    .post(`/exchange/api/v2/organizations/${ORG}/assets/${opts.groupId ?? ORG}/${assetId}/${opts.version ?? '1.0.0'}`)
    .field('name', `Asset ${assetId}`)
    .field('description', 'made by a test')
    .field('type', 'http-api')
    .field('properties.apiVersion', 'v1')
    .field('status', 'published');
  return opts.sync === false ? req : req.set('x-sync-publication', 'true');
}

type Kind = 'ch2' | 'omni';

function createApi(c: Client, assetId: string, uri = upstreamUrl, label = 'my-addon', kind: Kind = 'ch2', basePath = `/${assetId}`) {
  const endpoint =
    kind === 'ch2'
      ? {
          type: 'http',
          uri,
          proxyUri: 'http://0.0.0.0:8081/',
          isCloudHub: null,
          deploymentType: 'CH2',
          muleVersion4OrAbove: true,
          referencesUserDomain: null,
          responseTimeout: null,
          validation: 'NOT_APPLICABLE',
          proxyTemplate: { assetVersion: '2.0.2' },
        }
      : { type: 'http', uri, proxyUri: `http://0.0.0.0:8081${basePath}`, isCloudHub: null, deploymentType: 'HY' };
  return c.post(APIS).send({ spec: { groupId: ORG, assetId, version: '1.0.0' }, instanceLabel: label, technology: kind === 'ch2' ? 'mule4' : 'flexGateway', endpoint });
}

const rateLimiting = (maximumRequests: number, timePeriodInMilliseconds = 60_000, exposeHeaders = true) => ({
  groupId: MULESOFT_POLICY_GROUP_ID,
  assetId: 'rate-limiting',
  assetVersion: '1.4.1',
  configurationData: { rateLimits: [{ maximumRequests, timePeriodInMilliseconds }], exposeHeaders, clusterizable: true },
  pointcutData: null,
  disabled: false,
});

const SPACE = DEFAULT_SPACES[0];
const LTS = RUNTIME_VERSIONS[0].tag;
const GATEWAYS = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
const AMC = `/amc/application-manager/api/v2/organizations/${ORG}/environments/${ENV}/deployments`;

function deployCh2(c: Client, apiId: number, applicationName: string, extra: Record<string, unknown> = {}) {
  return c.post(deploymentsPath(apiId)).send({
    type: 'CH2',
    targetId: SPACE.id,
    targetName: SPACE.name,
    applicationName,
    environmentId: ENV,
    environmentName: 'Sandbox',
    gatewayVersion: LTS,
    overwrite: false,
    ...extra,
  });
}

function createGateway(c: Client, name: string, extra: Record<string, unknown> = {}) {
  return c.post(GATEWAYS).send({ name, targetId: SPACE.id, runtimeVersion: GATEWAY_VERSIONS.lts[0], releaseChannel: 'lts', size: 'small', ...extra });
}

async function runningGateway(c: Client, name: string): Promise<{ id: string; publicUrl: string; runtimeVersion: string }> {
  const made = (await createGateway(c, name).expect(201)).body as { id: string; runtimeVersion: string; configuration: { ingress: { publicUrl: string } } };
  for (let i = 0; i < 100; i++) {
    if ((await c.get(`${GATEWAYS}/${made.id}/status`).expect(200)).body.running) return { id: made.id, publicUrl: made.configuration.ingress.publicUrl, runtimeVersion: made.runtimeVersion };
    await sleep(20);
  }
  throw new Error(`gateway ${name} never ran`);
}

function deployHy(c: Client, apiId: number, g: { id: string; runtimeVersion: string }, name = 'gw') {
  return c.post(deploymentsPath(apiId)).send({ type: 'HY', targetId: g.id, targetName: name, gatewayVersion: g.runtimeVersion, environmentId: ENV, environmentName: 'Sandbox', overwrite: false });
}

async function amcByName(c: Client, name: string) {
  const list = (await c.get(AMC).expect(200)).body as { items: { id: string; name: string }[] };
  const hit = list.items.find((i) => i.name === name);
  return hit ? ((await c.get(`${AMC}/${hit.id}`).expect(200)).body as { id: string; status: string; application: { status: string }; target: { deploymentSettings: { http: { inbound: { publicUrl: string } } } } }) : null;
}

async function waitLive(c: Client, apiId: number) {
  for (let i = 0; i < 100; i++) {
    if ((await c.get(`${APIS}/${apiId}`).expect(200)).body.status === 'active') return;
    await sleep(20);
  }
  throw new Error(`API ${apiId} never went live`);
}

/** Full chain: asset, instance, optional rate limit, deployment (a CloudHub 2.0 proxy, or on `gateway`), live. Returns its proxy URL. */
async function provision(c: Client, name: string, limit?: number, uri = upstreamUrl, gateway?: { id: string; runtimeVersion: string; publicUrl: string }) {
  await createAsset(c, name).expect(201);
  const api = (await createApi(c, name, uri, 'my-addon', gateway ? 'omni' : 'ch2').expect(201)).body as { id: number };
  let policyId: number | undefined;
  if (limit !== undefined) policyId = (await c.post(`${APIS}/${api.id}/policies`).send(rateLimiting(limit)).expect(201)).body.id;
  if (gateway) await deployHy(c, api.id, gateway).expect(201);
  else await deployCh2(c, api.id, name).expect(201);
  await waitLive(c, api.id);
  const proxyUrl = gateway ? `${gateway.publicUrl}/${name}/` : (await amcByName(c, name))!.target.deploymentSettings.http.inbound.publicUrl + '/';
  return { apiId: api.id, policyId, proxyUrl };
}

interface GwResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
/** A request through a proxy URL (a gateway's `http://127.0.0.1:<port>/<base>/`, a proxy's `http://<name>.localhost:<port>/`). */
function gw(proxyUrl: string, path = '/', method = 'GET', body?: string): Promise<GwResponse> {
  const u = new URL(proxyUrl);
  const full = `${u.pathname.replace(/\/+$/, '')}${path}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: u.port, path: full, method, headers: { host: u.host, 'content-type': 'text/plain', connection: 'close' }, agent: false },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A raw request to the control plane that reports a destroyed socket instead of throwing. */
function raw(path: string, token: string): Promise<{ status: number } | { error: string; ms: number }> {
  const { port } = new URL(url);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, ms: Date.now() - t0 }));
    req.end();
  });
}

describe('accounts', () => {
  it('issues tokens for JSON and form requests and rejects wrong credentials', async () => {
    const json = await request(url)
      .post('/accounts/api/v2/oauth2/token')
      .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET })
      .expect(200);
    expect(json.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 3600 });
    expect(json.headers['x-ratelimit-limit']).toBeDefined();
    await request(url)
      .post('/accounts/api/v2/oauth2/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET })
      .expect(200);
    const bad = await request(url)
      .post('/accounts/api/v2/oauth2/token')
      .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: 'nope' })
      .expect(401);
    expect(bad.body.error).toBe('invalid_client');
    deliberately({ operation: /oauth2\/token/, where: 'body' });
    await request(url).post('/accounts/api/v2/oauth2/token').send({ grant_type: 'password' }).expect(400);
  });

  it('needs a valid bearer token on every API path', async () => {
    await request(url).get('/accounts/api/me').expect(401);
    await request(url).get('/accounts/api/me').set('Authorization', 'Bearer made-up').expect(401);
    await request(url).get(APIS).expect(401);
    await request(url).get('/cloudhub/api/v2/applications/x').expect(401);
    await request(url).delete('/exchange/api/v2/assets/a/b/1.0.0').expect(401);
  });

  it('expires tokens after their TTL', async () => {
    sb.configure({ tokenTtlSeconds: 0.25 });
    const t = await tokenFor();
    await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(200);
    await sleep(300);
    await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(401);
  });

  it('answers me and environments, with rate-limit headers; 403 for a foreign org', async () => {
    const c = await client();
    const me = await c.get('/accounts/api/me').expect(200);
    expect(me.body.client).toMatchObject({ org_id: ORG, client_id: DEFAULT_CLIENT_ID });
    const envs = await c.get(`/accounts/api/organizations/${ORG}/environments`).expect(200);
    expect(envs.body.total).toBe(2);
    expect(envs.body.data[1]).toMatchObject({ id: PROD, name: 'Production', organizationId: ORG, isProduction: true, type: 'production' });
    expect(Number(envs.headers['x-ratelimit-remaining'])).toBeLessThan(Number(envs.headers['x-ratelimit-limit']));
    expect(Number(envs.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    await c.get('/accounts/api/organizations/00000000-0000-0000-0000-000000000000/environments').expect(403);
  });
});

describe('exchange', () => {
  it('creates synchronously (201), reads, and refuses a second create (409)', async () => {
    const c = await client();
    const res = await createAsset(c, 'asset-a').expect(201);
    expect(res.body).toEqual({ organizationId: ORG, groupId: ORG, assetId: 'asset-a', version: '1.0.0', name: 'Asset asset-a', type: 'http-api' });
    const got = await c.get(`/exchange/api/v2/assets/${ORG}/asset-a/1.0.0`).expect(200);
    expect(got.body).toMatchObject({ assetId: 'asset-a', version: '1.0.0', type: 'http-api', status: 'published' });
    const again = await createAsset(c, 'asset-a').expect(409);
    expect(again.body.code).toBe('ASSET_PRE_CONDITIONS_FAILED');
    await c.get(`/exchange/api/v2/assets/${ORG}/asset-b/1.0.0`).expect(404);
  });

  it('publishes asynchronously with a status link (running, then completed)', async () => {
    const c = await client();
    const res = await createAsset(c, 'asset-async', { sync: false }).expect(202);
    const link = new URL(res.body.publicationStatusLink as string);
    expect(link.origin).toBe(url);
    expect((await c.get(link.pathname).expect(200)).body.status).toBe('running');
    expect((await c.get(link.pathname).expect(200)).body.status).toBe('completed');
  });

  it('validates the upload', async () => {
    const c = await client();
    const base = `/exchange/api/v2/organizations/${ORG}/assets/${ORG}`;
    deliberately({ operation: /\/assets\/\{groupId\}/, direction: 'request' });
    await createAsset(c, 'a', { version: '1.0' }).expect(400);
    await c.post(`${base}/a/1.0.0`).field('name', 'x'.repeat(257)).field('type', 'http-api').field('properties.apiVersion', 'v1').expect(400);
    await c.post(`${base}/a/1.0.0`).field('name', 'ok').field('type', 'soap-api').field('properties.apiVersion', 'v1').expect(400);
    await c.post(`${base}/a/1.0.0`).field('name', 'ok').field('type', 'http-api').expect(400);
    await c.post(`${base}/a/1.0.0`).field('name', 'ok').field('type', 'rest-api').expect(400);
    await c
      .post(`${base}/rest/1.0.0`)
      .set('x-sync-publication', 'true')
      .field('name', 'ok')
      .field('type', 'rest-api')
      .attach('files.oas.json', Buffer.from('{"openapi":"3.0.0"}'), 'api.json')
      .expect(201);
    await createAsset(c, `a${'x'.repeat(200)}`).expect(400); // group+asset+version > 215
    await createAsset(c, 'a', { groupId: 'someone-else' }).expect(403);
    await c.post(`${base}/a/1.0.0`).send({ name: 'json is not accepted' }).expect(415);
    await c.post(`/exchange/api/v2/organizations/${FOREIGN_ORG}/assets/${ORG}/a/1.0.0`).field('name', 'x').expect(403);
  });

  it('soft delete locks the coordinates, hard delete frees them; 405 on the organizations path', async () => {
    const c = await client();
    await createAsset(c, 'gone').expect(201);
    deliberately({ where: 'operation', message: 'method DELETE not allowed' }, 1);
    await c.del(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/gone/1.0.0`).expect(405);
    await c.del(`/exchange/api/v2/assets/${ORG}/gone/1.0.0`).expect(204);
    await c.get(`/exchange/api/v2/assets/${ORG}/gone/1.0.0`).expect(404);
    expect((await createAsset(c, 'gone').expect(409)).body.code).toBe('ASSET_PRE_CONDITIONS_FAILED');
    const inv = sb.inspect();
    expect(inv.assets).toHaveLength(0);
    expect(inv.softDeletedAssets.map((a) => a.assetId)).toEqual(['gone']);
    await c.del(`/exchange/api/v2/assets/${ORG}/gone/1.0.0`).set('x-delete-type', 'hard-delete').expect(204);
    expect(sb.inspect().softDeletedAssets).toHaveLength(0);
    await createAsset(c, 'gone').expect(201);
    await c.del(`/exchange/api/v2/assets/${ORG}/nothing/1.0.0`).set('x-delete-type', 'hard-delete').expect(404);
  });

  it('refuses to delete an asset while an API instance uses it (409)', async () => {
    const c = await client();
    await createAsset(c, 'used').expect(201);
    const api = await createApi(c, 'used').expect(201);
    await c.del(`/exchange/api/v2/assets/${ORG}/used/1.0.0`).set('x-delete-type', 'hard-delete').expect(409);
    await c.del(`${APIS}/${api.body.id}`).expect(204);
    await c.del(`/exchange/api/v2/assets/${ORG}/used/1.0.0`).set('x-delete-type', 'hard-delete').expect(204);
  });
});

describe('api manager', () => {
  it('creates, lists with filters, reads and deletes instances', async () => {
    const c = await client();
    await createAsset(c, 'svc-1').expect(201);
    await createAsset(c, 'svc-2').expect(201);
    const a = await createApi(c, 'svc-1').expect(201);
    expect(a.body).toMatchObject({ assetId: 'svc-1', assetVersion: '1.0.0', groupId: ORG, instanceLabel: 'my-addon', status: 'unregistered', endpointUri: null });
    expect(typeof a.body.id).toBe('number');
    expect(a.body.endpoint.uri).toBe(upstreamUrl);
    await createApi(c, 'svc-1').expect(409);
    await createApi(c, 'svc-1', upstreamUrl, 'other-label').expect(201);
    await createApi(c, 'svc-2').expect(201);

    const all = await c.get(APIS).expect(200);
    expect(all.body.total).toBe(2);
    expect(all.body.assets.map((g: { assetId: string; totalApis: number }) => [g.assetId, g.totalApis])).toEqual([
      ['svc-1', 2],
      ['svc-2', 1],
    ]);
    const filtered = await c.get(`${APIS}?assetId=svc-1&instanceLabel=my-addon`).expect(200);
    expect(filtered.body.total).toBe(1);
    expect(filtered.body.assets[0].apis.map((x: { id: number }) => x.id)).toEqual([a.body.id]);
    const paged = await c.get(`${APIS}?limit=1&offset=1`).expect(200);
    expect(paged.body.total).toBe(2);
    expect(paged.body.assets.map((g: { assetId: string }) => g.assetId)).toEqual(['svc-2']);
    expect((await c.get(`${APIS}?groupId=nope`).expect(200)).body).toEqual({ total: 0, assets: [] });
    const prodList = await c.get(`/apimanager/api/v1/organizations/${ORG}/environments/${PROD}/apis`).expect(200);
    expect(prodList.body.total).toBe(0);

    await c.get(`${APIS}/${a.body.id}`).expect(200);
    await c.del(`${APIS}/${a.body.id}`).expect(204);
    await c.get(`${APIS}/${a.body.id}`).expect(404);
    await c.del(`${APIS}/${a.body.id}`).expect(404);
  });

  it('rejects a missing asset, a bad endpoint, a foreign org and an unknown environment', async () => {
    const c = await client();
    await createApi(c, 'no-such-asset').expect(400);
    await createAsset(c, 'svc').expect(201);
    await createApi(c, 'svc', 'not a url').expect(400);
    deliberately({ operation: /\/apis$/, message: "required property 'spec'" });
    await c.post(APIS).send({ instanceLabel: 'x' }).expect(400);
    await c.get(`/apimanager/api/v1/organizations/${FOREIGN_ORG}/environments/${ENV}/apis`).expect(403);
    await c.get(`/apimanager/api/v1/organizations/${ORG}/environments/nope/apis`).expect(404);
  });

  it('lists proxy templates', async () => {
    const c = await client();
    const res = await c.get('/apimanager/xapi/proxies/v1/proxy-templates?type=rest').expect(200);
    expect(res.body.data[0].assetVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('policies', () => {
  it('applies, validates, lists, updates and removes policies', async () => {
    const c = await client();
    await createAsset(c, 'pol').expect(201);
    const api = (await createApi(c, 'pol').expect(201)).body.id as number;
    const P = `${APIS}/${api}/policies`;
    const created = await c.post(P).send(rateLimiting(10)).expect(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), apiId: api, assetId: 'rate-limiting', disabled: false });
    expect((await c.post(P).send(rateLimiting(20)).expect(409)).body.status).toBe(409);

    deliberately({ operation: /\/policies$/, message: 'configurationData' }, 1);
    await c.post(P).send({ ...rateLimiting(1), assetId: 'client-id-enforcement', configurationData: 'x' }).expect(400);
    await c.post(P).send({ ...rateLimiting(1), groupId: ORG, assetId: 'spike-control' }).expect(400);
    await c.post(P).send({ ...rateLimiting(1), assetId: 'no-such-policy' }).expect(400);
    const bad = [
      { rateLimits: [] },
      { rateLimits: [{ maximumRequests: 0, timePeriodInMilliseconds: 1000 }] },
      { rateLimits: [{ maximumRequests: 1.5, timePeriodInMilliseconds: 1000 }] },
      { rateLimits: [{ maximumRequests: 1, timePeriodInMilliseconds: -1 }] },
      { rateLimits: [{ maximumRequests: 1 }] },
      {},
    ];
    const id = created.body.id as number;
    for (const configurationData of bad) {
      await c.patch(`${P}/${id}`).send({ configurationData }).expect(400);
    }
    await c.post(P).send({ ...rateLimiting(1), assetId: 'client-id-enforcement', assetVersion: '1.3.2', configurationData: {} }).expect(201);

    const list = await c.get(P).expect(200);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((p: { assetId: string }) => p.assetId)).toEqual(['rate-limiting', 'client-id-enforcement']);

    const patched = await c
      .patch(`${P}/${id}`)
      .send({ configurationData: { rateLimits: [{ maximumRequests: 99, timePeriodInMilliseconds: 1000 }], exposeHeaders: false } })
      .expect(200);
    expect(patched.body.configurationData.rateLimits[0].maximumRequests).toBe(99);
    // API Manager updates a policy with PATCH only: there is no PUT
    deliberately({ where: 'operation', message: 'method PUT not allowed' }, 1);
    await c.put(`${P}/${id}`).send(rateLimiting(7)).expect(405);
    const again = await c.patch(`${P}/${id}`).send({ configurationData: rateLimiting(7).configurationData }).expect(200);
    expect(again.body.configurationData.rateLimits[0].maximumRequests).toBe(7);
    expect(sb.inspect().policies.find((p) => p.id === id)?.configurationData).toEqual(rateLimiting(7).configurationData);

    await c.del(`${P}/${id}`).expect(204);
    await c.del(`${P}/${id}`).expect(404);
    await c.patch(`${P}/${id}`).send({ configurationData: rateLimiting(1).configurationData }).expect(404);
    await c.post(`${APIS}/999/policies`).send(rateLimiting(1)).expect(404);
  });
});

describe('CloudHub 2.0 proxies', () => {
  it('offers its spaces and the runtime versions of new deployments; refuses a version past its support', async () => {
    const c = await client();
    const targets = (await c.get(`/proxies/xapi/v1/organizations/${ORG}/providers/MC/cloudhub2-deployment-targets`).query({ environmentId: ENV }).expect(200)).body;
    expect(targets.map((t: { name: string }) => t.name)).toEqual(['Cloudhub-US-East-2', 'Cloudhub-EU-West-1']);
    const versions = (await c.get(`/proxies/xapi/v1/organizations/${ORG}/targets/${SPACE.id}/runtimes/mule/versions`).query({ operation: 'newdeployment' }).expect(200)).body;
    expect(versions.map((v: { tag: string }) => v.tag)).toContain(LTS);
    await createAsset(c, 'old').expect(201);
    const api = (await createApi(c, 'old').expect(201)).body.id as number;
    expect((await deployCh2(c, api, 'old-app', { gatewayVersion: '4.4.0' }).expect(400)).body.message).toMatch(/4\.4\.0 is not supported/);
  });

  it('enforces the naming rules and name uniqueness', async () => {
    const c = await client();
    await createAsset(c, 'names').expect(201);
    const api = (await createApi(c, 'names').expect(201)).body.id as number;
    for (const bad of ['ab', 'a'.repeat(43), 'Upper-case', '-leading', 'trailing-', 'under_score']) await deployCh2(c, api, bad).expect(400);
    await deployCh2(c, api, 'first-app').expect(201);
    await deployCh2(c, api, 'second-app').expect(409); // this API is already deployed
    await createAsset(c, 'other').expect(201);
    const other = (await createApi(c, 'other').expect(201)).body.id as number;
    await deployCh2(c, other, 'first-app').expect(409); // another application's name
  });

  it('goes APPLYING → APPLIED + RUNNING with a public URL; the instance becomes active', async () => {
    const c = await client();
    sb.configure({ deployDelayMs: 400 });
    await createAsset(c, 'life').expect(201);
    const api = (await createApi(c, 'life').expect(201)).body.id as number;
    const d = await deployCh2(c, api, 'life-app').expect(201);
    expect(d.body).toMatchObject({ id: expect.any(Number), applicationName: 'life-app', type: 'CH2', targetId: SPACE.id });
    expect(await amcByName(c, 'life-app')).toMatchObject({ status: 'APPLYING', application: { status: 'NOT_RUNNING' } });
    expect((await c.get(`${deploymentsPath(api)}/${d.body.id}/status`).expect(200)).body).toEqual({ status: 'deploying' });
    await waitLive(c, api);
    const app = (await amcByName(c, 'life-app'))!;
    expect(app).toMatchObject({ status: 'APPLIED', application: { status: 'RUNNING' } });
    expect(app.target.deploymentSettings.http.inbound.publicUrl).toBe(`http://life-app.localhost:${new URL(gatewayUrl).port}`);
    expect((await c.get(`${deploymentsPath(api)}/${d.body.id}/status`).expect(200)).body).toEqual({ status: 'deployed' });
    expect((await c.get(`${APIS}/${api}`).expect(200)).body).toMatchObject({ status: 'active', deployment: { id: d.body.id, applicationName: 'life-app', type: 'CH2' } });
    expect((await c.get(deploymentsPath(api)).expect(200)).body).toHaveLength(1);
    await c.get(`${deploymentsPath(api)}/424242/status`).expect(404);
  });

  it('ends FAILED with failDeployments and stays APPLYING with neverReady', async () => {
    const c = await client();
    sb.configure({ failDeployments: true });
    await createAsset(c, 'fails').expect(201);
    const a = (await createApi(c, 'fails').expect(201)).body.id as number;
    const d = await deployCh2(c, a, 'fails-app').expect(201);
    sb.configure({ failDeployments: false, neverReady: true });
    await createAsset(c, 'stuck').expect(201);
    const b = (await createApi(c, 'stuck').expect(201)).body.id as number;
    await deployCh2(c, b, 'stuck-app').expect(201);
    await sleep(150);
    expect((await amcByName(c, 'fails-app'))?.status).toBe('FAILED');
    expect((await c.get(`${deploymentsPath(a)}/${d.body.id}/status`).expect(200)).body.status).toBe('failed');
    expect((await amcByName(c, 'stuck-app'))?.status).toBe('APPLYING');
  });

  it('pages the Application Manager list and deletes a proxy application', async () => {
    const c = await client();
    await createAsset(c, 'ch').expect(201);
    const api = (await createApi(c, 'ch').expect(201)).body.id as number;
    await deployCh2(c, api, 'ch-app').expect(201);
    const page = (await c.get(AMC).query({ offset: 0, limit: 1 }).expect(200)).body;
    expect(page).toMatchObject({ total: 1, items: [{ name: 'ch-app', target: { provider: 'MC', targetId: SPACE.id } }] });
    const id = page.items[0].id as string;
    await c.get(`/amc/application-manager/api/v2/organizations/${ORG}/environments/${PROD}/deployments/${id}`).expect(404);
    await c.del(`${AMC}/${id}`).expect(204);
    await c.del(`${AMC}/${id}`).expect(404);
    expect((await c.get(`${APIS}/${api}`).expect(200)).body.deployment).toBeUndefined();
  });
});

describe('managed Omni Gateways', () => {
  it('creates a gateway (APPLYING, then RUNNING) with its API limit and its own public URL; validates; names are unique', async () => {
    const c = await client();
    const versions = (await c.get('/gatewaymanager/xapi/v1/gateway/versions').expect(200)).body;
    expect(versions.channels.lts.versions[0].displayName).toBe(GATEWAY_VERSIONS.lts[0]);
    deliberately({ where: 'body', message: 'name' }, 1);
    await createGateway(c, 'Bad_Name').expect(400);
    await createGateway(c, 'gw-a', { runtimeVersion: '1.0.0' }).expect(400);
    await createGateway(c, 'gw-a', { targetId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    const made = (await createGateway(c, 'gw-a').expect(201)).body;
    expect(made).toMatchObject({ name: 'gw-a', status: 'APPLYING', apiLimit: 50, targetId: SPACE.id });
    expect(made.configuration.ingress.publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await createGateway(c, 'gw-a').expect(409);
    expect((await c.get(`${GATEWAYS}/${made.id}/status`).expect(200)).body).toEqual({ status: 'APPLYING', ready: false, running: false });
    await sleep(350);
    expect((await c.get(`${GATEWAYS}/${made.id}/status`).expect(200)).body).toEqual({ status: 'RUNNING', ready: true, running: true });
    const list = (await c.get(GATEWAYS).query({ name: 'gw-a' }).expect(200)).body;
    expect(list).toMatchObject({ totalElements: 1, content: [{ id: made.id, name: 'gw-a', status: 'RUNNING' }] });
  });

  it('deploys flexGateway APIs only, with the gateway’s version, up to its API limit; a gateway with APIs cannot be deleted', async () => {
    const c = await client();
    sb.configure({ gatewayApiLimit: 2 });
    const g = await runningGateway(c, 'gw-b');
    await createAsset(c, 'mule').expect(201);
    const mule = (await createApi(c, 'mule').expect(201)).body.id as number;
    await deployHy(c, mule, g).expect(400);
    const ids: number[] = [];
    for (const name of ['one', 'two', 'three']) {
      await createAsset(c, name).expect(201);
      ids.push((await createApi(c, name, upstreamUrl, 'my-addon', 'omni').expect(201)).body.id);
    }
    await deployHy(c, ids[0], { ...g, runtimeVersion: '1.9.9' }).expect(400);
    await deployHy(c, ids[0], g).expect(201);
    await deployHy(c, ids[1], g).expect(201);
    await deployHy(c, ids[2], g).expect(409);
    await c.del(`${GATEWAYS}/${g.id}`).expect(409);
    for (const id of ids.slice(0, 2)) await c.del(`${APIS}/${id}`).expect(204);
    await c.del(`${GATEWAYS}/${g.id}`).expect(204);
    await c.get(`${GATEWAYS}/${g.id}`).expect(404);
    await expect(gw(`${g.publicUrl}/one/`)).rejects.toThrow();
  });
});

describe('data plane', () => {
  it('a proxy forwards method, path, query, headers and body to the upstream', async () => {
    const c = await client();
    const { proxyUrl } = await provision(c, 'echo-app');
    const res = await gw(proxyUrl, '/things/1?x=y&z=1', 'POST', 'hello');
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('yes');
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'POST', url: '/things/1?x=y&z=1', body: 'hello' });
    expect(seen.headers.host).toBe(new URL(upstreamUrl).host);
    expect(seen.headers['x-forwarded-host']).toBe(new URL(proxyUrl).host);
  });

  it('a gateway routes by base path, keeps the base path of endpoint.uri, and keeps its APIs apart', async () => {
    const c = await client();
    const g = await runningGateway(c, 'gw-c');
    const a = await provision(c, 'alpha', 1, upstreamUrl, g);
    const b = await provision(c, 'beta', undefined, `${upstreamUrl}/base/`, g);
    expect(JSON.parse((await gw(a.proxyUrl, '/x?q=1')).body).url).toBe('/x?q=1');
    expect(JSON.parse((await gw(b.proxyUrl, '/x?q=1')).body).url).toBe('/base/x?q=1');
    expect((await gw(a.proxyUrl)).status).toBe(429); // alpha's limit of 1 is spent…
    expect((await gw(b.proxyUrl)).status).toBe(200); // …beta has none
    expect((await gw(`${g.publicUrl}/gamma/`)).status).toBe(404);
  });

  it('answers 404 for unknown or unstarted proxies and 502 when the upstream fails', async () => {
    const c = await client();
    expect((await gw(`http://nobody.localhost:${new URL(gatewayUrl).port}/`)).status).toBe(404);
    expect((await gw(`${gatewayUrl}/`)).status).toBe(404);
    sb.configure({ neverReady: true });
    await createAsset(c, 'slow').expect(201);
    const api = (await createApi(c, 'slow').expect(201)).body.id as number;
    await deployCh2(c, api, 'slow-app').expect(201);
    expect((await gw(`http://slow-app.localhost:${new URL(gatewayUrl).port}/`)).status).toBe(404);
    sb.configure({ neverReady: false });

    // A port nobody listens on.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const { proxyUrl } = await provision(c, 'dead-app', undefined, deadUrl);
    expect((await gw(proxyUrl)).status).toBe(502);
  });

  it('enforces the rate limit and picks up a policy update on the next request', async () => {
    const c = await client();
    const { apiId, policyId, proxyUrl } = await provision(c, 'limited-app', 2);
    const r1 = await gw(proxyUrl);
    expect(r1.status).toBe(200);
    expect(r1.headers['x-ratelimit-limit']).toBe('2');
    expect(r1.headers['x-ratelimit-remaining']).toBe('1');
    expect((await gw(proxyUrl)).headers['x-ratelimit-remaining']).toBe('0');
    const over = await gw(proxyUrl);
    expect(over.status).toBe(429);
    expect(over.headers['x-ratelimit-limit']).toBe('2');
    expect(Number(over.headers['x-ratelimit-reset'])).toBeGreaterThan(0);

    await c.patch(`${APIS}/${apiId}/policies/${policyId}`).send({ configurationData: rateLimiting(5, 60_000, false).configurationData }).expect(200);
    const after = await gw(proxyUrl);
    expect(after.status).toBe(200);
    expect(after.headers['x-ratelimit-limit']).toBeUndefined(); // exposeHeaders: false
    for (let i = 0; i < 4; i++) expect((await gw(proxyUrl)).status).toBe(200);
    expect((await gw(proxyUrl)).headers['x-ratelimit-limit']).toBe('5');

    // A short window opens again once it has passed.
    await c.patch(`${APIS}/${apiId}/policies/${policyId}`).send({ configurationData: rateLimiting(1, 100).configurationData }).expect(200);
    expect((await gw(proxyUrl)).status).toBe(200);
    expect((await gw(proxyUrl)).status).toBe(429);
    await sleep(120);
    expect((await gw(proxyUrl)).status).toBe(200);

    await c.del(`${APIS}/${apiId}/policies/${policyId}`).expect(204);
    for (let i = 0; i < 3; i++) expect((await gw(proxyUrl)).status).toBe(200);
    const calls = await request(url).get('/__sandbox/calls').expect(200);
    expect(calls.body.gateway.rateLimited).toBe(3);
  });
});

describe('inspection and control endpoints', () => {
  it('lists resources and logs calls with counts by template', async () => {
    const c = await client();
    const { apiId } = await provision(c, 'inv-app', 10);
    const inv = (await request(url).get('/__sandbox/resources').expect(200)).body;
    expect(inv.assets.map((a: { assetId: string }) => a.assetId)).toEqual(['inv-app']);
    expect(inv.apis.map((a: { id: number }) => a.id)).toEqual([apiId]);
    expect(inv.policies).toHaveLength(1);
    expect(inv.applications[0]).toMatchObject({ name: 'inv-app', status: 'APPLIED', applicationStatus: 'RUNNING', apiId });
    expect(inv.softDeletedAssets).toEqual([]);
    expect(sb.inspect()).toEqual(inv);

    const calls = (await request(url).get('/__sandbox/calls').expect(200)).body;
    expect(calls.counts['POST /accounts/api/v2/oauth2/token']).toBe(1);
    expect(calls.counts['POST /apimanager/api/v1/organizations/:orgId/environments/:envId/apis']).toBe(1);
    expect(calls.counts['GET /amc/application-manager/api/v2/organizations/:orgId/environments/:envId/deployments']).toBeGreaterThanOrEqual(1);
    expect(calls.calls[0]).toMatchObject({ method: 'POST', path: '/accounts/api/v2/oauth2/token', status: 200, ms: expect.any(Number) });
    expect(calls.total).toBe(calls.calls.length);
    expect((await request(url).get('/__sandbox/calls?limit=2').expect(200)).body.calls).toHaveLength(2);

    await request(url).post('/__sandbox/config').send({ hardDeletionEnabled: false, deployDelayMs: 5 }).expect(200);
    expect((await request(url).get('/__sandbox/config').expect(200)).body).toMatchObject({ hardDeletionEnabled: false, deployDelayMs: 5 });
    await request(url).post('/__sandbox/config').send({ nope: 1 }).expect(400);
    await request(url).post('/__sandbox/config').send({ failDeployments: 'yes' }).expect(400);

    await request(url).post('/__sandbox/reset').expect(204);
    const empty = (await request(url).get('/__sandbox/resources').expect(200)).body;
    expect([empty.assets, empty.apis, empty.policies, empty.applications]).toEqual([[], [], [], []]);
    expect((await request(url).get('/__sandbox/config').expect(200)).body.hardDeletionEnabled).toBe(true);
    expect((await request(url).get('/__sandbox/calls').expect(200)).body.total).toBe(0);
  });

  it('forgets tokens on reset', async () => {
    const t = await tokenFor();
    sb.reset();
    await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(401);
  });
});

describe('faults', () => {
  const ME = '^/accounts/api/me$';

  it('adds latency', async () => {
    const t = await tokenFor();
    sb.setFaults([{ path: ME, latencyMs: 150 }]);
    const t0 = Date.now();
    await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('injects errors at a rate, reproducibly for a seed', async () => {
    const run = async () => {
      const s = createAnypointSandbox({ seed: 7 });
      const t = await tokenFor(s.app);
      s.setFaults([{ path: ME, errorRate: 0.5 }]);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await request(s.app).get('/accounts/api/me').set('Authorization', `Bearer ${t}`)).status);
      await s.close();
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(200);
    expect(a.some((s) => [500, 502, 503].includes(s))).toBe(true);
    expect(a.every((s) => [200, 500, 502, 503].includes(s))).toBe(true);

    // Re-setting the faults restarts the sequence; custom statuses are honoured.
    const t = await tokenFor();
    const seq = async () => {
      sb.setFaults([{ path: ME, errorRate: 0.5, errorStatuses: [504] }]);
      const out: number[] = [];
      for (let i = 0; i < 10; i++) out.push((await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`)).status);
      return out;
    };
    const s1 = await seq();
    expect(await seq()).toEqual(s1);
    expect(new Set(s1)).toEqual(new Set([200, 504]));
  });

  it('answers 429 with Retry-After, or with X-RateLimit-Reset', async () => {
    const t = await tokenFor();
    sb.setFaults([{ path: ME, rateLimitRate: 1, retryAfterSeconds: 3 }]);
    const a = await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(429);
    expect(a.headers['retry-after']).toBe('3');
    sb.setFaults([{ path: ME, rateLimitRate: 1, retryAfterSeconds: 5, rateLimitResetHeader: true }]);
    const b = await request(url).get('/accounts/api/me').set('Authorization', `Bearer ${t}`).expect(429);
    expect(b.headers['retry-after']).toBeUndefined();
    const reset = Number(b.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 4);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 6);
  });

  it('hangs, then destroys the socket', async () => {
    const t = await tokenFor();
    sb.setFaults([{ path: ME, hangRate: 1, hangMs: 200 }]);
    const res = await raw('/accounts/api/me', t);
    expect(res).toMatchObject({ error: 'ECONNRESET' });
    expect((res as { ms: number }).ms).toBeGreaterThanOrEqual(190);
  });

  it('drops the connection at once', async () => {
    const t = await tokenFor();
    sb.setFaults([{ path: ME, dropRate: 1 }]);
    const res = await raw('/accounts/api/me', t);
    expect(res).toMatchObject({ error: 'ECONNRESET' });
    expect((res as { ms: number }).ms).toBeLessThan(150);
    const log = (await request(url).get('/__sandbox/calls').expect(200)).body.calls;
    expect(log[log.length - 1]).toMatchObject({ path: '/accounts/api/me', status: 0, fault: 'drop' });
  });

  it('answers a fixed status, limited by method and by times', async () => {
    const t = await tokenFor();
    const rules: FaultRule[] = [
      { path: '/apis$', method: 'post', status: 403 },
      { path: ME, status: 503, times: 2 },
    ];
    await request(url).post('/__sandbox/faults').send(rules).expect(200);
    const auth = `Bearer ${t}`;
    await request(url).post(APIS).set('Authorization', auth).send({}).expect(403);
    await request(url).post(APIS).set('Authorization', auth).send({}).expect(403);
    await request(url).get(APIS).set('Authorization', auth).expect(200);
    await request(url).get('/accounts/api/me').set('Authorization', auth).expect(503);
    await request(url).get('/accounts/api/me').set('Authorization', auth).expect(503);
    await request(url).get('/accounts/api/me').set('Authorization', auth).expect(200);
    const listed = (await request(url).get('/__sandbox/faults').expect(200)).body.faults;
    expect(listed[1]).toMatchObject({ used: 2, spent: true });
    await request(url).delete('/__sandbox/faults').expect(204);
    await request(url).post(APIS).set('Authorization', auth).send({}).expect(400);
  });

  it('rejects malformed fault rules', async () => {
    await request(url).post('/__sandbox/faults').send({ path: 'x' }).expect(400);
    await request(url).post('/__sandbox/faults').send([{ path: '(' }]).expect(400);
    await request(url).post('/__sandbox/faults').send([{ path: 'x', errorRate: 2 }]).expect(400);
    await request(url).post('/__sandbox/faults').send([{ path: 'x', status: 99 }]).expect(400);
    expect(() => sb.setFaults([{ path: 'x', times: -1 }])).toThrow(/times/);
  });
});
