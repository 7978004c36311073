/**
 * Exchange, API Manager (instances, policy templates, proxy templates) and policies: each method
 * the product uses, its request (path, query, headers, body) and its answers. Every request and
 * fixture answer is checked against MuleSoft's specs (contractNock, helpers.ts); fixtures start
 * from the specs' own examples where those fit.
 */
import type nock from 'nock';
import { ApiManagerClient, MULESOFT_POLICY_GROUP_ID, RATE_LIMITING_ASSET_ID, createAnypointClient, extractInstances } from '../../src/clients/anypoint';
import { ConflictError, UnexpectedResponseError, UpstreamError, isPermanent, isRetryable } from '../../src/clients/errors';
import { ASSET_VERSION, assetIdFor } from '../../src/domain/naming';
import { findPlan, rateLimitConfiguration } from '../../src/domain/plans';
import { basePathFor } from '../../src/domain/targets';
import { ANYPOINT, ENV, ORG, TOKEN, anypointCfg, contractNock, expectViolation, mockAnypointContext, multipartFields, recordingSleep, setupNock, vendorExample } from './helpers';

setupNock();

const ADDON = '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9d';
const ASSET_ID = assetIdFor(ADDON);
const API_BASE = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;
const CREATE_ASSET = `/exchange/api/v2/organizations/${ORG}/assets/${ORG}/${ASSET_ID}/${ASSET_VERSION}`;
const ASSET = `/exchange/api/v2/assets/${ORG}/${ASSET_ID}/${ASSET_VERSION}`;

function make(extra: { publicationMaxPolls?: number } = {}) {
  mockAnypointContext();
  const rec = recordingSleep();
  const client = createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5, publicationPollMs: 500, ...extra });
  return { client, delays: rec.delays };
}

/** An interceptor host that insists on the bearer token and both scope headers. */
function scoped(): nock.Scope {
  return contractNock(ANYPOINT, {
    reqheaders: { authorization: `Bearer ${TOKEN}`, 'x-anypnt-org-id': ORG, 'x-anypnt-env-id': ENV },
  });
}

const assetInput = { groupId: ORG, assetId: ASSET_ID, version: ASSET_VERSION, name: 'Gateway for myapp', description: 'Anypoint API Gateway add-on of myapp' };

