/**
 * (b) The validator bites: for an operation of every spec folder, a correct request passes and
 * each kind of mistake is reported with a readable message.
 */
import {
  ContractValidator,
  GENERIC_ERROR_STATUSES,
  matchOperation,
  validateRequest,
  validateResponse,
  type Api,
  type RequestInput,
} from '@aag/contracts';

const ORG = '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';
const ENV = 'b2c3d4e5-f6a7-8901-bcde-f12345678901';
const ADDON = '01234567-89ab-cdef-0123-456789abcdef';
const BEARER = { Authorization: 'Bearer token-123' };
const JSON_CT = 'application/json';
const HEROKU = { ...BEARER, Accept: 'application/vnd.heroku+json; version=3' };

const APIM = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;
const PX = `/proxies/xapi/v1/organizations/${ORG}`;
const GW = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
const AMC = `/amc/application-manager/api/v2/organizations/${ORG}/environments/${ENV}/deployments`;
const EXCHANGE_CREATE = `/exchange/api/v2/organizations/${ORG}/assets/${ORG}/aag-3f1c/1.0.0`;

const messages = (api: Api, req: RequestInput): string[] => validateRequest(api, req).violations.map((v) => v.message);
const without = <T extends Record<string, unknown>>(o: T, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

interface Case {
  folder: string;
  api: Api;
  good: RequestInput;
  /** Variants of `good` and a pattern each violation message must match. */
  bad: Array<[string, RequestInput, RegExp]>;
}

const omniInstance = {
  spec: { groupId: ORG, assetId: 'aag-3f1c', version: '1.0.0' },
  instanceLabel: 'acme-primary-gateway',
  technology: 'flexGateway',
  endpoint: { type: 'http', deploymentType: 'HY', proxyUri: 'http://0.0.0.0:8081/aag-3f1c', isCloudHub: null },
  routing: [{ upstreams: [{ weight: 100, uri: 'https://acme-1a2b3c4d5e6f.herokuapp.com' }] }],
  deployment: { environmentId: ENV, type: 'HY', expectedStatus: 'deployed', targetId: 'gw-1', targetName: 'aag-us-1', gatewayVersion: '1.9.3' },
};
const gateway = {
  name: 'aag-us-1',
  targetId: '7a3c1c9e-7f38-4a47-8f3a-0b6b3c1a2d4e',
  runtimeVersion: '1.9.3',
  releaseChannel: 'lts',
  size: 'small',
  configuration: { ingress: { publicUrl: 'https://aag-us-1.example.cloudhub.io', forwardSslSession: false, lastMileSecurity: false }, properties: { upstreamResponseTimeout: 15, connectionIdleTimeout: 60 } },
};
const ch2Deployment = { type: 'CH2', targetId: 'cloudhub-us-east-2', applicationName: 'aag-3f1c', environmentId: ENV, environmentName: 'Production', gatewayVersion: '4.9.0' };

const CASES: Case[] = [
  {
    folder: 'access-management',
    api: 'anypoint',
    good: { method: 'POST', path: '/accounts/api/v2/oauth2/token', contentType: JSON_CT, body: { grant_type: 'client_credentials', client_id: 'cid', client_secret: 'secret' } },
    bad: [
      ['misspelt field', { method: 'POST', path: '/accounts/api/v2/oauth2/token', contentType: JSON_CT, body: { grant_type: 'client_credentials', client_id: 'cid', client_secert: 'secret' } }, /must NOT have property 'client_secert'/],
      ['missing field', { method: 'POST', path: '/accounts/api/v2/oauth2/token', contentType: JSON_CT, body: { client_id: 'cid', client_secret: 'secret' } }, /must have required property 'grant_type'/],
      ['wrong enum', { method: 'POST', path: '/accounts/api/v2/oauth2/token', contentType: JSON_CT, body: { grant_type: 'password', client_id: 'cid', client_secret: 's' } }, /body\.grant_type: must be one of/],
      ['missing header', { method: 'GET', path: `/accounts/api/organizations/${ORG}/environments`, query: { name: 'Production' } }, /missing required header 'Authorization'/],
      ['query type', { method: 'GET', path: `/accounts/api/organizations/${ORG}/environments`, headers: BEARER, query: { limit: 'many' } }, /query parameter 'limit': must be integer/],
      ['unknown path', { method: 'GET', path: '/accounts/api/v3/me', headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'exchange-experience',
    api: 'anypoint',
    good: {
      method: 'POST',
      path: EXCHANGE_CREATE,
      headers: { ...BEARER, 'x-sync-publication': 'true' },
      contentType: 'multipart/form-data; boundary=----x',
      body: { name: 'acme-primary-gateway', type: 'http-api', status: 'published', 'properties.apiVersion': 'v1', 'files.oas.json': { originalname: 'oas.json', size: 120 } },
    },
    bad: [
      ['misspelt field', { method: 'POST', path: EXCHANGE_CREATE, headers: BEARER, contentType: 'multipart/form-data', body: { name: 'x', type: 'http-api', apiVersion: 'v1' } }, /must NOT have property 'apiVersion'/],
      ['missing field', { method: 'POST', path: EXCHANGE_CREATE, headers: BEARER, contentType: 'multipart/form-data', body: { type: 'http-api' } }, /must have required property 'name'/],
      ['wrong enum', { method: 'POST', path: EXCHANGE_CREATE, headers: BEARER, contentType: 'multipart/form-data', body: { name: 'x', status: 'stable' } }, /body\.status: must be one of "development", "published"/],
      ['wrong content type', { method: 'POST', path: EXCHANGE_CREATE, headers: BEARER, contentType: JSON_CT, body: { name: 'x' } }, /content-type: 'application\/json' is not accepted/],
      ['wrong header enum', { method: 'DELETE', path: `/exchange/api/v2/assets/${ORG}/aag-3f1c/1.0.0`, headers: { ...BEARER, 'X-Delete-Type': 'hard' } }, /header 'X-Delete-Type': must be one of "soft-delete", "hard-delete"/],
      ['missing header', { method: 'DELETE', path: `/exchange/api/v2/assets/${ORG}/aag-3f1c/1.0.0`, headers: { 'x-delete-type': 'hard-delete' } }, /missing required header 'Authorization'/],
      ['query type', { method: 'GET', path: `/exchange/api/v2/assets/${ORG}/aag-3f1c/1.0.0`, headers: BEARER, query: { includeSnapshots: 'perhaps' } }, /query parameter 'includeSnapshots': must be boolean/],
      ['path pattern', { method: 'GET', path: `/exchange/api/v2/assets/${ORG}/aag-3f1c/latest`, headers: BEARER }, /path parameter 'version': must match pattern/],
      ['unknown path', { method: 'POST', path: `/exchange/api/v3/organizations/${ORG}/assets`, headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'api-manager',
    api: 'anypoint',
    good: { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: omniInstance },
    bad: [
      ['misspelt field', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...omniInstance, instancelabel: 'x' } }, /body: must NOT have property 'instancelabel' \(not in the spec\)/],
      ['missing field', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: without(omniInstance, 'spec') }, /^POST \/apimanager\/api\/v1\/organizations\/\{organizationId\}\/environments\/\{environmentId\}\/apis body: must have required property 'spec'$/],
      ['nested missing field', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...omniInstance, endpoint: { type: 'http', isCloudHub: null } } }, /body\.endpoint: must have required property 'proxyUri'/],
      ['wrong enum', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...omniInstance, technology: 'omniGateway' } }, /body\.technology: must be one of "mule3", "mule4", "flexGateway", "serviceMesh"/],
      ['wrong type', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...omniInstance, routing: [{ upstreams: [{ weight: '100', uri: 'https://a' }] }] } }, /body\.routing\[0\]\.upstreams\[0\]\.weight: must be integer/],
      ['missing header', { method: 'POST', path: APIM, contentType: JSON_CT, body: omniInstance }, /header: missing required header 'Authorization' \(bearer\)/],
      ['wrong auth scheme', { method: 'POST', path: APIM, headers: { Authorization: 'Basic dXNlcjpwYXNz' }, contentType: JSON_CT, body: omniInstance }, /Authorization scheme 'Basic' is not bearer/],
      ['query type', { method: 'GET', path: APIM, headers: BEARER, query: { assetId: 'aag-3f1c', limit: 'ten' } }, /query parameter 'limit': must be integer \(got string\)/],
      ['unknown query parameter', { method: 'GET', path: `${APIM}?assetID=aag-3f1c`, headers: BEARER }, /query: unknown query parameter 'assetID' \(not in the spec\)/],
      ['path type', { method: 'DELETE', path: `${APIM}/abc`, headers: BEARER }, /path parameter 'environmentApiId': must be integer/],
      ['body on a bodiless operation', { method: 'DELETE', path: `${APIM}/42`, headers: BEARER, contentType: JSON_CT, body: { force: true } }, /body: the operation takes no body/],
      ['method not in the spec', { method: 'PUT', path: APIM, headers: BEARER }, /method PUT not allowed .* \(the spec has GET, POST\)/],
      ['not extracted', { method: 'PUT', path: `${APIM}/42/pin`, headers: BEARER }, /is in the vendor spec but not in our extract/],
      ['unknown path', { method: 'GET', path: `${APIM}/42/gateways`, headers: BEARER }, /no such path in the anypoint specs/],
    ],
  },
  {
    folder: 'proxies-xapi',
    api: 'anypoint',
    good: { method: 'POST', path: `${PX}/environments/${ENV}/apis/42/deployments`, headers: BEARER, contentType: JSON_CT, body: ch2Deployment },
    bad: [
      ['misspelt field', { method: 'POST', path: `${PX}/environments/${ENV}/apis/42/deployments`, headers: BEARER, contentType: JSON_CT, body: { ...ch2Deployment, aplicationName: 'x' } }, /must NOT have property 'aplicationName'/],
      ['missing field', { method: 'POST', path: `${PX}/environments/${ENV}/apis/42/deployments`, headers: BEARER, contentType: JSON_CT, body: without(ch2Deployment, 'type') }, /must have required property 'type'/],
      ['wrong enum', { method: 'POST', path: `${PX}/environments/${ENV}/apis/42/deployments`, headers: BEARER, contentType: JSON_CT, body: { ...ch2Deployment, type: 'CloudHub2' } }, /body\.type: must be one of "CH", "HY", "RF", "CH2"/],
      ['missing required query', { method: 'GET', path: `${PX}/providers/MC/cloudhub2-deployment-targets`, headers: BEARER }, /query: missing required query parameter 'environmentId'/],
      ['query type', { method: 'GET', path: `${PX}/providers/MC/cloudhub2-deployment-targets`, headers: BEARER, query: { environmentId: ENV, returnAllTargets: 'all' } }, /query parameter 'returnAllTargets': must be boolean/],
      ['query enum', { method: 'GET', path: `${PX}/targets/cloudhub-us-east-2/runtimes/mule/versions`, headers: BEARER, query: { operation: 'deploy' } }, /query parameter 'operation': must be one of "newdeployment"/],
      ['missing header', { method: 'GET', path: `${PX}/targets/cloudhub-us-east-2/runtimes/mule/versions`, query: { operation: 'newdeployment' } }, /missing required header 'Authorization'/],
      ['unknown path', { method: 'DELETE', path: `${PX}/environments/${ENV}/apis/42/deployments/7/undeploy`, headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'flex-gateway-manager',
    api: 'anypoint',
    good: { method: 'POST', path: GW, headers: BEARER, contentType: JSON_CT, body: gateway },
    bad: [
      ['misspelt field', { method: 'POST', path: GW, headers: BEARER, contentType: JSON_CT, body: { ...gateway, runtimeVerison: '1.9.3' } }, /must NOT have property 'runtimeVerison'/],
      ['missing field', { method: 'POST', path: GW, headers: BEARER, contentType: JSON_CT, body: without(gateway, 'targetId') }, /must have required property 'targetId'/],
      ['wrong enum', { method: 'POST', path: GW, headers: BEARER, contentType: JSON_CT, body: { ...gateway, releaseChannel: 'stable' } }, /body\.releaseChannel: must be one of "lts", "edge", "dev"/],
      ['pattern', { method: 'POST', path: GW, headers: BEARER, contentType: JSON_CT, body: { ...gateway, name: 'AAG_US' } }, /body\.name: must match pattern/],
      ['query type', { method: 'GET', path: GW, headers: BEARER, query: { name: 'aag-us-1', pageSize: 'all' } }, /query parameter 'pageSize': must be integer/],
      ['missing header', { method: 'GET', path: `${GW}/7a3c1c9e-7f38-4a47-8f3a-0b6b3c1a2d4e/status` }, /missing required header 'Authorization'/],
      ['path format', { method: 'GET', path: `${GW}/aag-us-1/status`, headers: BEARER }, /path parameter 'gatewayId': must match format "uuid"/],
      ['unknown path', { method: 'GET', path: `${GW}/7a3c1c9e-7f38-4a47-8f3a-0b6b3c1a2d4e/apis`, headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'amc-application-manager',
    api: 'anypoint',
    good: { method: 'GET', path: AMC, headers: BEARER, query: { provider: 'MC', limit: '50', offset: '0' } },
    bad: [
      ['query type', { method: 'GET', path: AMC, headers: BEARER, query: { limit: 'fifty' } }, /query parameter 'limit': must be integer/],
      ['query enum', { method: 'GET', path: AMC, headers: BEARER, query: { provider: 'CH2' } }, /query parameter 'provider': must be one of "MC"/],
      ['misspelt query parameter', { method: 'GET', path: AMC, headers: BEARER, query: { name: 'aag-3f1c' } }, /unknown query parameter 'name'/],
      ['missing header', { method: 'DELETE', path: `${AMC}/e4899eda-22c9-4546-8ad2-ffde5a3d466d` }, /missing required header 'Authorization'/],
      ['unknown path', { method: 'POST', path: `${AMC}/e4899eda-22c9-4546-8ad2-ffde5a3d466d/restart`, headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'analytics-event-export',
    api: 'anypoint',
    good: { method: 'GET', path: `/analytics/1.0/${ORG}/environments/${ENV}/events`, headers: BEARER, query: { format: 'json', duration: '1h', maxResults: '100' } },
    bad: [
      ['missing required query', { method: 'GET', path: `/analytics/1.0/${ORG}/environments/${ENV}/events`, headers: BEARER, query: { duration: '1h' } }, /missing required query parameter 'format'/],
      ['query type', { method: 'GET', path: `/analytics/1.0/${ORG}/events`, headers: BEARER, query: { format: 'json', maxResults: 'lots' } }, /query parameter 'maxResults': must be integer/],
      ['query format', { method: 'GET', path: `/analytics/1.0/${ORG}/events`, headers: BEARER, query: { format: 'json', startDate: 'yesterday' } }, /query parameter 'startDate': must match format "date-time"/],
      ['misspelt query parameter', { method: 'GET', path: `/analytics/1.0/${ORG}/events`, headers: BEARER, query: { format: 'json', apiID: '42' } }, /unknown query parameter 'apiID'/],
      ['unknown path', { method: 'GET', path: `/analytics/1.0/${ORG}/environments/${ENV}/metrics`, headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'cloudhub',
    api: 'anypoint',
    good: { method: 'GET', path: '/cloudhub/api/v2/applications/aag-3f1c', headers: { ...BEARER, 'X-ANYPNT-ENV-ID': ENV, 'X-ANYPNT-ORG-ID': ORG } },
    bad: [
      ['missing header', { method: 'DELETE', path: '/cloudhub/api/v2/applications/aag-3f1c', headers: { ...BEARER, 'X-ANYPNT-ORG-ID': ORG } }, /header: missing required header 'X-ANYPNT-ENV-ID'/],
      ['missing auth', { method: 'GET', path: '/cloudhub/api/applications/domains/aag-3f1c' }, /missing required header 'Authorization'/],
      ['unknown query parameter', { method: 'GET', path: '/cloudhub/api/applications/domains/aag-3f1c', headers: BEARER, query: { region: 'us' } }, /unknown query parameter 'region'/],
      ['unknown path', { method: 'GET', path: '/cloudhub/api/v3/applications/aag-3f1c', headers: BEARER }, /no such path/],
    ],
  },
  {
    folder: 'heroku platform-api',
    api: 'heroku',
    good: {
      method: 'POST',
      path: `/addons/${ADDON}/webhooks`,
      headers: HEROKU,
      contentType: JSON_CT,
      body: { include: ['api:app', 'api:domain'], level: 'notify', url: `https://aag.example.com/heroku/webhooks/${ADDON}`, authorization: 'Bearer shared', secret: 'hmac-key' },
    },
    bad: [
      ['misspelt field', { method: 'POST', path: `/addons/${ADDON}/webhooks`, headers: HEROKU, contentType: JSON_CT, body: { include: ['api:app'], level: 'notify', url: 'https://a.example.com/h', secrett: 'k' } }, /must NOT have property 'secrett'/],
      ['missing field', { method: 'POST', path: `/addons/${ADDON}/webhooks`, headers: HEROKU, contentType: JSON_CT, body: { include: ['api:app'], level: 'notify' } }, /must have required property 'url'/],
      ['wrong enum', { method: 'POST', path: `/addons/${ADDON}/webhooks`, headers: HEROKU, contentType: JSON_CT, body: { include: ['api:app'], level: 'loud', url: 'https://a.example.com/h' } }, /body\.level: must be one of "notify", "sync"/],
      ['wrong type', { method: 'PATCH', path: `/addons/${ADDON}/config`, headers: HEROKU, contentType: JSON_CT, body: { config: { ANYPOINT_API_GATEWAY_URL: 'https://x' } } }, /body\.config: must be array/],
      ['missing header', { method: 'GET', path: `/addons/${ADDON}`, headers: BEARER }, /header: missing required header 'Accept'/],
      ['wrong header', { method: 'GET', path: `/addons/${ADDON}`, headers: { ...BEARER, Accept: 'application/json' } }, /header 'Accept': must match pattern/],
      ['query not in the spec', { method: 'GET', path: `/apps/acme/domains`, headers: HEROKU, query: { kind: 'heroku' } }, /unknown query parameter 'kind'/],
      ['path parameter', { method: 'GET', path: '/apps/Acme_App/domains', headers: HEROKU }, /path parameter 'app_identity'/],
      ['unknown path', { method: 'POST', path: `/addons/${ADDON}/actions/suspend`, headers: HEROKU }, /no such path in the heroku specs/],
    ],
  },
  {
    folder: 'heroku oauth (override)',
    api: 'heroku',
    good: { method: 'POST', path: '/oauth/token', contentType: 'application/x-www-form-urlencoded', body: { grant_type: 'refresh_token', refresh_token: 'r', client_secret: 's' } },
    bad: [
      ['misspelt field', { method: 'POST', path: '/oauth/token', contentType: 'application/x-www-form-urlencoded', body: { grant_type: 'refresh_token', refresh_token: 'r', client_secret: 's', clientSecret: 's' } }, /must NOT have property 'clientSecret'/],
      ['missing field', { method: 'POST', path: '/oauth/token', contentType: 'application/x-www-form-urlencoded', body: { grant_type: 'authorization_code', code: 'c' } }, /must have required property 'client_secret'/],
      ['wrong enum', { method: 'POST', path: '/oauth/token', contentType: 'application/x-www-form-urlencoded', body: { grant_type: 'client_credentials', client_secret: 's' } }, /body\.grant_type: must be one of "authorization_code", "refresh_token"/],
      ['json instead of a form', { method: 'POST', path: '/oauth/token', contentType: JSON_CT, body: { grant_type: 'refresh_token', refresh_token: 'r', client_secret: 's' } }, /content-type: 'application\/json' is not accepted/],
    ],
  },
];

describe.each(CASES)('$folder', ({ api, good, bad }) => {
  it('a correct request: no violation', () => {
    expect(messages(api, good)).toEqual([]);
  });

  it.each(bad)('%s: a violation with a clear message', (_label, req, pattern) => {
    const found = messages(api, req);
    expect(found.length).toBeGreaterThan(0);
    for (const m of found) expect(m).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/\S* /);
    expect(found.some((m) => pattern.test(m))).toBe(true);
  });
});

describe('more request rules', () => {
  it('a Mule 4 CloudHub 2.0 instance and nullable fields pass; null where the spec has no nullable does not', () => {
    const mule4 = {
      spec: { groupId: ORG, assetId: 'aag-3f1c', version: '1.0.0' },
      instanceLabel: null,
      technology: 'mule4',
      endpoint: {
        type: 'http', uri: 'https://acme-1a2b3c4d5e6f.herokuapp.com', proxyUri: 'http://0.0.0.0:8081/', isCloudHub: true, deploymentType: 'CH2',
        muleVersion4OrAbove: true, referencesUserDomain: false, responseTimeout: null, validation: null, proxyTemplate: { assetVersion: '2.2.9' },
      },
    };
    expect(messages('anypoint', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: mule4 })).toEqual([]);
    expect(messages('anypoint', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...mule4, technology: null } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/body\.technology: must be string \(got null\)/)]),
    );
  });

  it('query strings are coerced as HTTP sends them; repeated keys make arrays', () => {
    expect(messages('anypoint', { method: 'GET', path: `${APIM}?limit=5&offset=0&ascending=false&sort=name`, headers: BEARER })).toEqual([]);
    expect(messages('anypoint', { method: 'GET', path: `/exchange/api/v2/organizations/${ORG}/settings`, headers: BEARER, query: 'settings=deletionSettings' })).toEqual([]);
    expect(messages('anypoint', { method: 'GET', path: `/exchange/api/v2/organizations/${ORG}/settings`, headers: BEARER })).toEqual([
      expect.stringMatching(/missing required query parameter 'settings'/),
    ]);
  });

  it('header names are case-insensitive', () => {
    expect(messages('anypoint', { method: 'GET', path: '/cloudhub/api/v2/applications/aag-3f1c', headers: { authorization: 'bearer t', 'x-anypnt-env-id': ENV } })).toEqual([]);
  });

  it('a required body that is absent is reported; an empty object on a bodiless call is not', () => {
    expect(messages('anypoint', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT })).toEqual([expect.stringMatching(/body: required, but there is none/)]);
    expect(messages('heroku', { method: 'POST', path: `/addons/${ADDON}/actions/provision`, headers: HEROKU, body: {} })).toEqual([]);
  });

  it('violations carry api, direction, operation and where', () => {
    const { operation, violations } = validateRequest('anypoint', { method: 'POST', path: APIM, headers: BEARER, contentType: JSON_CT, body: { ...omniInstance, technology: 'omni' } });
    expect(operation?.key).toBe('POST /apimanager/api/v1/organizations/{organizationId}/environments/{environmentId}/apis');
    expect(violations).toEqual([
      expect.objectContaining({ api: 'anypoint', direction: 'request', operation: operation?.key, where: 'body', pointer: '/technology' }),
    ]);
  });
});

describe('matchOperation', () => {
  it('a literal segment wins over a parameter', () => {
    expect(matchOperation('anypoint', 'GET', `/exchange/api/v2/assets/${ORG}/aag-3f1c/1.0.0`).template).toBe('/exchange/api/v2/assets/{groupId}/{assetId}/{version}');
    expect(matchOperation('anypoint', 'PUT', `/exchange/api/v2/assets/${ORG}/aag-3f1c/icon`).template).toBe('/exchange/api/v2/assets/{groupId}/{assetId}/icon');
    expect(matchOperation('anypoint', 'GET', '/cloudhub/api/applications/domains/aag').template).toBe('/cloudhub/api/applications/domains/{domain}');
  });

  it('gives the operation, decoded parameters and the methods of the template', () => {
    const m = matchOperation('anypoint', 'get', `${APIM}/42/policies/7`);
    expect(m.operation?.operationId).toBe('getOrganizationsEnvironmentsApisPolicies');
    expect(m.params).toEqual({ organizationId: ORG, environmentId: ENV, environmentApiId: '42', policyId: '7' });
    expect(m.methods).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(matchOperation('heroku', 'GET', `/addons/${ADDON}/webhooks/${ADDON}`).params).toEqual({ add_on_identity: ADDON, app_webhook_identity: ADDON });
    expect(matchOperation('anypoint', 'GET', '/nowhere').operation).toBeUndefined();
  });
});

describe('validateResponse', () => {
  const getApi = `GET /apimanager/api/v1/organizations/{organizationId}/environments/{environmentId}/apis/{environmentApiId}`;

  it('checks the body of a documented status', () => {
    expect(validateResponse('anypoint', getApi, { status: 200, contentType: 'application/json; charset=utf-8', body: { id: 42, instanceLabel: 'x', deprecated: false } })).toEqual([]);
    expect(validateResponse('anypoint', getApi, { status: 200, contentType: 'application/json', body: { id: 42, deprecated: 'no' } })).toEqual([
      expect.objectContaining({ where: 'body', message: `${getApi} → 200 body.deprecated: must be boolean (got string)` }),
    ]);
  });

  it('an undocumented status is a violation unless it is a generic error', () => {
    expect(validateResponse('anypoint', getApi, { status: 201, body: { id: 42 } })).toEqual([
      expect.objectContaining({ where: 'status', message: `${getApi} → 201 status: not documented (the spec has 200)` }),
    ]);
    for (const status of GENERIC_ERROR_STATUSES) expect(validateResponse('anypoint', getApi, { status, body: { message: 'x' } })).toEqual([]);
  });

  it('falls back to default / NXX', () => {
    const gw = `DELETE /gatewaymanager/api/v1/organizations/{organizationId}/environments/{environmentId}/gateways/{gatewayId}`;
    expect(validateResponse('anypoint', gw, { status: 409, contentType: 'application/json', body: { status: 409, message: 'in use' } })).toEqual([]);
    expect(validateResponse('anypoint', gw, { status: 409, contentType: 'application/json', body: { status: 'conflict' } })).toEqual([expect.objectContaining({ where: 'body' })]);
    const addon = 'GET /addons/{add_on_identity}';
    expect(validateResponse('heroku', addon, { status: 200, body: { id: ADDON } })).toEqual(expect.arrayContaining([expect.objectContaining({ message: `${addon} → 200 body: must have required property 'app'` })]));
  });

  it('204 carries no body; a documented body must be there', () => {
    expect(validateResponse('anypoint', `DELETE /apimanager/api/v1/organizations/{organizationId}/environments/{environmentId}/apis/{environmentApiId}`, { status: 204, body: { ok: true } })).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/→ 204 body: must be empty$/) }),
    ]);
    expect(validateResponse('anypoint', getApi, { status: 200 })).toEqual([expect.objectContaining({ message: expect.stringMatching(/body: missing/) })]);
  });

  it('an undocumented content type is a violation', () => {
    expect(validateResponse('anypoint', getApi, { status: 200, contentType: 'text/html', body: '<html/>' })).toEqual([
      expect.objectContaining({ where: 'content-type' }),
    ]);
  });

  it('AMC readiness fields are typed: a misspelt status is caught', () => {
    const amc = 'GET /amc/application-manager/api/v2/organizations/{organizationId}/environments/{environmentId}/deployments/{deploymentId}';
    const ok = { id: 'd1', name: 'aag-3f1c', status: 'APPLIED', application: { status: 'RUNNING' }, target: { provider: 'MC', targetId: 't', deploymentSettings: { http: { inbound: { publicUrl: 'https://aag-3f1c-x.usa-e2.cloudhub.io' } } } } };
    expect(validateResponse('anypoint', amc, { status: 200, contentType: 'application/json', body: ok })).toEqual([]);
    expect(validateResponse('anypoint', amc, { status: 200, contentType: 'application/json', body: { ...ok, application: { status: 'STARTED' } } })).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/body\.application\.status: must be one of "RUNNING", "NOT_RUNNING", "SCALING"/) }),
    ]);
  });
});

describe('ContractValidator instances', () => {
  it('can run on an extract given in memory', () => {
    const shared = new ContractValidator();
    const copy = new ContractValidator({ anypoint: shared.extract('anypoint') });
    expect(copy.operation('anypoint', 'GET /accounts/api/me')?.spec).toBe('access-management');
  });
});
