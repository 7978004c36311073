/**
 * What the two deployment targets call: the proxies experience API (deployments of an instance,
 * CloudHub 2.0 spaces and their runtime versions), Gateway Manager (the shared managed Omni
 * Gateways of `omni`) and the Application Manager (the CloudHub 2.0 proxies of `ch2`). Every request
 * and fixture answer is checked against MuleSoft's specs (contractNock, helpers.ts).
 */
import type nock from 'nock';
import { amcReadiness, createAnypointClient } from '../../src/clients/anypoint';
import { ConflictError, UnexpectedResponseError, UpstreamError, isPermanent } from '../../src/clients/errors';
import { pickRuntime } from '../../src/domain/runtimes';
import { gatewayNameFor, proxyAppNameFor } from '../../src/domain/targets';
import { ANYPOINT, ENV, ORG, TOKEN, anypointCfg, contractNock, expectViolation, mockAnypointContext, recordingSleep, setupNock, vendorExample } from './helpers';

setupNock();

const ADDON = '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9d';
const SPACE_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const GW_ID = '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';

function make() {
  mockAnypointContext();
  const rec = recordingSleep();
  const client = createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5 });
  return { client, delays: rec.delays };
}

/** The bearer token and both scope headers. */
function scoped(): nock.Scope {
  return contractNock(ANYPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}`, 'x-anypnt-org-id': ORG, 'x-anypnt-env-id': ENV } });
}

/** The bearer token only (the Application Manager and the versions API take no scope headers). */
function bearer(): nock.Scope {
  return contractNock(ANYPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}` } });
}

describe('Proxies: deployments of an API instance', () => {
  const D = `/proxies/xapi/v1/organizations/${ORG}/environments/${ENV}/apis/77/deployments`;

  it.each([
    ['HY, on a shared gateway', { type: 'HY' as const, targetId: GW_ID, targetName: gatewayNameFor('us', 1), gatewayVersion: '1.9.3' }],
    ['CH2, a dedicated proxy', { type: 'CH2' as const, targetId: SPACE_ID, targetName: 'Cloudhub-US-East-2', applicationName: proxyAppNameFor(ADDON), gatewayVersion: '4.9.8:1' }],
  ])('deploys %s: the flat body of the spec, our environment, no overwrite', async (_what, input) => {
    let body: unknown;
    scoped()
      .post(D, (b) => {
        body = b;
        return true;
      })
      .reply(201, { id: 501, ...input, environmentId: ENV });
    const { client } = make();
    const d = await client.proxies.deploy('77', input);
    expect(d).toMatchObject({ id: '501', type: input.type, targetId: input.targetId });
    expect(body).toEqual({ ...input, environmentId: ENV, environmentName: 'Sandbox', overwrite: false });
  });

  it('a deploy answered without an id is an UnexpectedResponseError; a 502 is not repeated (uncertain)', async () => {
    const input = { type: 'HY' as const, targetId: GW_ID, targetName: 'aag-us-1', gatewayVersion: '1.9.3' };
    scoped().post(D).reply(201, { type: 'HY' }).post(D).reply(502);
    const { client, delays } = make();
    await expect(client.proxies.deploy('77', input)).rejects.toBeInstanceOf(UnexpectedResponseError);
    const err = (await client.proxies.deploy('77', input).catch((e: unknown) => e)) as UpstreamError;
    expect(err.uncertain).toBe(true);
    expect(delays).toEqual([]);
  });

  it('lists the deployments of an instance (a list or {data}); none on 404', async () => {
    scoped()
      .get(D)
      .reply(200, [{ id: 501, type: 'CH2', applicationName: proxyAppNameFor(ADDON), targetId: SPACE_ID }, { type: 'HY' }])
      .get(D)
      .reply(200, { data: [{ id: '502', type: 'HY', targetId: GW_ID }] })
      .get(D)
      .reply(404);
    const { client } = make();
    expect(await client.proxies.deployments('77')).toEqual([expect.objectContaining({ id: '501', type: 'CH2', applicationName: proxyAppNameFor(ADDON), targetId: SPACE_ID })]);
    expect(await client.proxies.deployments('77')).toEqual([expect.objectContaining({ id: '502', type: 'HY', targetId: GW_ID })]);
    expect(await client.proxies.deployments('77')).toEqual([]);
  });

  it('reads the deployment status; null on 404 or without one', async () => {
    scoped()
      .get(`${D}/501/status`)
      .reply(200, { status: 'deployed', lastActiveDate: '2026-01-01T00:00:00Z' })
      .get(`${D}/502/status`)
      .reply(404)
      .get(`${D}/503/status`)
      .reply(200, {});
    const { client } = make();
    expect(await client.proxies.deploymentStatus('77', '501')).toBe('deployed');
    expect(await client.proxies.deploymentStatus('77', '502')).toBeNull();
    expect(await client.proxies.deploymentStatus('77', '503')).toBeNull();
  });

  it('the CloudHub 2.0 spaces of our environment (provider MC, ?environmentId=)', async () => {
    scoped()
      .get(`/proxies/xapi/v1/organizations/${ORG}/providers/MC/cloudhub2-deployment-targets`)
      .query({ environmentId: ENV })
      .reply(200, [{ id: SPACE_ID, name: 'Cloudhub-US-East-2', type: 'shared-space' }, { id: 'no-name' }, { name: 'no-id' }]);
    const { client } = make();
    expect(await client.proxies.cloudhub2Targets()).toEqual([{ id: SPACE_ID, name: 'Cloudhub-US-East-2', type: 'shared-space' }]);
  });

  it('the runtime versions a space offers for a new deployment (?operation=newdeployment); the newest LTS is picked', async () => {
    scoped()
      .get(`/proxies/xapi/v1/organizations/${ORG}/targets/${SPACE_ID}/runtimes/mule/versions`)
      .query({ operation: 'newdeployment' })
      .reply(200, [
        { baseVersion: '4.9.8', tag: '4.9.8:1', channel: 'LTS' },
        { baseVersion: '4.10.1', tag: '4.10.1:2e', channel: 'EDGE' },
        { baseVersion: '4.6.22', tag: '4.6.22:3', channel: 'LTS' },
        { nothing: 'usable' },
      ]);
    const { client } = make();
    const offered = await client.proxies.runtimeVersions(SPACE_ID);
    expect(offered).toEqual([
      { value: '4.9.8:1', base: '4.9.8', channel: 'lts' },
      { value: '4.10.1:2e', base: '4.10.1', channel: 'edge' },
      { value: '4.6.22:3', base: '4.6.22', channel: 'lts' },
    ]);
    expect(pickRuntime(offered)).toEqual({ ok: true, value: '4.9.8:1' });
  });
});

