/**
 * The calls only the preflight makes (src/preflight): the connected app's granted scopes, the
 * org's Exchange deletion setting, a policy template's implementations per technology, the whole
 * gateway list, space types, and the probe of Heroku's OAuth client secret. Every request and
 * fixture answer is checked against the vendors' specs (contractNock, helpers.ts).
 */
import { createAnypointClient } from '../../src/clients/anypoint';
import { MULESOFT_POLICY_GROUP_ID } from '../../src/clients/anypoint';
import { createHerokuClients } from '../../src/clients/heroku';
import { ANYPOINT, ENV, HEROKU_API, HEROKU_ID, ORG, TOKEN, anypointCfg, contractNock, mockAnypointContext, recordingSleep, setupNock } from './helpers';

setupNock();

function make() {
  mockAnypointContext();
  return createAnypointClient(anypointCfg, { sleep: recordingSleep().sleep, random: () => 0.5 });
}
const scoped = () => contractNock(ANYPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

describe('Access Management: the connected app’s scopes', () => {
  const PATH = `/accounts/api/connectedApplications/${anypointCfg.ANYPOINT_CLIENT_ID}/scopes`;
  const entry = (scope: string, envId = ENV) => ({ scope, context_params: { org: ORG, envId } });

  it('pages through the grants, 500 at a time', async () => {
    const first = Array.from({ length: 500 }, (_, i) => entry(`read:thing_${i}`));
    scoped()
      .get(PATH)
      .query({ limit: '500', offset: '0' })
      .reply(200, { data: first, total: 502 })
      .get(PATH)
      .query({ limit: '500', offset: '500' })
      .reply(200, { data: [entry('manage:api_policies'), entry('manage:api_proxies', 'other-env')], total: 502 });
    const client = make();
    await client.context();
    const scopes = await client.accounts.connectedAppScopes(anypointCfg.ANYPOINT_CLIENT_ID);
    expect(scopes).toHaveLength(502);
    expect(scopes?.slice(-2)).toEqual([
      { scope: 'manage:api_policies', org: ORG, envId: ENV },
      { scope: 'manage:api_proxies', org: ORG, envId: 'other-env' },
    ]);
  });

  it('null when the platform does not show them to the app (403)', async () => {
    scoped().get(PATH).query(true).reply(403, { message: 'Forbidden' });
    const client = make();
    await client.context();
    expect(await client.accounts.connectedAppScopes(anypointCfg.ANYPOINT_CLIENT_ID)).toBeNull();
  });
});

describe('Exchange: the deletion setting and policy implementations', () => {
  it('hardDeletionEnabled reads deletionSettings (asked for by name)', async () => {
    scoped()
      .get(`/exchange/api/v2/organizations/${ORG}/settings`)
      .query({ settings: 'deletionSettings' })
      .reply(200, [{ deletionSettings: { hardDeletionEnabled: false, assetRoleAssignmentSettings: true } }]);
    expect(await make().exchange.hardDeletionEnabled()).toBe(false);
  });

  it('policyImplementations lists one entry per technology, [] for an unknown version', async () => {
    const base = `/exchange/api/v2/assets/${MULESOFT_POLICY_GROUP_ID}/rate-limiting`;
    scoped()
      .get(`${base}/1.4.1/policies/implementations`)
      .reply(200, [
        { assetId: 'rate-limiting-mule', version: '1.4.1', technology: 'mule4', minRuntimeVersion: '4.1.0' },
        { assetId: 'rate-limiting-flex', version: '1.4.1', technology: 'flexGateway', minRuntimeVersion: '1.0.0' },
      ])
      .get(`${base}/9.9.9/policies/implementations`)
      .reply(404, { message: 'not found' });
    const client = make();
    expect((await client.exchange.policyImplementations(MULESOFT_POLICY_GROUP_ID, 'rate-limiting', '1.4.1')).map((i) => i.technology)).toEqual(['mule4', 'flexGateway']);
    expect(await client.exchange.policyImplementations(MULESOFT_POLICY_GROUP_ID, 'rate-limiting', '9.9.9')).toEqual([]);
  });
});

describe('Gateway Manager and proxies: the whole list, space types', () => {
  it('list() pages through every gateway of the environment', async () => {
    const G = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
    const gw = (i: number) => ({ id: `0a14e2fd-1cfe-4310-acbc-${String(i).padStart(12, '0')}`, name: `aag-us-${i}`, status: 'RUNNING', targetId: 'space', lastUpdated: '2026-03-01T12:00:00Z', dateCreated: '2026-03-01T11:50:00Z' });
    scoped()
      .get(G)
      .query({ pageSize: '50', pageNumber: '0' })
      .reply(200, { content: Array.from({ length: 50 }, (_, i) => gw(i + 1)), totalElements: 51, pageNumber: 0, pageSize: 50 })
      .get(G)
      .query({ pageSize: '50', pageNumber: '1' })
      .reply(200, { content: [gw(51)], totalElements: 51, pageNumber: 1, pageSize: 50 });
    const list = await make().gateways.list();
    expect(list).toHaveLength(51);
    expect(list[50]).toMatchObject({ name: 'aag-us-51', status: 'RUNNING' });
  });

  it('cloudhub2Targets keeps the type the platform gives', async () => {
    scoped()
      .get(`/proxies/xapi/v1/organizations/${ORG}/providers/MC/cloudhub2-deployment-targets`)
      .query({ environmentId: ENV })
      .reply(200, [
        { id: 'a', name: 'aag-us', type: 'private-space' },
        { id: 'b', name: 'Cloudhub-US-East-2' },
      ]);
    expect(await make().proxies.cloudhub2Targets()).toEqual([
      { id: 'a', name: 'aag-us', type: 'private-space' },
      { id: 'b', name: 'Cloudhub-US-East-2' },
    ]);
  });
});

describe('Heroku identity: is our OAuth client secret accepted?', () => {
  const heroku = () =>
    createHerokuClients(
      { HEROKU_API_URL: HEROKU_API, HEROKU_ID_URL: HEROKU_ID, HEROKU_OAUTH_CLIENT_SECRET: 'the-secret-xyz', HTTP_TIMEOUT_MS: 2000, HTTP_MAX_TRIES: 3, HTTP_BACKOFF_BASE_MS: 1, HTTP_BACKOFF_MAX_MS: 5 },
      { sleep: recordingSleep().sleep },
    );

  it.each([
    [400, { id: 'invalid_grant', error: 'invalid_grant', message: 'The refresh token is not valid.' }, 'accepted'],
    [404, { id: 'not_found', message: 'Couldn’t find that refresh token.' }, 'accepted'],
    [401, { id: 'unauthorized', error: 'invalid_client', message: 'Invalid credentials provided.' }, 'refused'],
  ] as const)('a refresh with a token that cannot exist answered %i → %s', async (status, body, verdict) => {
    let sent = '';
    contractNock(HEROKU_ID)
      .post('/oauth/token', (b: string) => {
        sent = b;
        return true;
      })
      .reply(status, body);
    const res = await heroku().oauth.checkClientSecret();
    expect(res).toMatchObject({ verdict, status });
    const form = new URLSearchParams(sent);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('client_secret')).toBe('the-secret-xyz');
    expect(form.get('refresh_token')).toMatch(/^preflight-[0-9a-f]{32}$/);
  });
});