describe('Exchange', () => {
  /** The vendor's create answer, for our asset. */
  const created = () => ({ ...vendorExample('anypoint', 'POST', CREATE_ASSET, 201), organizationId: ORG, groupId: ORG, assetId: ASSET_ID, version: ASSET_VERSION, name: assetInput.name, type: 'http-api' });
  /** The vendor's asset (with its files and categories), for ours. */
  const asset = (extra: Record<string, unknown> = {}) => ({ ...vendorExample('anypoint', 'GET', ASSET), groupId: ORG, assetId: ASSET_ID, version: ASSET_VERSION, name: assetInput.name, type: 'http-api', ...extra });
  const statusLink = (run: string) => `${ANYPOINT}${CREATE_ASSET}/publication/status/${run}`;
  const publication = (status: string, errors: unknown[] = []) => ({
    ...vendorExample<{ steps: Record<string, unknown>[] }>('anypoint', 'GET', new URL(statusLink('p')).pathname),
    assetType: 'http-api',
    status,
    steps: [{ description: 'Files processing', errors, status }],
  });

  it('creates an http-api asset: v2 multipart form, x-sync-publication, scope headers', async () => {
    let raw = '';
    let headers: Record<string, string | string[] | number | undefined> = {};
    scoped()
      .post(CREATE_ASSET, (b: string) => {
        raw = b;
        return true;
      })
      .matchHeader('x-sync-publication', 'true')
      .reply(function () {
        headers = { ...this.req.headers };
        return [201, created()];
      });
    const { client } = make();
    const got = await client.exchange.createAsset(assetInput);
    expect(got).toMatchObject({ organizationId: ORG, groupId: ORG, assetId: ASSET_ID, version: ASSET_VERSION, type: 'http-api' });
    expect(String(headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    expect(await multipartFields(headers, raw)).toEqual({
      name: assetInput.name,
      description: assetInput.description,
      type: 'http-api',
      'properties.apiVersion': 'v1',
      status: 'published',
    });
  });

  it('a 202 publication link is polled until completed, then the asset is read', async () => {
    const link = statusLink('p-1');
    scoped()
      .post(CREATE_ASSET)
      .reply(202, { publicationStatusLink: link })
      .get(new URL(link).pathname)
      .reply(200, vendorExample('anypoint', 'GET', new URL(link).pathname)) // "running"
      .get(new URL(link).pathname)
      .reply(200, publication('completed'))
      .get(ASSET)
      .reply(200, asset({ status: 'published' }));
    const { client, delays } = make();
    const got = await client.exchange.createAsset(assetInput);
    expect(got).toMatchObject({ assetId: ASSET_ID, status: 'published' });
    expect(delays).toEqual([500]);
  });

  it('a failed publication is permanent', async () => {
    const link = statusLink('p-2');
    scoped()
      .post(CREATE_ASSET)
      .reply(202, { publicationStatusLink: link })
      .get(new URL(link).pathname)
      .reply(200, publication('failed', [{ message: 'invalid' }]));
    const { client } = make();
    const err = (await client.exchange.createAsset(assetInput).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('PUBLICATION_FAILED');
    expect(isPermanent(err)).toBe(true);
  });

  it('a publication still running after the poll budget is retryable', async () => {
    const link = statusLink('p-3');
    scoped()
      .post(CREATE_ASSET)
      .reply(202, { publicationStatusLink: link })
      .get(new URL(link).pathname)
      .times(3)
      .reply(200, publication('running'));
    const { client } = make({ publicationMaxPolls: 3 });
    const err = (await client.exchange.createAsset(assetInput).catch((e: unknown) => e)) as UpstreamError;
    expect(err.code).toBe('PUBLICATION_PENDING');
    expect(isRetryable(err)).toBe(true);
  });

  it('a status link to another origin is refused for good, before any call to it (with net connect off, a call would fail otherwise)', async () => {
    const link = `https://elsewhere.example${CREATE_ASSET}/publication/status/p-4`;
    scoped().post(CREATE_ASSET).reply(202, { publicationStatusLink: link });
    const { client } = make();
    const err = await client.exchange.createAsset(assetInput).catch((e: unknown) => e);
    expect(isPermanent(err)).toBe(true);
    expect(String(err)).toMatch(/refused to follow a link to another origin \(elsewhere\.example\)/);
  });

  it('409 on create is a ConflictError carrying ASSET_PRE_CONDITIONS_FAILED', async () => {
    scoped().post(CREATE_ASSET).reply(409, { code: 'ASSET_PRE_CONDITIONS_FAILED', message: 'already exists' });
    const { client } = make();
    const err = (await client.exchange.createAsset(assetInput).catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('ASSET_PRE_CONDITIONS_FAILED');
    expect(err.api).toBe('exchange');
  });

  it('create is retried on a 500 (a repeat that collides answers 409)', async () => {
    scoped().post(CREATE_ASSET).reply(500).post(CREATE_ASSET).reply(201, created());
    const { client, delays } = make();
    await client.exchange.createAsset(assetInput);
    expect(delays).toEqual([50]);
  });

  it('get: the asset, or null on 404', async () => {
    scoped().get(ASSET).reply(200, asset()).get(ASSET).reply(404, {});
    const { client } = make();
    expect(await client.exchange.getAsset(ORG, ASSET_ID, ASSET_VERSION)).toMatchObject({ groupId: ORG, assetId: ASSET_ID, name: assetInput.name });
    expect(await client.exchange.getAsset(ORG, ASSET_ID, ASSET_VERSION)).toBeNull();
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
    expect(await client.exchange.deleteAsset(ORG, ASSET_ID, ASSET_VERSION)).toBe(true);
    expect(await client.exchange.deleteAsset(ORG, ASSET_ID, ASSET_VERSION)).toBe(false);
    await expect(client.exchange.deleteAsset(ORG, ASSET_ID, ASSET_VERSION)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('API Manager', () => {
  const base = { groupId: ORG, assetId: ASSET_ID, assetVersion: ASSET_VERSION };
  // The endpoints as src/targets/omni.ts and src/targets/ch2.ts build them.
  const omniInput = {
    ...base,
    instanceLabel: `aag-omni-${ADDON}`,
    technology: 'flexGateway' as const,
    endpoint: { type: 'http', deploymentType: 'HY', uri: 'https://myapp-1a2b3c.herokuapp.com', proxyUri: `http://0.0.0.0:8081${basePathFor(ADDON)}`, isCloudHub: null },
  };
  const ch2Input = {
    ...base,
    instanceLabel: `aag-ch2-${ADDON}`,
    technology: 'mule4' as const,
    endpoint: {
      type: 'http',
      deploymentType: 'CH2',
      uri: 'https://myapp-1a2b3c.herokuapp.com',
      proxyUri: 'http://0.0.0.0:8081/',
      isCloudHub: null,
      muleVersion4OrAbove: true,
      referencesUserDomain: null,
      responseTimeout: null,
      validation: 'NOT_APPLICABLE',
      proxyTemplate: { assetVersion: '2.1.3' },
    },
  };
  /** The vendor's create answer (its `Promote` example) for ours; see the report on `apiId`. */
  const createdApi = (id: number, label: string) => ({ ...vendorExample('anypoint', 'POST', API_BASE, 201), id, instanceLabel: label, environmentId: ENV, organizationId: ORG });
  /** The vendor's `Api` example for ours. */
  const apiAnswer = (id: number, extra: Record<string, unknown> = {}) => ({ ...vendorExample('anypoint', 'GET', `${API_BASE}/${id}`), id, apiId: id, environmentId: ENV, organizationId: ORG, ...extra });

  it.each([
    ['omni (Flex Gateway, HY)', omniInput],
    ['ch2 (Mule 4 proxy, CH2)', ch2Input],
  ])('creates the %s instance with the exact body', async (_what, input) => {
    let body: unknown;
    scoped()
      .post(API_BASE, (b) => {
        body = b;
        return true;
      })
      .reply(201, createdApi(18800001, input.instanceLabel));
    const { client } = make();
    const api = await client.apiManager.createApi(input);
    expect(api).toMatchObject({ id: '18800001', instanceLabel: input.instanceLabel });
    expect(body).toEqual({
      spec: { groupId: ORG, assetId: ASSET_ID, version: ASSET_VERSION },
      instanceLabel: input.instanceLabel,
      technology: input.technology,
      endpoint: input.endpoint,
    });
    expect(ApiManagerClient.createBody(input)).toEqual(body);
  });

  it('409 on create is a ConflictError', async () => {
    scoped().post(API_BASE).reply(409, vendorExample('anypoint', 'POST', API_BASE, 409));
    const { client } = make();
    const err = (await client.apiManager.createApi(omniInput).catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.api).toBe('apimanager');
  });

  it('a create answered without an id is an UnexpectedResponseError', async () => {
    scoped().post(API_BASE).reply(201, { instanceLabel: omniInput.instanceLabel, environmentId: ENV });
    const { client } = make();
    await expect(client.apiManager.createApi(omniInput)).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('a create that got a 502 is not repeated: uncertain, look it up first', async () => {
    const scope = scoped().post(API_BASE).reply(502);
    const { client, delays } = make();
    const err = (await client.apiManager.createApi(omniInput).catch((e: unknown) => e)) as UpstreamError;
    expect(err.retryable).toBe(true);
    expect(err.uncertain).toBe(true);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('get: the instance, or null on 404', async () => {
    scoped()
      .get(`${API_BASE}/77`)
      .reply(200, apiAnswer(77, { assetId: ASSET_ID, instanceLabel: 'l', status: 'active' }))
      .get(`${API_BASE}/78`)
      .reply(404);
    const { client } = make();
    const api = await client.apiManager.getApi('77');
    expect(api).toMatchObject({ id: '77', assetId: ASSET_ID, instanceLabel: 'l', status: 'active', deployment: { id: '3', applicationName: 'test-depl2' } });
    expect(await client.apiManager.getApi('78')).toBeNull();
  });

  /** The vendor's `Apis` list, its first asset made ours (the second names no asset, as in the example). */
  function apisList(): { assets: { assetId: string | null; groupId: string | null; apis: Record<string, unknown>[] }[]; total: number } {
    const list = vendorExample<{ assets: { assetId: string | null; groupId: string | null; apis: Record<string, unknown>[] }[]; total: number }>('anypoint', 'GET', API_BASE);
    list.assets = list.assets.slice(0, 2);
    list.assets[0] = { ...list.assets[0], assetId: ASSET_ID, groupId: ORG, apis: [{ ...list.assets[0].apis[0], id: 1, instanceLabel: omniInput.instanceLabel }] };
    list.assets[1] = { ...list.assets[1], assetId: 'other-asset', groupId: ORG };
    return list;
  }

  it('list sends the filters as the spec names them and reads the {assets: [{apis}]} answer', async () => {
    scoped()
      .get(API_BASE)
      .query({ assetId: ASSET_ID, groupId: ORG, instanceLabel: omniInput.instanceLabel, limit: '10', offset: '0' })
      .reply(200, apisList());
    const { client } = make();
    const list = await client.apiManager.listApis({ assetId: ASSET_ID, groupId: ORG, instanceLabel: omniInput.instanceLabel, limit: 10, offset: 0 });
    expect(list).toEqual([expect.objectContaining({ id: '1', assetId: ASSET_ID, groupId: ORG, instanceLabel: omniInput.instanceLabel })]);
  });

  it("an instance whose asset is not named is read before it counts as ours: someone else's API never does", async () => {
    const list = apisList();
    list.assets.push({ ...list.assets[0], assetId: null, groupId: null, apis: [{ ...list.assets[0].apis[0], id: 111 }, { ...list.assets[0].apis[0], id: 112 }] });
    scoped()
      .get(API_BASE)
      .query({ assetId: ASSET_ID })
      .reply(200, list)
      .get(`${API_BASE}/111`)
      .reply(200, apiAnswer(111, { assetId: 'other-asset' }))
      .get(`${API_BASE}/112`)
      .reply(200, apiAnswer(112, { assetId: ASSET_ID }));
    const { client } = make();
    expect((await client.apiManager.listApis({ assetId: ASSET_ID })).map((a) => [a.id, a.assetId])).toEqual([
      ['1', ASSET_ID],
      ['112', ASSET_ID],
    ]);
  });

  it('other list shapes are read too (robustness: not what the spec documents)', async () => {
    expectViolation({ direction: 'response', message: `GET ${API_BASE.replace(ORG, '{organizationId}').replace(ENV, '{environmentId}')} → 200 body: must be object (got array)` });
    scoped()
      .get(API_BASE)
      .query(true)
      .reply(200, { instances: [{ id: 1, assetId: ASSET_ID }, { id: 2, assetId: 'theirs' }] })
      .get(API_BASE)
      .query(true)
      .reply(200, [{ id: 3, assetId: ASSET_ID }]);
    const { client } = make();
    expect((await client.apiManager.listApis({ assetId: ASSET_ID })).map((a) => a.id)).toEqual(['1']);
    expect((await client.apiManager.listApis({ assetId: ASSET_ID })).map((a) => a.id)).toEqual(['3']);
  });

  it('extractInstances skips entries without an id', () => {
    const all = extractInstances({ instances: [{ id: 1, assetId: 'mine' }, { id: 2, assetId: 'theirs' }, { nothing: true }] });
    expect(all.map((a) => a.id)).toEqual(['1', '2']);
  });

  it('delete: true, then false on 404', async () => {
    scoped().delete(`${API_BASE}/77`).reply(204).delete(`${API_BASE}/77`).reply(404);
    const { client } = make();
    expect(await client.apiManager.deleteApi('77')).toBe(true);
    expect(await client.apiManager.deleteApi('77')).toBe(false);
  });

  const TEMPLATES = `/apimanager/api/v1/organizations/${ORG}/policy-templates`;

  it('policy templates of an instance: ?apiInstanceId=, the {data} list', async () => {
    scoped()
      .get(TEMPLATES)
      .query({ apiInstanceId: '77' })
      .reply(200, {
        ...vendorExample('anypoint', 'GET', TEMPLATES),
        data: [
          { groupId: MULESOFT_POLICY_GROUP_ID, assetId: RATE_LIMITING_ASSET_ID, assetVersion: '1.4.0' },
          { groupId: MULESOFT_POLICY_GROUP_ID, assetId: 'client-id-enforcement', version: '1.3.2' },
          { assetId: 'no-version' },
        ],
        total: 3,
      })
      .get(TEMPLATES)
      .query({ apiInstanceId: '78' })
      .reply(200, vendorExample('anypoint', 'GET', TEMPLATES));
    const { client } = make();
    expect(await client.apiManager.policyTemplates('77')).toEqual([
      { groupId: MULESOFT_POLICY_GROUP_ID, assetId: RATE_LIMITING_ASSET_ID, assetVersion: '1.4.0' },
      { groupId: MULESOFT_POLICY_GROUP_ID, assetId: 'client-id-enforcement', assetVersion: '1.3.2' },
    ]);
    expect(await client.apiManager.policyTemplates('78')).toEqual([]);
  });

  const PROXY_TEMPLATES = '/apimanager/xapi/proxies/v1/proxy-templates';

  it('the proxy template version: ?type=rest, the first of the list', async () => {
    scoped()
      .get(PROXY_TEMPLATES)
      .query({ type: 'rest' })
      .reply(200, { data: [{ assetVersion: '2.1.3' }, { assetVersion: '2.0.0' }] });
    const { client } = make();
    expect(await client.apiManager.latestProxyTemplateVersion()).toBe('2.1.3');
  });

  it.each([
    ['an error', (s: nock.Scope) => s.get(PROXY_TEMPLATES).query(true).times(2).reply(500), undefined],
    ['a 403', (s: nock.Scope) => s.get(PROXY_TEMPLATES).query(true).reply(403), undefined],
    ['another shape', (s: nock.Scope) => s.get(PROXY_TEMPLATES).query(true).reply(200, { items: [] }), "must have required property 'data'"],
    ['no version number', (s: nock.Scope) => s.get(PROXY_TEMPLATES).query(true).reply(200, { data: [{ assetVersion: 'latest' }] }), undefined],
  ])('the template version falls back to the configured one on %s', async (_what, mock, malformed) => {
    if (malformed) expectViolation({ direction: 'response', message: malformed });
    mock(scoped());
    const { client } = make();
    expect(await client.apiManager.latestProxyTemplateVersion()).toBe('2.0.0');
  });
});

describe('Policies', () => {
  const P = `${API_BASE}/77/policies`;
  const config = rateLimitConfiguration(findPlan('test')!); // what src/workflows/policy.ts applies
  const applyInput = { assetId: RATE_LIMITING_ASSET_ID, assetVersion: '1.4.0', configurationData: { ...config } };
  /** The vendor's `Policy` example: a rate-limiting policy of MuleSoft's group. */
  const policyAnswer = (extra: Record<string, unknown> = {}) => ({ ...vendorExample('anypoint', 'GET', `${P}/3001`), ...extra });

  it('applies a policy: MuleSoft group id, the template version, the plan config, no pointcut', async () => {
    let body: unknown;
    scoped()
      .post(P, (b) => {
        body = b;
        return true;
      })
      .reply(201, vendorExample('anypoint', 'POST', P, 201));
    const { client } = make();
    const p = await client.policies.applyPolicy('77', applyInput);
    expect(p.id).toBe('550e8400-e29b-41d4-a716-446655440000');
    expect(body).toEqual({
      groupId: MULESOFT_POLICY_GROUP_ID,
      assetId: RATE_LIMITING_ASSET_ID,
      assetVersion: '1.4.0',
      configurationData: config,
      pointcutData: null,
      disabled: false,
    });
    expect(MULESOFT_POLICY_GROUP_ID).toBe('68ef9520-24e9-4cf2-b2f5-620025690913');
  });

  it('an order is sent when given', async () => {
    let body: Record<string, unknown> = {};
    scoped()
      .post(P, (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(201, policyAnswer({ order: 2 }));
    const { client } = make();
    const p = await client.policies.applyPolicy('77', { ...applyInput, order: 2, disabled: true });
    expect(body).toMatchObject({ order: 2, disabled: true });
    expect(p).toMatchObject({ id: '2620780', assetId: RATE_LIMITING_ASSET_ID, order: 2 });
  });

  it('409 (already applied) is a ConflictError; 400 (bad config) is permanent', async () => {
    scoped().post(P).reply(409, { message: 'already applied' }).post(P).reply(400, { message: 'schema' });
    const { client } = make();
    await expect(client.policies.applyPolicy('77', applyInput)).rejects.toBeInstanceOf(ConflictError);
    const err = await client.policies.applyPolicy('77', applyInput).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(isPermanent(err)).toBe(true);
  });

  it('lists the policies (the spec: a bare array) and finds the rate-limit one', async () => {
    scoped().get(P).times(2).reply(200, vendorExample('anypoint', 'GET', P));
    const { client } = make();
    const list = await client.policies.listPolicies('77');
    expect(list).toEqual([expect.objectContaining({ id: '2620780', assetId: RATE_LIMITING_ASSET_ID, groupId: MULESOFT_POLICY_GROUP_ID, assetVersion: '1.4.0' })]);
    expect((await client.policies.findPolicy('77'))?.id).toBe('2620780');
  });

  it('reads {policies: [...]} with the asset under template too (robustness: not what the spec documents)', async () => {
    expectViolation({ direction: 'response', message: '→ 200 body: must be array (got object)' }, 2);
    scoped()
      .get(P)
      .times(2)
      .reply(200, { policies: [{ policyId: 3001, template: { assetId: RATE_LIMITING_ASSET_ID, groupId: MULESOFT_POLICY_GROUP_ID } }] });
    const { client } = make();
    expect(await client.policies.listPolicies('77')).toEqual([expect.objectContaining({ id: '3001', assetId: RATE_LIMITING_ASSET_ID })]);
    expect(await client.policies.findPolicy('77', 'client-id-enforcement')).toBeNull();
  });

  it('updates the configuration in place with PATCH', async () => {
    let body: unknown;
    const next = { ...config, rateLimits: [{ maximumRequests: 1000, timePeriodInMilliseconds: 60_000 }] };
    scoped()
      .patch(`${P}/3001`, (b) => {
        body = b;
        return true;
      })
      .reply(200, vendorExample('anypoint', 'PATCH', `${P}/3001`)) // {"message": "Resource updated successfully"}
      .patch(`${P}/3001`)
      .reply(200, policyAnswer({ id: 3001, configurationData: next }));
    const { client } = make();
    expect(await client.policies.updatePolicy('77', '3001', next)).toEqual({ id: '3001', configurationData: next });
    expect(body).toEqual({ configurationData: next });
    expect(await client.policies.updatePolicy('77', '3001', next)).toMatchObject({ id: '3001', configurationData: next });
  });

  it('delete: true, then false on 404', async () => {
    scoped().delete(`${P}/3001`).reply(204).delete(`${P}/3001`).reply(404);
    const { client } = make();
    expect(await client.policies.deletePolicy('77', '3001')).toBe(true);
    expect(await client.policies.deletePolicy('77', '3001')).toBe(false);
  });
});