describe('Gateway Manager: the shared managed Omni Gateways', () => {
  const G = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
  const NAME = gatewayNameFor('us', 1);
  /** A gateway as the spec's ManagedGatewayDetail has it (every required property). */
  const detail = (extra: Record<string, unknown> = {}) => ({
    id: GW_ID,
    name: NAME,
    status: 'RUNNING',
    desiredStatus: 'RUNNING',
    lastUpdated: '2026-03-01T12:00:00Z',
    dateCreated: '2026-03-01T11:50:00Z',
    targetId: SPACE_ID,
    targetName: 'Cloudhub-US-East-2',
    runtimeVersion: '1.9.3',
    releaseChannel: 'lts',
    size: 'small',
    apiLimit: 50,
    configuration: {
      ingress: { publicUrl: `https://${NAME}-abc123.us-e2.cloudhub.io, https://api.example.com`, forwardSslSession: false, lastMileSecurity: false },
      properties: { connectionIdleTimeout: 60, upstreamResponseTimeout: 15 },
      logging: { level: 'info', forwardLogs: false },
    },
    ...extra,
  });
  const summary = (id: string, name: string) => ({ id, name, status: 'RUNNING', lastUpdated: '2026-03-01T12:00:00Z', dateCreated: '2026-03-01T11:50:00Z', targetId: SPACE_ID });
  const input = { name: NAME, targetId: SPACE_ID, runtimeVersion: '1.9.3', releaseChannel: 'lts' as const, size: 'small' as const };

  it('creates a gateway with the platform defaults (name, target, version, channel, size only)', async () => {
    let body: unknown;
    scoped()
      .post(G, (b) => {
        body = b;
        return true;
      })
      .reply(201, detail({ status: 'STARTING' }));
    const { client } = make();
    const gw = await client.gateways.create(input);
    expect(body).toEqual(input);
    expect(gw).toEqual({
      id: GW_ID,
      name: NAME,
      status: 'STARTING',
      targetId: SPACE_ID,
      runtimeVersion: '1.9.3',
      apiLimit: 50,
      publicUrl: `https://${NAME}-abc123.us-e2.cloudhub.io`,
    });
  });

  it('409 on create is a ConflictError; 400 is permanent', async () => {
    scoped().post(G).reply(409, { message: 'name taken', status: 409 }).post(G).reply(400, { message: 'bad size', status: 400 });
    const { client } = make();
    await expect(client.gateways.create(input)).rejects.toBeInstanceOf(ConflictError);
    expect(isPermanent(await client.gateways.create(input).catch((e: unknown) => e))).toBe(true);
  });

  it('findByName: the list filtered by name (checked again here), then the gateway itself', async () => {
    scoped()
      .get(G)
      .query({ name: NAME, pageSize: '50', pageNumber: '0' })
      .reply(200, { content: [summary('1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', `${NAME}0`), summary(GW_ID, NAME)], pageNumber: 0, pageSize: 50, totalElements: 2 })
      .get(`${G}/${GW_ID}`)
      .reply(200, detail())
      .get(G)
      .query({ name: 'aag-eu-7', pageSize: '50', pageNumber: '0' })
      .reply(200, { content: [summary(GW_ID, NAME)], pageNumber: 0, pageSize: 50, totalElements: 1 });
    const { client } = make();
    expect(await client.gateways.findByName(NAME)).toMatchObject({ id: GW_ID, name: NAME, publicUrl: `https://${NAME}-abc123.us-e2.cloudhub.io` });
    expect(await client.gateways.findByName('aag-eu-7')).toBeNull();
  });

  it('get: null on 404; an answer without id and name is an UnexpectedResponseError', async () => {
    expectViolation({ direction: 'response', message: "→ 200 body: must have required property 'id'" });
    const { id: _id, ...noId } = detail();
    scoped().get(`${G}/${GW_ID}`).reply(404, { message: 'not found', status: 404 }).get(`${G}/${GW_ID}`).reply(200, noId);
    const { client } = make();
    expect(await client.gateways.get(GW_ID)).toBeNull();
    await expect(client.gateways.get(GW_ID)).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('status: {status, ready, running}; null on 404', async () => {
    scoped()
      .get(`${G}/${GW_ID}/status`)
      .reply(200, vendorExample('anypoint', 'GET', `${G}/${GW_ID}/status`))
      .get(`${G}/${GW_ID}/status`)
      .reply(200, { status: 'STARTING', ready: false, running: false })
      .get(`${G}/${GW_ID}/status`)
      .reply(404, { message: 'not found', status: 404 });
    const { client } = make();
    expect(await client.gateways.status(GW_ID)).toEqual({ status: 'RUNNING', ready: true, running: true });
    expect(await client.gateways.status(GW_ID)).toEqual({ status: 'STARTING', ready: false, running: false });
    expect(await client.gateways.status(GW_ID)).toBeNull();
  });

  it('delete: true, then false on 404', async () => {
    scoped().delete(`${G}/${GW_ID}`).reply(204).delete(`${G}/${GW_ID}`).reply(404, { message: 'not found', status: 404 });
    const { client } = make();
    expect(await client.gateways.delete(GW_ID)).toBe(true);
    expect(await client.gateways.delete(GW_ID)).toBe(false);
  });

  it('versions: the display names per release channel, newest first as the platform lists them', async () => {
    bearer()
      .get('/gatewaymanager/xapi/v1/gateway/versions')
      .reply(200, {
        default: 'lts',
        channels: {
          lts: { name: 'LTS', versions: [{ displayName: '1.9.3' }, { displayName: '1.8.4' }] },
          edge: { name: 'Edge', versions: [{ displayName: '1.10.0' }] },
          dev: { name: 'Dev', versions: [] },
        },
      });
    const { client } = make();
    await client.context();
    expect(await client.gateways.versions()).toEqual({ lts: ['1.9.3', '1.8.4'], edge: ['1.10.0'] });
  });
});

describe('Application Manager: the CloudHub 2.0 proxies', () => {
  const A = `/amc/application-manager/api/v2/organizations/${ORG}/environments/${ENV}/deployments`;
  const APP = proxyAppNameFor(ADDON);
  const DEP_ID = 'e4899eda-22c9-4546-8ad2-ffde5a3d466d';
  const item = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
    id,
    name,
    status: 'APPLIED',
    application: { status: 'RUNNING' },
    target: { provider: 'MC', targetId: SPACE_ID },
    creationDate: '2026-03-01T12:00:00Z',
    lastModifiedDate: '2026-03-01T12:05:00Z',
    ...extra,
  });
  const others = (n: number, from = 0) => Array.from({ length: n }, (_, i) => item(`dep-${from + i}`, `someone-else-${from + i}`));

  it('findByName pages through the list (offset/limit 100) until it finds the name', async () => {
    const scope = bearer()
      .get(A)
      .query({ offset: '0', limit: '100' })
      .reply(200, { items: others(100), total: 150 })
      .get(A)
      .query({ offset: '100', limit: '100' })
      .reply(200, { items: [...others(20, 100), item(DEP_ID, APP, { status: 'APPLYING', application: { status: 'NOT_RUNNING' } })], total: 150 });
    const { client } = make();
    expect(await client.amc.findByName(APP)).toEqual({ id: DEP_ID, name: APP, status: 'APPLYING', applicationStatus: 'NOT_RUNNING', publicUrl: undefined });
    scope.done();
  });

  it('findByName stops at the first page that has it, and at the end of the list (null)', async () => {
    bearer()
      .get(A)
      .query({ offset: '0', limit: '100' })
      .reply(200, { items: [item(DEP_ID, APP)], total: 1 })
      .get(A)
      .query({ offset: '0', limit: '100' })
      .reply(200, { items: others(100), total: 100 })
      .get(A)
      .query({ offset: '0', limit: '100' })
      .reply(200, vendorExample('anypoint', 'GET', A));
    const { client } = make();
    expect(await client.amc.findByName(APP)).toMatchObject({ id: DEP_ID });
    expect(await client.amc.findByName(APP)).toBeNull();
    expect(await client.amc.findByName(APP)).toBeNull();
  });

  it('get: status, application status and the public URL; null on 404', async () => {
    const example = vendorExample<Record<string, unknown>>('anypoint', 'GET', `${A}/${DEP_ID}`);
    bearer()
      .get(`${A}/${DEP_ID}`)
      .reply(200, {
        ...example,
        name: APP,
        status: 'APPLIED',
        application: { status: 'RUNNING', vCores: 0.1 },
        target: { provider: 'MC', targetId: SPACE_ID, replicas: 1, deploymentSettings: { http: { inbound: { publicUrl: `https://${APP}-x1y2z3.5sc6y6-1.usa-e2.cloudhub.io` } } } },
      })
      .get(`${A}/${DEP_ID}`)
      .reply(404, { message: 'Deployment not found' });
    const { client } = make();
    const d = await client.amc.get(DEP_ID);
    expect(d).toEqual({ id: DEP_ID, name: APP, status: 'APPLIED', applicationStatus: 'RUNNING', publicUrl: `https://${APP}-x1y2z3.5sc6y6-1.usa-e2.cloudhub.io` });
    expect(amcReadiness(d!)).toBe('ready');
    expect(await client.amc.get(DEP_ID)).toBeNull();
  });

  it("the vendor's own example reads as a failed deployment", async () => {
    bearer().get(`${A}/${DEP_ID}`).reply(200, vendorExample('anypoint', 'GET', `${A}/${DEP_ID}`));
    const { client } = make();
    const d = await client.amc.get(DEP_ID);
    expect(d).toMatchObject({ id: DEP_ID, name: 'app-name', status: 'FAILED' });
    expect(amcReadiness(d!)).toBe('failed');
  });

  it('delete: true, then false on 404', async () => {
    bearer().delete(`${A}/${DEP_ID}`).reply(204).delete(`${A}/${DEP_ID}`).reply(404);
    const { client } = make();
    expect(await client.amc.delete(DEP_ID)).toBe(true);
    expect(await client.amc.delete(DEP_ID)).toBe(false);
  });

  it('readiness: APPLIED and RUNNING is ready; FAILED or DEPLOYMENT_FAILED failed; anything else deploying', () => {
    expect(amcReadiness({ status: 'APPLIED', applicationStatus: 'RUNNING' })).toBe('ready');
    expect(amcReadiness({ status: 'applied', applicationStatus: 'running' })).toBe('ready');
    expect(amcReadiness({ status: 'APPLIED', applicationStatus: 'NOT_RUNNING' })).toBe('deploying');
    expect(amcReadiness({ status: 'APPLYING', applicationStatus: 'RUNNING' })).toBe('deploying');
    expect(amcReadiness({ status: 'FAILED' })).toBe('failed');
    expect(amcReadiness({ status: 'DEPLOYMENT_FAILED', applicationStatus: 'RUNNING' })).toBe('failed');
    expect(amcReadiness({})).toBe('deploying');
  });
});
