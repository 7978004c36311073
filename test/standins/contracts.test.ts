/**
 * Anypoint stand-in: client applications and contracts in both vendor forms (Exchange experience,
 * API Manager), and what deleting an application or an API instance does to them.
 */
import { APIS, APPS, ORG, client, liveApi, startKit, type Client, type Kit } from './boundary-kit';

let kit: Kit;
let c: Client;

beforeAll(async () => {
  kit = await startKit();
});
afterAll(() => kit.close());
beforeEach(async () => {
  kit.sb.reset();
  c = await client(kit);
});

const exchangeContract = (api: { apiId: number; asset: { groupId: string; assetId: string; version: string; productVersion: string } }) => ({
  apiId: String(api.apiId),
  instanceType: 'api',
  acceptedTerms: true,
  organizationId: ORG,
  groupId: api.asset.groupId,
  assetId: api.asset.assetId,
  version: api.asset.version,
  versionGroup: api.asset.productVersion,
});

describe('client applications (Exchange experience)', () => {
  it('creates one with its credentials, reads, lists by name, deletes', async () => {
    const made = await c.post(APPS).send({ name: 'addon-key-1', description: 'a key', grantTypes: [], redirectUri: [] }).expect(201);
    expect(made.body).toMatchObject({ name: 'addon-key-1', description: 'a key', masterOrganizationId: ORG });
    expect(made.body.clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(made.body.clientSecret).toMatch(/^[0-9a-fA-F]{32}$/);
    const id = made.body.id as number;

    const one = await c.get(`${APPS}/${id}`).expect(200);
    expect(one.body).toMatchObject({ id, clientId: made.body.clientId, clientSecret: made.body.clientSecret });

    await c.post(APPS).send({ name: 'addon-key-10' }).expect(201);
    const search = await c.get(`${APPS}?query=addon-key-1`).expect(200);
    expect(search.body.map((a: { name: string }) => a.name)).toEqual(['addon-key-1', 'addon-key-10']);
    const exact = await c.get(`${APPS}?query=addon-key-1&literalMatch=true`).expect(200);
    expect(exact.body).toHaveLength(1);
    // the list does not carry the credentials
    expect(exact.body[0].clientSecret).toBeUndefined();

    await c.del(`${APPS}/${id}`).expect(204);
    await c.get(`${APPS}/${id}`).expect(404);
    await c.del(`${APPS}/${id}`).expect(404);
  });

  it('API Manager import (external client provider): 404, the org has none here', async () => {
    const res = await c
      .post(`/apimanager/api/v1/organizations/${ORG}/applications`)
      .send({ clientId: 'abc', providerId: '11111111-2222-4333-8444-555555555555' })
      .expect(404);
    expect(res.body.message).toMatch(/client provider/i);
    expect(kit.sb.inspect().clientApplications).toHaveLength(0);
  });

  it('refuses a second application with the same name, and one without a name (changing nothing)', async () => {
    await c.post(APPS).send({ name: 'dup' }).expect(201);
    await c.post(APPS).send({ name: 'dup' }).expect(409);
    kit.sb.violations.expect({ direction: 'request', where: 'body' }, 1);
    await c.post(APPS).send({ description: 'no name' }).expect(400);
    expect(kit.sb.inspect().clientApplications).toHaveLength(1);
  });
});

describe('contracts', () => {
  it('Exchange form: contracts an application on an instance, lists it on both sides, refuses a second', async () => {
    const api = await liveApi(kit, c, 'contracts-ex', 'ch2');
    const a = (await c.post(APPS).send({ name: 'k1' }).expect(201)).body as { id: number; clientId: string };
    const made = await c.post(`${APPS}/${a.id}/contracts`).send(exchangeContract(api)).expect(201);
    expect(made.body).toMatchObject({ status: 'APPROVED', apiId: api.apiId, applicationId: a.id, clientId: a.clientId });

    const ofApp = await c.get(`${APPS}/${a.id}/contracts`).expect(200);
    expect(ofApp.body).toEqual([expect.objectContaining({ id: made.body.id, status: 'APPROVED', apiId: api.apiId })]);
    const ofApi = await c.get(`${APIS}/${api.apiId}/contracts`).expect(200);
    expect(ofApi.body.total).toBe(1);
    expect(ofApi.body.contracts[0]).toMatchObject({ id: made.body.id, applicationId: a.id, status: 'APPROVED', application: { coreServicesId: a.clientId } });
    expect(ofApi.body.contracts[0].application.clientSecret).toBeUndefined();
    const withContract = await c.get(`${APPS}?apiInstanceId=${api.apiId}`).expect(200);
    expect(withContract.body).toEqual([expect.objectContaining({ id: a.id, contract: { id: made.body.id, status: 'APPROVED' } })]);

    await c.post(`${APPS}/${a.id}/contracts`).send(exchangeContract(api)).expect(409);
  });

  it('Exchange form: refuses an unknown instance, another asset, another org (changing nothing)', async () => {
    const api = await liveApi(kit, c, 'contracts-bad', 'omni');
    const a = (await c.post(APPS).send({ name: 'k2' }).expect(201)).body as { id: number };
    await c.post(`${APPS}/${a.id}/contracts`).send({ ...exchangeContract(api), apiId: '999' }).expect(404);
    await c.post(`${APPS}/${a.id}/contracts`).send({ ...exchangeContract(api), assetId: 'other' }).expect(400);
    await c.post(`${APPS}/${a.id}/contracts`).send({ ...exchangeContract(api), organizationId: '00000000-0000-4000-8000-000000000000' }).expect(403);
    await c.post(`${APPS}/999/contracts`).send(exchangeContract(api)).expect(404);
    expect(kit.sb.inspect().contracts).toHaveLength(0);
  });

  it('API Manager form: contracts, reads, filters by status, deletes', async () => {
    const api = await liveApi(kit, c, 'contracts-apim', 'omni');
    const a = (await c.post(APPS).send({ name: 'k3' }).expect(201)).body as { id: number; clientId: string; clientSecret: string };
    const made = await c.post(`${APIS}/${api.apiId}/contracts`).send({ applicationId: a.id, acceptedTerms: true, partyId: '', partyName: '' }).expect(201);
    expect(made.body).toMatchObject({ apiId: api.apiId, applicationId: a.id, status: 'APPROVED', application: { clientId: a.clientId, clientSecret: a.clientSecret } });
    const id = made.body.id as number;
    await c.get(`${APIS}/${api.apiId}/contracts/${id}`).expect(200);
    expect((await c.get(`${APIS}/${api.apiId}/contracts?status=APPROVED`).expect(200)).body.total).toBe(1);
    expect((await c.get(`${APIS}/${api.apiId}/contracts?status=REVOKED`).expect(200)).body.total).toBe(0);
    await c.post(`${APIS}/${api.apiId}/contracts`).send({ applicationId: a.id }).expect(409);
    await c.post(`${APIS}/${api.apiId}/contracts`).send({ applicationId: 4242 }).expect(404);

    await c.del(`${APIS}/${api.apiId}/contracts/${id}`).expect(204);
    await c.get(`${APIS}/${api.apiId}/contracts/${id}`).expect(404);
    await c.del(`${APIS}/${api.apiId}/contracts/${id}`).expect(404);
    expect((await c.get(`${APIS}/${api.apiId}/contracts`).expect(200)).body).toEqual({ contracts: [], total: 0 });
    // a new contract for the same pair is possible once the old one is gone
    await c.post(`${APIS}/${api.apiId}/contracts`).send({ applicationId: a.id }).expect(201);
  });

  it('deleting the application ends its contracts; deleting the instance ends its contracts', async () => {
    const one = await liveApi(kit, c, 'contracts-del-1', 'ch2');
    const two = await liveApi(kit, c, 'contracts-del-2', 'ch2');
    const a = (await c.post(APPS).send({ name: 'k4' }).expect(201)).body as { id: number };
    const b = (await c.post(APPS).send({ name: 'k5' }).expect(201)).body as { id: number };
    await c.post(`${APIS}/${one.apiId}/contracts`).send({ applicationId: a.id }).expect(201);
    await c.post(`${APIS}/${two.apiId}/contracts`).send({ applicationId: a.id }).expect(201);
    await c.post(`${APIS}/${two.apiId}/contracts`).send({ applicationId: b.id }).expect(201);

    await c.del(`${APPS}/${a.id}`).expect(204);
    expect((await c.get(`${APIS}/${one.apiId}/contracts`).expect(200)).body.total).toBe(0);
    expect((await c.get(`${APIS}/${two.apiId}/contracts`).expect(200)).body.contracts.map((k: { applicationId: number }) => k.applicationId)).toEqual([b.id]);

    await c.del(`${APIS}/${two.apiId}`).expect(204);
    expect(kit.sb.inspect().contracts).toEqual([]);
    expect((await c.get(`${APPS}/${b.id}/contracts`).expect(200)).body).toEqual([]);
    // the application itself stays
    await c.get(`${APPS}/${b.id}`).expect(200);
  });
});
