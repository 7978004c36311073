/**
 * Anypoint stand-in: the boundary policies (header-injection, client-id-enforcement, ip-allowlist,
 * cors) on both technologies — found in the template lookups, their configurations checked (400),
 * and enforced at the gateway once live, changed and removed in place.
 */
import { APIS, APPS, client, gw, liveApi, policy, sleep, startKit, type Client, type Kit, type LiveApi, type Target } from './boundary-kit';
import request from 'supertest';
import { MULESOFT_POLICY_GROUP_ID } from '@aag/standins';

let kit: Kit;
let c: Client;

beforeAll(async () => {
  kit = await startKit();
});
afterAll(() => kit.close());
beforeEach(async () => {
  kit.sb.reset();
  kit.seen.length = 0;
  c = await client(kit);
});

const TARGETS: Target[] = ['ch2', 'omni'];
const SECRET_HEADER = 'x-anypoint-gateway-secret';
const BOUNDARY = ['header-injection', 'header-removal', 'client-id-enforcement', 'ip-allowlist', 'cors'];

async function apply(api: LiveApi, assetId: string, cfg: Record<string, unknown>): Promise<number> {
  return (await c.post(`${APIS}/${api.apiId}/policies`).send(policy(assetId, cfg)).expect(201)).body.id as number;
}

async function keyOn(api: LiveApi, name: string): Promise<{ appId: number; contractId: number; clientId: string; clientSecret: string }> {
  const a = (await c.post(APPS).send({ name }).expect(201)).body as { id: number; clientId: string; clientSecret: string };
  const k = (await c.post(`${APIS}/${api.apiId}/contracts`).send({ applicationId: a.id }).expect(201)).body as { id: number };
  return { appId: a.id, contractId: k.id, clientId: a.clientId, clientSecret: a.clientSecret };
}

describe('policy templates', () => {
  it.each(TARGETS)('lists the four templates for an instance on %s, each with an implementation of its technology', async (target) => {
    const api = await liveApi(kit, c, `templates-${target}`, target);
    const body = (await c.get(`/apimanager/api/v1/organizations/${api.asset.groupId}/policy-templates?apiInstanceId=${api.apiId}`).expect(200)).body as {
      data: { groupId: string; assetId: string; assetVersion: string }[];
    };
    const technology = target === 'ch2' ? 'mule4' : 'flexGateway';
    for (const assetId of BOUNDARY) {
      const t = body.data.find((x) => x.assetId === assetId);
      expect(t).toMatchObject({ groupId: MULESOFT_POLICY_GROUP_ID });
      const impls = (await c.get(`/exchange/api/v2/assets/${MULESOFT_POLICY_GROUP_ID}/${assetId}/${t!.assetVersion}/policies/implementations`).expect(200)).body as { technology: string }[];
      expect(impls.map((i) => i.technology)).toContain(technology);
    }
  });
});

