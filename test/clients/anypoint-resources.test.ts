import nock from 'nock';
import {
  ApiManagerClient,
  MULESOFT_POLICY_GROUP_ID,
  applicationReadiness,
  applicationUrl,
  createAnypointClient,
  extractInstances,
} from '../../src/clients/anypoint';
import { ConflictError, UpstreamError, isPermanent, isRetryable } from '../../src/clients/errors';
import { ANYPOINT, ENV, ORG, TOKEN, anypointCfg, mockAnypointContext, multipartFields, recordingSleep, setupNock } from './helpers';

setupNock();

const API_BASE = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;

function make(extra: { publicationMaxPolls?: number } = {}) {
  mockAnypointContext();
  const rec = recordingSleep();
  const client = createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5, publicationPollMs: 500, ...extra });
  return { client, delays: rec.delays };
}

/** An interceptor host that insists on the bearer token and both scope headers. */
function scoped(): nock.Scope {
  return nock(ANYPOINT, {
    reqheaders: { authorization: `Bearer ${TOKEN}`, 'x-anypnt-org-id': ORG, 'x-anypnt-env-id': ENV },
  });
}

describe('Exchange', () => {
  const ASSET = `/exchange/api/v2/assets/${ORG}/heroku-addon-abc/1.0.0`;

  it('creates an http-api asset: v2 multipart, x-sync-publication, scope headers', async () => {
    let body = '';
    let contentType = '';
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`, (b: string) => {
        body = b;
        return true;
      })
      .matchHeader('x-sync-publication', 'true')
      .reply(function () {
        contentType = String(this.req.headers['content-type']);
        return [201, { organizationId: ORG, groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'My gateway', type: 'http-api' }];
      });
    const { client } = make();
    const asset = await client.exchange.createAsset({
      groupId: ORG,
      assetId: 'heroku-addon-abc',
      version: '1.0.0',
      name: 'My gateway',
      description: 'Gateway for my-app',
    });
    expect(asset).toMatchObject({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', type: 'http-api' });
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipartFields(body)).toEqual({
      name: 'My gateway',
      description: 'Gateway for my-app',
      type: 'http-api',
      'properties.apiVersion': 'v1',
      status: 'published',
    });
  });

  it('a 202 publication link is polled until completed, then the asset is read', async () => {
    const link = `${ANYPOINT}/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0/publication/status/p-1`;
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(202, { publicationStatusLink: link })
      .get(new URL(link).pathname)
      .reply(200, { status: 'running' })
      .get(new URL(link).pathname)
      .reply(200, { status: 'completed' })
      .get(ASSET)
      .reply(200, { groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G', status: 'published' });
    const { client, delays } = make();
    const asset = await client.exchange.createAsset({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' });
    expect(asset.status).toBe('published');
    expect(delays).toEqual([500]);
  });

  it('a failed publication is permanent', async () => {
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(202, { publicationStatusLink: `/exchange/api/v2/publication/p-2` })
      .get('/exchange/api/v2/publication/p-2')
      .reply(200, { status: 'failed', errors: [{ message: 'invalid' }] });
    const { client } = make();
    const err = (await client.exchange
      .createAsset({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('PUBLICATION_FAILED');
    expect(isPermanent(err)).toBe(true);
  });

  it('a publication still running after the poll budget is retryable', async () => {
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(202, { publicationStatusLink: `/exchange/api/v2/publication/p-3` })
      .get('/exchange/api/v2/publication/p-3')
      .times(3)
      .reply(200, { status: 'running' });
    const { client } = make({ publicationMaxPolls: 3 });
    const err = (await client.exchange
      .createAsset({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('PUBLICATION_PENDING');
    expect(isRetryable(err)).toBe(true);
  });

  it('409 on create is a ConflictError carrying ASSET_PRE_CONDITIONS_FAILED', async () => {
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(409, { code: 'ASSET_PRE_CONDITIONS_FAILED', message: 'already exists' });
    const { client } = make();
    const err = (await client.exchange
      .createAsset({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('ASSET_PRE_CONDITIONS_FAILED');
    expect(err.api).toBe('exchange');
  });

  it('create is retried on a 500 (a repeat that collides answers 409)', async () => {
    scoped()
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(500)
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(201, { groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0' });
    const { client, delays } = make();
    await client.exchange.createAsset({ groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' });
    expect(delays).toEqual([50]);
  });

  it('get: the asset, or null on 404', async () => {
    scoped().get(ASSET).reply(200, { groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0', name: 'G' }).get(ASSET).reply(404, {});
    const { client } = make();
    expect(await client.exchange.getAsset(ORG, 'heroku-addon-abc', '1.0.0')).toMatchObject({ name: 'G' });
    expect(await client.exchange.getAsset(ORG, 'heroku-addon-abc', '1.0.0')).toBeNull();
  });

  it('delete: hard delete; 404 = already gone; 409 while in use', async () => {
    scoped()
      .delete(ASSET)
      .matchHeader('x-delete-type', 'hard-delete')
      .reply(204)
      .delete(ASSET)
      .reply(404)
      .delete(ASSET)
      .reply(409, { message: 'asset in use by API instances' });
    const { client } = make();
    expect(await client.exchange.deleteAsset(ORG, 'heroku-addon-abc', '1.0.0')).toBe(true);
    expect(await client.exchange.deleteAsset(ORG, 'heroku-addon-abc', '1.0.0')).toBe(false);
    await expect(client.exchange.deleteAsset(ORG, 'heroku-addon-abc', '1.0.0')).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('API Manager', () => {
  const input = {
    groupId: ORG,
    assetId: 'heroku-addon-abc',
    assetVersion: '1.0.0',
    instanceLabel: 'acme-gateway',
    upstreamUri: 'https://myapp-1a2b.herokuapp.com',
  };

  it('creates an instance with the exact body, the template version from the proxy-templates list', async () => {
    let body: unknown;
    scoped()
      .get('/apimanager/xapi/proxies/v1/proxy-templates')
      .query({ type: 'rest' })
      .reply(200, { data: [{ assetVersion: '2.1.3' }, { assetVersion: '2.0.0' }] })
      .post(API_BASE, (b) => {
        body = b;
        return true;
      })
      .reply(201, { id: 18800001, assetId: 'heroku-addon-abc' });
    const { client } = make();
    const api = await client.apiManager.createApi(input);
    expect(api.id).toBe('18800001');
    expect(body).toEqual({
      spec: { groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0' },
      instanceLabel: 'acme-gateway',
      technology: 'mule4',
      endpoint: {
        type: 'http',
        uri: 'https://myapp-1a2b.herokuapp.com',
        proxyUri: 'http://0.0.0.0:8081/',
        isCloudHub: true,
        deploymentType: 'CH',
        muleVersion4OrAbove: true,
        referencesUserDomain: false,
        responseTimeout: null,
        validation: 'NOT_APPLICABLE',
        proxyTemplate: { assetVersion: '2.1.3' },
      },
    });
  });

  it.each([
    ['an error', (s: nock.Scope) => s.get('/apimanager/xapi/proxies/v1/proxy-templates').query(true).times(2).reply(500)],
    ['a 403', (s: nock.Scope) => s.get('/apimanager/xapi/proxies/v1/proxy-templates').query(true).reply(403)],
    ['another shape', (s: nock.Scope) => s.get('/apimanager/xapi/proxies/v1/proxy-templates').query(true).reply(200, { items: [] })],
  ])('the template version falls back to the configured one on %s', async (_what, mock) => {
    mock(scoped());
    const { client } = make();
    expect(await client.apiManager.latestProxyTemplateVersion()).toBe('2.0.0');
  });

  it('a create that got a 502 is not repeated: uncertain, look it up first', async () => {
    const scope = scoped().post(API_BASE).reply(502);
    const { client, delays } = make();
    const err = (await client.apiManager.createApi({ ...input, proxyTemplateVersion: '2.0.0' }).catch((e: unknown) => e)) as UpstreamError;
    expect(err.retryable).toBe(true);
    expect(err.uncertain).toBe(true);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('get: the instance, or null on 404', async () => {
    scoped()
      .get(`${API_BASE}/77`)
      .reply(200, { id: 77, assetId: 'a', instanceLabel: 'l', deployment: { id: 5, applicationName: 'aag-x' } })
      .get(`${API_BASE}/78`)
      .reply(404);
    const { client } = make();
    const api = await client.apiManager.getApi('77');
    expect(api).toMatchObject({ id: '77', assetId: 'a', deployment: { id: '5', applicationName: 'aag-x' } });
    expect(await client.apiManager.getApi('78')).toBeNull();
  });

  it.each([
    ['{instances}', { instances: [{ id: 1, assetId: 'heroku-addon-abc' }] }],
    ['{assets:[{apis}]}', { total: 1, assets: [{ id: 99, groupId: ORG, assetId: 'heroku-addon-abc', apis: [{ id: 1, instanceLabel: 'x' }] }] }],
    ['a bare array', [{ id: 1, assetId: 'heroku-addon-abc' }]],
  ])('list passes the filters and reads %s', async (_shape, reply) => {
    scoped().get(API_BASE).query({ assetId: 'heroku-addon-abc', groupId: ORG, limit: '10', offset: '0' }).reply(200, reply as nock.Body);
    const { client } = make();
    const list = await client.apiManager.listApis({ assetId: 'heroku-addon-abc', groupId: ORG, limit: 10, offset: 0 });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: '1', assetId: 'heroku-addon-abc' });
  });

  it('extractInstances skips entries without an id', () => {
    const all = extractInstances({ instances: [{ id: 1, assetId: 'mine' }, { id: 2, assetId: 'theirs' }, { nothing: true }] });
    expect(all.map((a) => a.id)).toEqual(['1', '2']);
  });

  it('list drops instances of other assets', async () => {
    scoped()
      .get(API_BASE)
      .query(true)
      .reply(200, { instances: [{ id: 1, assetId: 'mine' }, { id: 2, assetId: 'theirs' }] });
    const { client } = make();
    expect((await client.apiManager.listApis({ assetId: 'mine' })).map((a) => a.id)).toEqual(['1']);
  });

  it("an instance that names no asset is read before it counts as ours: someone else's API never does", async () => {
    scoped()
      .get(API_BASE)
      .query(true)
      .reply(200, { instances: [{ id: 111, instanceLabel: 'someone-elses-api' }, { id: 112, instanceLabel: 'ours' }, { id: 222, assetId: 'other-asset' }] })
      .get(`${API_BASE}/111`)
      .reply(200, { id: 111, assetId: 'other-asset' })
      .get(`${API_BASE}/112`)
      .reply(200, { id: 112, assetId: 'heroku-addon-mine' });
    const { client } = make();
    const list = await client.apiManager.listApis({ assetId: 'heroku-addon-mine' });
    expect(list.map((a) => [a.id, a.assetId])).toEqual([['112', 'heroku-addon-mine']]);
  });

  it('delete: true, then false on 404', async () => {
    scoped().delete(`${API_BASE}/77`).reply(204).delete(`${API_BASE}/77`).reply(404);
    const { client } = make();
    expect(await client.apiManager.deleteApi('77')).toBe(true);
    expect(await client.apiManager.deleteApi('77')).toBe(false);
  });

  it('createBody is exported for the sandbox and tests', () => {
    expect(ApiManagerClient.createBody(input, '9.9.9')).toMatchObject({ endpoint: { proxyTemplate: { assetVersion: '9.9.9' } } });
  });
});

describe('Policies', () => {
  const P = `${API_BASE}/77/policies`;
  const config = { rateLimits: [{ maximumRequests: 60, timePeriodInMilliseconds: 60_000 }], exposeHeaders: true, clusterizable: true };

  it('applies rate-limiting with MuleSoft group id, configured version and the plan config', async () => {
    let body: unknown;
    scoped()
      .post(P, (b) => {
        body = b;
        return true;
      })
      .reply(201, { id: 3001 });
    const { client } = make();
    const p = await client.policies.applyRateLimit('77', config);
    expect(p.id).toBe('3001');
    expect(body).toEqual({
      groupId: MULESOFT_POLICY_GROUP_ID,
      assetId: 'rate-limiting',
      assetVersion: '1.4.0',
      configurationData: config,
      pointcutData: null,
      disabled: false,
    });
    expect(MULESOFT_POLICY_GROUP_ID).toBe('68ef9520-24e9-4cf2-b2f5-620025690913');
  });

  it('409 (already applied) is a ConflictError; 400 (bad config) is permanent', async () => {
    scoped().post(P).reply(409, { message: 'already applied' }).post(P).reply(400, { message: 'schema' });
    const { client } = make();
    await expect(client.policies.applyRateLimit('77', config)).rejects.toBeInstanceOf(ConflictError);
    const err = await client.policies.applyRateLimit('77', config).catch((e: unknown) => e);
    expect(isPermanent(err)).toBe(true);
  });

  it.each([
    ['a bare array', [{ id: 3001, assetId: 'rate-limiting', configurationData: config }]],
    ['{policies}', { policies: [{ policyId: 3001, template: { assetId: 'rate-limiting', groupId: MULESOFT_POLICY_GROUP_ID } }] }],
  ])('lists %s and finds the rate-limit policy', async (_shape, reply) => {
    scoped().get(P).times(2).reply(200, reply as nock.Body);
    const { client } = make();
    const list = await client.policies.listPolicies('77');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: '3001', assetId: 'rate-limiting' });
    expect((await client.policies.findPolicy('77'))?.id).toBe('3001');
  });

  it('updates the configuration in place with PATCH', async () => {
    let body: unknown;
    const next = { ...config, rateLimits: [{ maximumRequests: 1000, timePeriodInMilliseconds: 60_000 }] };
    scoped()
      .patch(`${P}/3001`, (b) => {
        body = b;
        return true;
      })
      .reply(200, { id: 3001, configurationData: next });
    const { client } = make();
    const p = await client.policies.updatePolicy('77', '3001', next);
    expect(body).toEqual({ configurationData: next });
    expect(p.configurationData).toEqual(next);
  });

  it('delete: true, then false on 404', async () => {
    scoped().delete(`${P}/3001`).reply(204).delete(`${P}/3001`).reply(404);
    const { client } = make();
    expect(await client.policies.deletePolicy('77', '3001')).toBe(true);
    expect(await client.policies.deletePolicy('77', '3001')).toBe(false);
  });
});

describe('Proxies (deployments)', () => {
  const D = `/proxies/xapi/v1/organizations/${ORG}/environments/${ENV}/apis/77/deployments`;

  it('creates a CH deployment with the spec body', async () => {
    let body: unknown;
    scoped()
      .post(D, (b) => {
        body = b;
        return true;
      })
      .reply(201, { id: 501 });
    const { client } = make();
    const d = await client.proxies.createDeployment('77', { applicationName: 'aag-0123' });
    expect(d).toMatchObject({ id: '501', applicationName: 'aag-0123' });
    expect(body).toEqual({
      type: 'CH',
      applicationName: 'aag-0123',
      environmentId: ENV,
      environmentName: 'Sandbox',
      gatewayVersion: '4.4.0',
      overwrite: false,
    });
  });

  it('reads the deployment status; null on 404', async () => {
    scoped()
      .get(`${D}/501/status`)
      .reply(200, { status: 'APPLIED', lastActiveDate: '2026-01-01T00:00:00Z', apiVersionStatus: 'ACTIVE' })
      .get(`${D}/502/status`)
      .reply(404);
    const { client } = make();
    expect(await client.proxies.deploymentStatus('77', '501')).toMatchObject({ status: 'APPLIED', apiVersionStatus: 'ACTIVE' });
    expect(await client.proxies.deploymentStatus('77', '502')).toBeNull();
  });
});

describe('CloudHub', () => {
  it('always sends X-ANYPNT-ENV-ID and X-ANYPNT-ORG-ID', async () => {
    scoped()
      .get('/cloudhub/api/v2/applications/aag-1')
      .reply(200, { domain: 'aag-1', fullDomain: 'aag-1.us-e2.cloudhub.io', status: 'STARTED', deploymentUpdateStatus: null })
      .get('/cloudhub/api/applications/domains/aag-1')
      .reply(200, { available: false })
      .delete('/cloudhub/api/v2/applications/aag-1')
      .reply(200);
    const { client } = make();
    const app = await client.cloudhub.getApplication('aag-1');
    expect(app).toMatchObject({ domain: 'aag-1', fullDomain: 'aag-1.us-e2.cloudhub.io' });
    expect(applicationReadiness(app)).toBe('ready');
    expect(applicationUrl(app!)).toBe('https://aag-1.us-e2.cloudhub.io/');
    expect(await client.cloudhub.isDomainAvailable('aag-1')).toBe(false);
    expect(await client.cloudhub.deleteApplication('aag-1')).toBe(true);
  });

  it('get: null on 404; delete: false on 404', async () => {
    scoped().get('/cloudhub/api/v2/applications/aag-2').reply(404).delete('/cloudhub/api/v2/applications/aag-2').reply(404);
    const { client } = make();
    expect(await client.cloudhub.getApplication('aag-2')).toBeNull();
    expect(await client.cloudhub.deleteApplication('aag-2')).toBe(false);
  });

  it('an invalid name on the availability check is permanent', async () => {
    scoped().get('/cloudhub/api/applications/domains/Bad_Name').reply(400, { message: 'invalid domain' });
    const { client } = make();
    const err = await client.cloudhub.isDomainAvailable('Bad_Name').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(isPermanent(err)).toBe(true);
  });

  it('readiness per the spec', () => {
    const r = (status?: string, deploymentUpdateStatus?: string | null) =>
      applicationReadiness({ domain: 'd', status, deploymentUpdateStatus });
    expect(applicationReadiness(null)).toBe('gone');
    expect(r('STARTED', null)).toBe('ready');
    expect(r('STARTED', 'DEPLOYING')).toBe('deploying');
    expect(r('DEPLOYING')).toBe('deploying');
    expect(r('UNDEPLOYED', 'DEPLOYING')).toBe('deploying');
    expect(r('DEPLOY_FAILED')).toBe('failed');
    expect(r('STARTED', 'DEPLOYMENT_FAILED')).toBe('failed');
    expect(r('DELETED')).toBe('gone');
    expect(r('UNDEPLOYING')).toBe('gone');
    expect(r('UNDEPLOYED')).toBe('gone');
  });

  it('a CloudHub outage is retried, then retryable', async () => {
    scoped().get('/cloudhub/api/v2/applications/aag-3').times(4).reply(503, {}, { 'Retry-After': '1' });
    const { client, delays } = make();
    const err = await client.cloudhub.getApplication('aag-3').catch((e: unknown) => e);
    expect(isRetryable(err)).toBe(true);
    expect(delays).toEqual([1000, 1000, 1000]);
  });
});
