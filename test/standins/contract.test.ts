import request from 'supertest';
import { createAnypointSandbox, createHerokuSandbox, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ENVIRONMENTS, DEFAULT_ORG_ID } from '@aag/standins';

/**
 * The stand-ins answer to the vendors' published contracts, not to our clients: a request that
 * breaks the spec of its operation is refused, as the platform would refuse it, and counted in the
 * stand-in's violation log (which every test file checks for unexpected entries).
 */

const ORG = DEFAULT_ORG_ID;
const ENV = DEFAULT_ENVIRONMENTS[0].id;

describe('the Anypoint stand-in checks every request against MuleSoft’s spec', () => {
  const sb = createAnypointSandbox({ deployDelayMs: 10 });
  afterAll(() => sb.close());

  async function bearer() {
    const res = await request(sb.app)
      .post('/accounts/api/v2/oauth2/token')
      .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET })
      .expect(200);
    return `Bearer ${res.body.access_token as string}`;
  }

  it('a misspelt field in a create body: 400 naming the field, counted, nothing made', async () => {
    const auth = await bearer();
    sb.violations.expect({ where: 'body', message: 'instanceLable' }, 1);
    const res = await request(sb.app)
      .post(`/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`)
      .set('Authorization', auth)
      .send({ spec: { groupId: ORG, assetId: 'a', version: '1.0.0' }, instanceLable: 'typo', technology: 'mule4', endpoint: { proxyUri: null, isCloudHub: null } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/instanceLable/);
    expect(sb.violations.all().filter((v) => v.message.includes('instanceLable'))).toHaveLength(1);
    expect(sb.inspect().apis).toHaveLength(0);
  });

  it('a wrong query parameter type: 400, counted', async () => {
    const auth = await bearer();
    sb.violations.expect({ where: 'query' }, 1);
    const res = await request(sb.app).get(`/accounts/api/organizations/${ORG}/environments`).query({ limit: 'lots' }).set('Authorization', auth);
    expect(res.status).toBe(400);
    expect(sb.violations.all().some((v) => v.where === 'query' && v.expected)).toBe(true);
  });

  it('an operation the platform does not have: 404/405, counted', async () => {
    const auth = await bearer();
    sb.violations.expect({ where: 'operation' }, 2);
    expect((await request(sb.app).get('/apimanager/api/v1/nothing-here').set('Authorization', auth)).status).toBe(404);
    expect((await request(sb.app).put(`/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis/1/policies/2`).set('Authorization', auth).send({})).status).toBe(405);
  });
});

describe('the Heroku stand-in checks every request against Heroku’s Platform API schema', () => {
  const sb = createHerokuSandbox();
  afterAll(() => sb.close());

  async function token(): Promise<{ uuid: string; auth: string }> {
    const body = sb.createAddon({ plan: 'test' });
    const res = await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: body.oauth_grant.code, client_secret: 'dev-heroku-oauth-client-secret' }).expect(200);
    return { uuid: body.uuid, auth: `Bearer ${res.body.access_token as string}` };
  }

  it('a misspelt field in a config update: refused with Heroku’s invalid_params, counted, nothing set', async () => {
    const { uuid, auth } = await token();
    sb.violations.expect({ where: 'body', operation: /\/config$/ });
    const res = await request(sb.app)
      .patch(`/addons/${uuid}/config`)
      .set('Authorization', auth)
      .set('Accept', 'application/vnd.heroku+json; version=3')
      .send({ configs: [{ name: 'ANYPOINT_API_GATEWAY_URL', value: 'https://x.example/' }] });
    expect(res.status).toBe(422);
    expect(sb.violations.all().some((v) => v.where === 'body' && v.expected)).toBe(true);
    expect(sb.addon(uuid)?.config).toEqual({});
  });

  it('a missing required header (Accept with the API version): 400, counted', async () => {
    const { uuid, auth } = await token();
    sb.violations.expect({ where: 'header', message: 'Accept' }, 1);
    const res = await request(sb.app).get(`/addons/${uuid}`).set('Authorization', auth);
    expect(res.status).toBe(400);
    expect(sb.violations.all().filter((v) => v.where === 'header' && v.expected)).toHaveLength(1);
  });
});