describe('configuration checks', () => {
  const BAD: [string, Record<string, unknown>, RegExp][] = [
    ['header-injection', { inboundHeaders: [{ key: 'X-A' }] }, /inboundHeaders\[0\]\.value/],
    ['header-injection', { inboundHeaders: [{ key: 'bad header', value: 'v' }] }, /inboundHeaders\[0\]\.key/],
    ['header-injection', { inboundHeaders: [{ key: 'X-A', value: 'a\r\nX-B: b' }] }, /CR, LF/],
    ['header-injection', { headers: [] }, /unknown field "headers"/],
    ['header-removal', {}, /cannot both be empty/],
    ['header-removal', { inboundHeaders: ['x-(unclosed'] }, /inboundHeaders\[0\]/],
    ['client-id-enforcement', { credentialsOriginHasHttpBasicAuthenticationHeader: 'cookie' }, /credentialsOriginHasHttpBasicAuthenticationHeader/],
    ['client-id-enforcement', { credentialsOriginHasHttpBasicAuthenticationHeader: 'customExpression', clientIdExpression: 'client_id' }, /clientIdExpression/],
    ['ip-allowlist', { ips: [] }, /ips must not be empty/],
    ['ip-allowlist', { ips: ['10.0.0.0/33'] }, /ips\[0\]/],
    ['ip-allowlist', { ips: ['not-an-ip'], ipExpression: "#[attributes.headers['x-forwarded-for']]" }, /ips\[0\]/],
    ['ip-allowlist', { ips: ['10.0.0.1'], ipExpression: 42 }, /ipExpression/],
    ['cors', { publicResource: false, originGroups: [] }, /at least one group/],
    ['cors', { publicResource: false, originGroups: [{ origins: ['https://a.example/path'] }] }, /not an origin/],
    ['cors', { publicResource: 'yes' }, /publicResource must be a boolean/],
    ['cors', { publicResource: false, originGroups: [{ origins: ['https://a.example'], allowedMethods: [{ methodName: 'FETCH', isAllowed: true }] }] }, /allowedMethods\[0\]/],
    ['cors', { publicResource: false, originGroups: [{ origins: ['https://a.example'], accessControlMaxAge: -1 }] }, /accessControlMaxAge/],
  ];

  it.each(BAD)('%s %j → 400 naming the field, nothing applied', async (assetId, cfg, message) => {
    const api = await liveApi(kit, c, `bad-${kit.sb.inspect().apis.length}-${Date.now() % 100000}`, 'omni');
    const res = await c.post(`${APIS}/${api.apiId}/policies`).send(policy(assetId, cfg)).expect(400);
    expect(res.body.message).toMatch(message);
    expect(kit.sb.inspect().policies).toHaveLength(0);
  });

  it('a bad PATCH is refused and the policy keeps working as before', async () => {
    const api = await liveApi(kit, c, 'bad-patch', 'ch2');
    const id = await apply(api, 'header-injection', { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 's1' }] });
    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { inboundHeaders: 'all' } }).expect(400);
    expect((await gw(api.proxyUrl, '/x')).status).toBe(200);
    expect(kit.seen.at(-1)!.headers[SECRET_HEADER]).toBe('s1');
  });
});

