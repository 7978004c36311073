/**
 * The vendor-contract check of the client tests (contractNock in helpers.ts) bites: a request a
 * client builds with a misspelt field, a multipart form with a misspelt field, a fixture answer of
 * the wrong type, and an unknown path are each a violation that fails the test; a violation
 * declared with expectViolation passes, and a declared one that does not happen fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import FormData from 'form-data';
import { createAnypointClient } from '../../src/clients/anypoint';
import { createHerokuClients } from '../../src/clients/heroku';
import { HttpClient } from '../../src/clients/http';
import { ANYPOINT, ENV, HEROKU_API, HEROKU_ID, ORG, anypointCfg, contractLog, contractNock, contractProblems, expectViolation, herokuAddon, mockAnypointContext, setupNock } from './helpers';

setupNock();

const APIS = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;
const GATEWAYS = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
const GW_ID = '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';
const UUID = '01234567-89ab-cdef-0123-456789abcdef';

function anypoint() {
  mockAnypointContext();
  return createAnypointClient(anypointCfg, { sleep: async () => undefined, random: () => 0.5 });
}

describe('the vendor contract check of the client tests', () => {
  it('a request body with a misspelt field is a violation that fails the test, with its message', async () => {
    contractNock(ANYPOINT).post(APIS).reply(201, { id: 18800001 });
    const client = anypoint();
    await client.apiManager.createApi({
      groupId: ORG,
      assetId: 'heroku-addon-abc',
      assetVersion: '1.0.0',
      instanceLabel: 'aag-omni-x',
      technology: 'flexGateway',
      endpoint: { type: 'http', deploymentType: 'HY', uri: 'https://myapp.herokuapp.com', proxyUrl: 'http://0.0.0.0:8081/x', isCloudHub: null },
    });
    const problems = await contractProblems();
    expect(problems).toEqual([
      `[anypoint request] POST ${APIS.replace(ORG, '{organizationId}').replace(ENV, '{environmentId}')} body.endpoint: must have required property 'proxyUri'`,
      expect.stringMatching(/body\.endpoint: must NOT have property 'proxyUrl' \(not in the spec\)$/),
    ]);
  });

  it('a multipart form is checked field by field (a misspelt Exchange field)', async () => {
    contractNock(ANYPOINT)
      .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`)
      .reply(201, { groupId: ORG, assetId: 'heroku-addon-abc', version: '1.0.0' });
    const form = new FormData();
    form.append('nmae', 'My gateway');
    form.append('type', 'http-api');
    const http = new HttpClient({ api: 'exchange', baseURL: ANYPOINT, sleep: async () => undefined });
    await http.post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/heroku-addon-abc/1.0.0`, form.getBuffer(), {
      headers: { ...form.getHeaders(), Authorization: 'Bearer t' },
    });
    const problems = await contractProblems();
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain("body: must have required property 'name'");
    expect(problems.join('\n')).toContain("body: must NOT have property 'nmae' (not in the spec)");
  });

  it('a fixture answer with a wrong type is a violation (Anypoint and Heroku)', async () => {
    contractNock(ANYPOINT).get(`${GATEWAYS}/${GW_ID}/status`).reply(200, { status: 'RUNNING', ready: 'yes', running: true });
    const client = anypoint();
    await client.gateways.status(GW_ID);
    contractNock(HEROKU_API).get(`/addons/${UUID}`).reply(200, herokuAddon(UUID, { app: 'myapp' }));
    const { platform } = createHerokuClients({
      HEROKU_API_URL: HEROKU_API,
      HEROKU_ID_URL: HEROKU_ID,
      HEROKU_OAUTH_CLIENT_SECRET: 's',
      HTTP_TIMEOUT_MS: 2_000,
      HTTP_MAX_TRIES: 1,
      HTTP_BACKOFF_BASE_MS: 1,
      HTTP_BACKOFF_MAX_MS: 1,
    });
    await platform({ get: async () => 'tok', refresh: async () => 'tok2' })
      .getAddon(UUID)
      .catch(() => undefined);
    const problems = await contractProblems();
    expect(problems).toEqual([
      expect.stringMatching(/^\[anypoint response\] GET \/gatewaymanager\/.*\/status → 200 body\.ready: must be boolean \(got string\)$/),
      '[heroku response] GET /addons/{add_on_identity} → 200 body.app: must be object (got string)',
    ]);
  });

  it('a reply function is checked on what it returns', async () => {
    contractNock(ANYPOINT)
      .get(`${GATEWAYS}/${GW_ID}/status`)
      .reply(() => [200, { status: 'RUNNING', ready: true }]);
    await anypoint().gateways.status(GW_ID);
    expect(await contractProblems()).toEqual([expect.stringContaining("→ 200 body: must have required property 'running'")]);
  });

  it('a path the vendor does not have is a violation', async () => {
    contractNock(ANYPOINT).get('/cloudhub/api/v2/applications/aag-1/status').reply(200, {});
    await new HttpClient({ api: 'cloudhub', baseURL: ANYPOINT }).get('/cloudhub/api/v2/applications/aag-1/status');
    expect(await contractProblems()).toEqual([expect.stringContaining('GET /cloudhub/api/v2/applications/aag-1/status: no such path in the anypoint specs')]);
  });

  it('a violation declared with expectViolation passes; a declared one that does not happen fails', async () => {
    expectViolation({ direction: 'response', message: /body\.ready: must be boolean/ });
    contractNock(ANYPOINT).get(`${GATEWAYS}/${GW_ID}/status`).reply(200, { status: 'RUNNING', ready: 'yes', running: true });
    await anypoint().gateways.status(GW_ID);
    expect(await contractProblems()).toEqual([]);
    expect(contractLog.all()).toEqual([]);

    expectViolation({ direction: 'response', message: /never/ });
    expect(await contractProblems()).toEqual([expect.stringContaining('expected violation did not happen')]);
  });

  it('every vendor interceptor of these tests goes through contractNock', () => {
    const dir = __dirname;
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'http.test.ts')
      .flatMap((f) =>
        readFileSync(path.join(dir, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
          .filter(({ line }) => /\bnock\(\s*(ANYPOINT|HEROKU_API|HEROKU_ID)\b/.test(line)),
      );
    expect(offenders.map((o) => `${o.where}: ${o.line.trim()}`)).toEqual([]);
  });
});