describe.each(TARGETS)('at the gateway (%s)', (target) => {
  it('header injection: the upstream sees the header on every call; a change and a removal take effect in place', async () => {
    const api = await liveApi(kit, c, `inject-${target}`, target);
    const id = await apply(api, 'header-injection', {
      inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'first-secret' }],
      outboundHeaders: [{ key: 'X-Served-By', value: 'gateway' }],
    });
    for (let i = 0; i < 3; i++) {
      const r = await gw(api.proxyUrl, `/call-${i}`);
      expect(r.status).toBe(200);
      expect(r.headers['x-served-by']).toBe('gateway');
    }
    expect(kit.seen.map((s) => s.headers[SECRET_HEADER])).toEqual(['first-secret', 'first-secret', 'first-secret']);

    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'second-secret' }] } }).expect(200);
    await gw(api.proxyUrl, '/after-patch');
    expect(kit.seen.at(-1)!.headers[SECRET_HEADER]).toBe('second-secret');

    await c.del(`${APIS}/${api.apiId}/policies/${id}`).expect(204);
    const r = await gw(api.proxyUrl, '/after-delete');
    expect(r.headers['x-served-by']).toBeUndefined();
    expect(kit.seen.at(-1)!.headers[SECRET_HEADER]).toBeUndefined();
  });

  it("header injection adds beside a caller's own copy; header removal (before injection) drops the copy", async () => {
    const api = await liveApi(kit, c, `forged-${target}`, target);
    await apply(api, 'header-injection', { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'real' }] });
    await gw(api.proxyUrl, '/', { headers: { 'X-Anypoint-Gateway-Secret': 'forged' } });
    expect(kit.seen.at(-1)!.headers[SECRET_HEADER]).toBe('forged, real');
    const id = (await c.post(`${APIS}/${api.apiId}/policies`).send(policy('header-removal', { inboundHeaders: ['X-Anypoint-Gateway-Secret'], outboundHeaders: ['x-upstream-.*'] }, '1.1.1')).expect(201)).body.id;
    await gw(api.proxyUrl, '/', { headers: { 'X-Anypoint-Gateway-Secret': 'forged' } });
    expect(kit.seen.at(-1)!.headers[SECRET_HEADER]).toBe('real');
    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { inboundHeaders: [], outboundHeaders: [] } }).expect(400);
  });

  it('client-ID enforcement: 401 without a key or with a wrong secret, served with a contracted key, 401 once the contract is deleted', async () => {
    const api = await liveApi(kit, c, `cid-${target}`, target);
    const key = await keyOn(api, `key-${target}`);
    await apply(api, 'client-id-enforcement', {
      credentialsOriginHasHttpBasicAuthenticationHeader: 'customExpression',
      clientIdExpression: "#[attributes.headers['client_id']]",
      clientSecretExpression: "#[attributes.headers['client_secret']]",
    });
    expect((await gw(api.proxyUrl, '/')).status).toBe(401);
    expect((await gw(api.proxyUrl, '/', { headers: { client_id: key.clientId, client_secret: 'wrong' } })).status).toBe(401);
    const ok = await gw(api.proxyUrl, '/', { headers: { client_id: key.clientId, client_secret: key.clientSecret } });
    expect(ok.status).toBe(200);
    expect(kit.seen).toHaveLength(1);

    // a key of another API does not open this one
    const other = await liveApi(kit, c, `cid-other-${target}`, target);
    const foreign = await keyOn(other, `foreign-${target}`);
    expect((await gw(api.proxyUrl, '/', { headers: { client_id: foreign.clientId, client_secret: foreign.clientSecret } })).status).toBe(401);

    await c.del(`${APIS}/${api.apiId}/contracts/${key.contractId}`).expect(204);
    expect((await gw(api.proxyUrl, '/', { headers: { client_id: key.clientId, client_secret: key.clientSecret } })).status).toBe(401);
    expect(kit.seen).toHaveLength(1);
  });

  it('client-ID enforcement with HTTP Basic credentials; deleting the application revokes its key', async () => {
    const api = await liveApi(kit, c, `basic-${target}`, target);
    const key = await keyOn(api, `basic-key-${target}`);
    await apply(api, 'client-id-enforcement', { credentialsOriginHasHttpBasicAuthenticationHeader: 'httpBasicAuthenticationHeader' });
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const refused = await gw(api.proxyUrl, '/', { headers: { client_id: key.clientId, client_secret: key.clientSecret } });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await gw(api.proxyUrl, '/', { headers: basic(key.clientId, key.clientSecret) })).status).toBe(200);
    await c.del(`${APPS}/${key.appId}`).expect(204);
    expect((await gw(api.proxyUrl, '/', { headers: basic(key.clientId, key.clientSecret) })).status).toBe(401);
  });

  it('IP allowlist: the first X-Forwarded-For address (or the connection) decides; 403 otherwise; updated and removed in place', async () => {
    const api = await liveApi(kit, c, `ip-${target}`, target);
    const id = await apply(api, 'ip-allowlist', { ips: ['203.0.113.0/24', '198.51.100.7'], ipExpression: "#[attributes.headers['x-forwarded-for']]" });
    expect((await gw(api.proxyUrl, '/', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
    expect((await gw(api.proxyUrl, '/', { headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' } })).status).toBe(200);
    expect((await gw(api.proxyUrl, '/', { headers: { 'x-forwarded-for': '198.51.100.8' } })).status).toBe(403);
    // no X-Forwarded-For: the address the platform saw the call come from (here loopback)
    expect((await gw(api.proxyUrl, '/')).status).toBe(403);
    expect(kit.seen).toHaveLength(2);

    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { ips: ['127.0.0.0/8'], ipExpression: '#[attributes.remoteAddress]' } }).expect(200);
    expect((await gw(api.proxyUrl, '/', { headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(200);
    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { ips: ['10.1.0.0/16'], ipExpression: '#[attributes.remoteAddress]' } }).expect(200);
    expect((await gw(api.proxyUrl, '/')).status).toBe(403);
    await c.del(`${APIS}/${api.apiId}/policies/${id}`).expect(204);
    expect((await gw(api.proxyUrl, '/')).status).toBe(200);
  });

  it('CORS: preflights answered per origin group, allowed origins get the headers, refused ones none', async () => {
    const api = await liveApi(kit, c, `cors-${target}`, target);
    const id = await apply(api, 'cors', {
      publicResource: false,
      supportCredentials: true,
      originGroups: [
        {
          origins: ['https://shop.example'],
          accessControlMaxAge: 600,
          allowedMethods: [
            { methodName: 'GET', isAllowed: true },
            { methodName: 'POST', isAllowed: true },
            { methodName: 'DELETE', isAllowed: false },
          ],
          headers: ['X-Requested-With', 'Authorization'],
          exposedHeaders: ['X-Request-Id'],
        },
      ],
    });
    const pre = (origin: string, method: string, headers?: string) =>
      gw(api.proxyUrl, '/items', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) } });

    const ok = await pre('https://shop.example', 'POST', 'x-requested-with');
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST',
      'access-control-max-age': '600',
    });
    for (const refused of [await pre('https://evil.example', 'GET'), await pre('https://shop.example', 'DELETE'), await pre('https://shop.example', 'GET', 'x-other')]) {
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    }
    // preflights are answered by the gateway
    expect(kit.seen).toHaveLength(0);

    const actual = await gw(api.proxyUrl, '/items', { headers: { origin: 'https://shop.example' } });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(actual.headers['access-control-expose-headers']).toBe('X-Request-Id');
    const foreign = await gw(api.proxyUrl, '/items', { headers: { origin: 'https://evil.example' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();

    await c.patch(`${APIS}/${api.apiId}/policies/${id}`).send({ configurationData: { publicResource: true, originGroups: [] } }).expect(200);
    expect((await gw(api.proxyUrl, '/items', { headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBe('*');
    await c.del(`${APIS}/${api.apiId}/policies/${id}`).expect(204);
    expect((await gw(api.proxyUrl, '/items', { headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('what the platform reports of refusals', () => {
  it('counts 401 and 403 refusals and records them as BLOCKED analytics events naming the policy', async () => {
    const api = await liveApi(kit, c, 'reported', 'omni');
    await apply(api, 'client-id-enforcement', {});
    expect((await gw(api.proxyUrl, '/no-key')).status).toBe(401);
    const ip = await apply(api, 'ip-allowlist', { ips: ['192.0.2.0/24'] });
    expect((await gw(api.proxyUrl, '/far-away', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(403);
    await c.del(`${APIS}/${api.apiId}/policies/${ip}`).expect(204);
    const calls = await request(kit.url).get('/__sandbox/calls').expect(200);
    expect(calls.body.gateway).toMatchObject({ unauthorized: 1, ipRefused: 1, forwarded: 0 });
    const events = kit.sb.analytics.query(0, Date.now() + 1, 100, () => true);
    expect(events.map((e) => [e['Resource Path'], e['Status Code'], e['Request Outcome'], e['Violated Policy Name']])).toEqual([
      ['/no-key', 401, 'BLOCKED', 'Client ID Enforcement'],
      ['/far-away', 403, 'BLOCKED', 'IP Allowlist'],
    ]);
  });
});

describe('apply delays (platform propagation)', () => {
  it('a policy is enforced only policyApplyDelayMs after it is applied, and its removal likewise', async () => {
    kit.sb.configure({ policyApplyDelayMs: 250 });
    const api = await liveApi(kit, c, 'delay-policy', 'omni');
    const t0 = Date.now();
    const id = await apply(api, 'ip-allowlist', { ips: ['192.0.2.1'] });
    const early = await gw(api.proxyUrl, '/');
    if (Date.now() - t0 < 200) expect(early.status).toBe(200);
    await sleep(300);
    expect((await gw(api.proxyUrl, '/')).status).toBe(403);
    await c.del(`${APIS}/${api.apiId}/policies/${id}`).expect(204);
    const t1 = Date.now();
    const still = await gw(api.proxyUrl, '/');
    if (Date.now() - t1 < 200) expect(still.status).toBe(403);
    await sleep(300);
    expect((await gw(api.proxyUrl, '/')).status).toBe(200);
  });

  it('a deleted contract keeps working until contractApplyDelayMs has passed, then 401', async () => {
    kit.sb.configure({ contractApplyDelayMs: 300 });
    const api = await liveApi(kit, c, 'delay-contract', 'ch2');
    const key = await keyOn(api, 'delay-key');
    await apply(api, 'client-id-enforcement', {});
    const creds = { headers: { client_id: key.clientId, client_secret: key.clientSecret } };
    // a new contract is not honoured yet
    const t0 = Date.now();
    const before = await gw(api.proxyUrl, '/', creds);
    if (Date.now() - t0 < 250) expect(before.status).toBe(401);
    await sleep(350);
    expect((await gw(api.proxyUrl, '/', creds)).status).toBe(200);

    await c.del(`${APIS}/${api.apiId}/contracts/${key.contractId}`).expect(204);
    const revokedAt = Date.now();
    let refusedAfter = -1;
    while (Date.now() - revokedAt < 2000) {
      const r = await gw(api.proxyUrl, '/', creds);
      if (r.status === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      expect(r.status).toBe(200);
      await sleep(20);
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(290);
    expect(refusedAfter).toBeLessThan(1000);
  });
});
