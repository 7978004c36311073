import { createHash } from 'node:crypto';
import request from 'supertest';
import type { AddonRecord } from '../../src/domain/addon';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';
import { startOriginApp, type OriginApp } from '../helpers/origin-app';

/**
 * The gateway as a boundary, through the stand-ins on both targets: the app sees the origin secret
 * on every gateway call and refuses direct calls; a rotation under a steady stream of calls refuses
 * none; API keys (no key → 401 once enforcement is on, a created key is served, a revoked key is
 * refused within the platform's apply time); IP allowlist and CORS as configured; the console's
 * forms refuse forgeries and other add-ons' sessions; deprovision leaves no key, contract, client
 * application or policy.
 */

/** The platform's apply time in the stand-in, and what the service waits for it. */
const PLATFORM_APPLY_MS = 150;
const SETTINGS = { POLICY_APPLY_MS: '250', ORIGIN_SECRET_RESTART_MS: '300' };
const RESTART_MS = 120;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(stack: Stack, uuid: string, email = 'dev@example.com'): Promise<Session> {
  const ts = String(Math.floor(Date.now() / 1000));
  const userId = `user-${email}`;
  const res = await request(stack.app)
    .post('/sso/login')
    .type('form')
    .send({ resource_id: uuid, timestamp: ts, user_id: userId, email, user_scoped_resource_token: sha256(`${uuid}:${stack.config.SSO_SALT}:${ts}:${userId}:${email}`) });
  expect(res.status).toBe(302);
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('aag_session='))!.split(';')[0];
  const page = await request(stack.app).get(`/dashboard/${uuid}`).set('Cookie', cookie);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1];
  return { cookie, csrf };
}

function post(stack: Stack, s: Session, path: string, fields: Record<string, string>, headers: Record<string, string> = { Origin: 'http://127.0.0.1' }) {
  let req = request(stack.app).post(path).set('Cookie', s.cookie).set('Host', '127.0.0.1').type('form');
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  return req.send({ csrf: s.csrf, ...fields });
}

/** Posts a console form and waits until its change is applied (or failed). */
async function change(stack: Stack, s: Session, uuid: string, path: string, fields: Record<string, string> = {}): Promise<AddonRecord> {
  const res = await post(stack, s, path, fields);
  expect([res.status, res.text.slice(0, 300)]).toEqual([303, '']);
  return stack.waitFor(uuid, (r) => !r.boundary?.change, 15_000);
}

const dashboard = (stack: Stack, s: Session, uuid: string) => request(stack.app).get(`/dashboard/${uuid}`).set('Cookie', s.cookie);

describe.each(['omni', 'ch2'] as const)('on the %s target', (target) => {
  let stack: Stack;
  let app: OriginApp;
  let current = '';
  beforeAll(async () => {
    stack = await startStack(`e2e-boundary-${target}`, { config: { ANYPOINT_DEFAULT_TARGET: target, ...SETTINGS } });
    stack.anypoint.configure({ policyApplyDelayMs: PLATFORM_APPLY_MS, contractApplyDelayMs: PLATFORM_APPLY_MS });
    app = await startOriginApp(() => (current ? stack.heroku.addon(current)?.config : undefined), RESTART_MS);
  });
  afterAll(async () => {
    await stack.close();
    await app.close();
  });

  async function provisioned(plan = 'test'): Promise<AddonRecord> {
    const { uuid } = await stack.provision({ plan, options: { upstream: app.url } });
    current = uuid;
    return stack.waitForState(uuid, 'provisioned');
  }

  it('the upstream sees the origin secret on every gateway call and refuses a direct one; a rotation under a steady stream of calls refuses none', async () => {
    const rec = await provisioned('basic');
    const url = rec.placement!.proxyUrl!;
    const first = stack.heroku.addon(rec.uuid)!.config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET;
    await new Promise((r) => setTimeout(r, RESTART_MS + 50));
    for (let i = 0; i < 5; i++) expect((await callGateway(url)).status).toBe(200);
    expect(app.seen().slice(-5)).toEqual(Array(5).fill(first));
    // straight to the app, past the gateway: refused
    expect((await callGateway(`${app.url}/`)).status).toBe(403);
    // a caller's own secret header is dropped at the gateway: the app sees the real one only
    expect((await callGateway(url, '/', { 'X-Anypoint-Gateway-Secret': 'forged' })).status).toBe(200);
    expect(app.seen().at(-1)).toBe(first);

    // rotation under a steady stream
    const s = await signIn(stack, rec.uuid);
    const statuses: number[] = [];
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        statuses.push((await callGateway(url, '/stream')).status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const refusedBefore = app.refused();
    const after = await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/origin-secret/rotate`);
    await new Promise((r) => setTimeout(r, RESTART_MS + 100));
    streaming = false;
    await stream;
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((c) => c !== 200)).toEqual([]);
    expect(app.refused()).toBe(refusedBefore);
    const config = stack.heroku.addon(rec.uuid)!.config;
    expect(config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET).not.toBe(first);
    expect(config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS).toBeUndefined();
    expect(app.seen().at(-1)).toBe(config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET);
    expect(after.timeline.some((e) => e.workflow === 'policy' && /origin secret rotated \(by dev@example\.com\)/.test(e.message ?? ''))).toBe(true);
    expect(JSON.stringify(after)).not.toContain(config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET);
    for (const secret of [first, config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET]) expect(stack.logs.text()).not.toContain(secret);
    expect(JSON.stringify(await stack.jobs.queue('policy').getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']))).not.toContain(config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET);
  });

  it('keys: none → 401 once enforcement is on; a created key is served; a revoked key → 401 within the apply time; deprovision leaves nothing', async () => {
    const rec = await provisioned('basic');
    const url = rec.placement!.proxyUrl!;
    const s = await signIn(stack, rec.uuid);
    const made = await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'mobile app' });
    expect(made.boundary?.settings.enforcement).toBe(true);
    const key = made.boundary!.keys[0];
    expect(key).toMatchObject({ name: 'mobile app', state: 'active', createdBy: 'dev@example.com' });
    // shown once, then gone from the record
    const page = await dashboard(stack, s, rec.uuid);
    const clientId = /id="new-client-id">([^<]+)</.exec(page.text)?.[1];
    const clientSecret = /id="new-client-secret">([^<]+)</.exec(page.text)?.[1];
    expect(clientId).toBe(key.clientId);
    expect(clientSecret).toBeTruthy();
    expect((await dashboard(stack, s, rec.uuid)).text).not.toContain(clientSecret!);
    expect(JSON.stringify(await stack.store.get(rec.uuid))).not.toContain(clientSecret!);
    expect(stack.logs.text()).not.toContain(clientSecret!);

    expect((await callGateway(url)).status).toBe(401);
    expect((await callGateway(url, '/', { client_id: clientId!, client_secret: 'wrong' })).status).toBe(401);
    expect((await callGateway(url, '/', { client_id: clientId!, client_secret: clientSecret! })).status).toBe(200);

    // revoke: measured from the click to the first 401 at the gateway
    const t0 = Date.now();
    const res = await post(stack, s, `/dashboard/${rec.uuid}/keys/${key.id}/revoke`, {});
    expect(res.status).toBe(303);
    let refusedAt = 0;
    while (Date.now() - t0 < 10_000) {
      if ((await callGateway(url, '/', { client_id: clientId!, client_secret: clientSecret! })).status === 401) {
        refusedAt = Date.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(refusedAt).toBeGreaterThan(0);
    // the platform's apply time plus the web → worker hop, never the worker's own waits
    expect(refusedAt).toBeLessThan(PLATFORM_APPLY_MS + 1_500);
    process.stdout.write(`[measure] ${target}: revoked key refused ${refusedAt} ms after the revoke (platform apply time ${PLATFORM_APPLY_MS} ms)\n`);
    const revoked = await stack.waitFor(rec.uuid, (r) => !r.boundary?.change);
    expect(revoked.boundary?.keys).toEqual([]);
    expect(revoked.timeline.some((e) => /API key "mobile app" revoked \(by dev@example\.com\)/.test(e.message ?? ''))).toBe(true);

    // a second key, then the add-on goes: no key, contract, client application or policy is left
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'web' });
    const apiId = Number(rec.placement!.apiId);
    expect(stack.anypoint.inspect().contracts.filter((c) => c.apiId === apiId)).toHaveLength(1);
    expect((await request(stack.app).delete(`/heroku/resources/${rec.uuid}`).set('Authorization', stack.auth)).status).toBe(204);
    await stack.waitForState(rec.uuid, 'deprovisioned');
    const inv = stack.anypoint.inspect();
    expect(inv.clientApplications.filter((a) => a.name.includes(rec.uuid))).toEqual([]);
    expect(inv.contracts.filter((c) => c.apiId === apiId)).toEqual([]);
    expect(inv.policies.filter((p) => p.apiId === apiId)).toEqual([]);
    // the policies went with the API instance, never before it: the gateway was not left serving
    // without its origin secret or its key check while the add-on was torn down
    const log = (await request(stack.anypointUrl).get('/__sandbox/calls')).body as { calls: { method: string; path: string }[] };
    expect(log.calls.length).toBeGreaterThan(0);
    expect(log.calls.filter((c) => c.method === 'DELETE' && c.path.includes(`/apis/${apiId}/policies/`))).toEqual([]);
  });

  it('IP allowlist and CORS behave as configured; a bad entry changes nothing', async () => {
    const rec = await provisioned();
    const url = rec.placement!.proxyUrl!;
    const s = await signIn(stack, rec.uuid);
    const bad = await post(stack, s, `/dashboard/${rec.uuid}/ip-allowlist`, { cidrs: '10.0.0.0/33' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/IP allowlist not changed: &quot;10\.0\.0\.0\/33&quot;: the prefix length must be 0-32/);
    expect((await stack.store.get(rec.uuid))?.boundary?.change).toBeUndefined();

    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/ip-allowlist`, { cidrs: '10.0.0.0/8\n2001:db8::/32' });
    expect((await callGateway(url)).status).toBe(403);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/ip-allowlist`, { cidrs: '10.0.0.0/8, 127.0.0.0/8, ::1' });
    expect((await callGateway(url)).status).toBe(200);

    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/cors`, { origins: 'https://shop.example.com', methods: 'GET, POST', headers: 'X-Requested-With' });
    const allowed = await callGateway(url, '/', { Origin: 'https://shop.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const other = await callGateway(url, '/', { Origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const rec2 = await stack.store.get(rec.uuid);
    expect(rec2?.boundary?.settings).toEqual({ enforcement: false, ipAllowlist: ['10.0.0.0/8', '127.0.0.0/8', '::1/128'], cors: { origins: ['https://shop.example.com'], methods: ['GET', 'POST'], headers: ['x-requested-with'] } });
    const page = await dashboard(stack, s, rec.uuid);
    expect(page.text).toContain('CORS set for https://shop.example.com');
  });
});

describe('the console', () => {
  let stack: Stack;
  let app: Awaited<ReturnType<typeof startUpstream>>;
  beforeAll(async () => {
    stack = await startStack('e2e-console', { config: { ...SETTINGS, PLAN_TARGETS: 'premium:ch2' } });
    stack.anypoint.configure({ policyApplyDelayMs: PLATFORM_APPLY_MS, contractApplyDelayMs: PLATFORM_APPLY_MS });
    app = await startUpstream();
  });
  afterAll(async () => {
    await stack.close();
    await app.close();
  });

  async function provisioned(plan = 'test'): Promise<AddonRecord> {
    const { uuid } = await stack.provision({ plan, options: { upstream: app.url } });
    return stack.waitForState(uuid, 'provisioned');
  }

  it('refuses a form without the anti-forgery token, from another origin, without an origin, or from a session of another add-on', async () => {
    const a = await provisioned();
    const b = await provisioned();
    const sa = await signIn(stack, a.uuid);
    const path = `/dashboard/${a.uuid}/keys`;
    const noToken = await request(stack.app).post(path).set('Cookie', sa.cookie).set('Host', '127.0.0.1').set('Origin', 'http://127.0.0.1').type('form').send({ name: 'k' });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toMatch(/anti-forgery token is missing or wrong/);
    expect((await post(stack, { ...sa, csrf: 'x'.repeat(32) }, path, { name: 'k' })).status).toBe(403);
    expect((await post(stack, sa, path, { name: 'k' }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(stack, sa, path, { name: 'k' }, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post(stack, sa, path, { name: 'k' }, {})).status).toBe(403);
    // A's session, B's add-on
    const cross = await post(stack, sa, `/dashboard/${b.uuid}/keys`, { name: 'k' });
    expect(cross.status).toBe(403);
    expect(cross.text).toMatch(/belongs to another add-on/);
    // no session at all
    expect((await post(stack, { cookie: 'aag_session=nope', csrf: sa.csrf }, path, { name: 'k' })).status).toBe(401);
    for (const id of [a.uuid, b.uuid]) expect((await stack.store.get(id))?.boundary).toBeUndefined();
    // same-origin by Sec-Fetch-Site alone is a browser's form too
    expect((await post(stack, sa, path, { name: 'k' }, { 'Sec-Fetch-Site': 'same-origin' })).status).toBe(303);
  });

  it('client-id enforcement goes off on request (keys kept) and on again', async () => {
    const rec = await provisioned('basic');
    const url = rec.placement!.proxyUrl!;
    const s = await signIn(stack, rec.uuid);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'k' });
    expect((await callGateway(url)).status).toBe(401);
    const off = await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/enforcement`, { enforcement: 'off' });
    expect(off.boundary?.settings.enforcement).toBe(false);
    expect(off.boundary?.keys).toHaveLength(1);
    expect((await callGateway(url)).status).toBe(200);
    expect((await dashboard(stack, s, rec.uuid)).text).toMatch(/data-testid="policy-history"><li>[^<]*API keys no longer required \(by dev@example\.com\)/);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/enforcement`, { enforcement: 'on' });
    expect((await callGateway(url)).status).toBe(401);
  });

  it('the plan decides how many keys: the test plan allows 2', async () => {
    const rec = await provisioned('test');
    const s = await signIn(stack, rec.uuid);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'one' });
    // its secret not shown yet: a second key would take its place, so it waits for the page
    const early = await post(stack, s, `/dashboard/${rec.uuid}/keys`, { name: 'two' });
    expect(early.status).toBe(409);
    expect(early.text).toMatch(/has not been shown yet/);
    expect((await dashboard(stack, s, rec.uuid)).text).toContain('id="new-client-secret"');
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'two' });
    await dashboard(stack, s, rec.uuid);
    const third = await post(stack, s, `/dashboard/${rec.uuid}/keys`, { name: 'three' });
    expect(third.status).toBe(422);
    expect(third.text).toMatch(/the plan allows 2 API keys/);
  });

  it('a change the platform refuses leaves the previous policy working, and the page says why', async () => {
    const rec = await provisioned();
    const url = rec.placement!.proxyUrl!;
    const s = await signIn(stack, rec.uuid);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/ip-allowlist`, { cidrs: '127.0.0.1' });
    stack.anypoint.setFaults([{ path: '/policies$', method: 'POST', status: 400 }]);
    const after = await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/cors`, { origins: 'https://shop.example.com' });
    stack.anypoint.clearFaults();
    expect(after.boundary?.settings.cors).toBeNull();
    expect(after.boundary?.lastFailure?.reason).toMatch(/refused the request \(400\)/);
    const page = await dashboard(stack, s, rec.uuid);
    expect(page.text).toMatch(/data-testid="policy-failure">Not applied: CORS set for https:\/\/shop\.example\.com/);
    // the allowlist still holds, the gateway still serves
    expect((await callGateway(url)).status).toBe(200);
    expect(stack.anypoint.inspect().policies.filter((p) => String(p.apiId) === String(rec.placement!.apiId)).map((p) => p.assetId).sort()).toEqual(['header-injection', 'header-removal', 'ip-allowlist', 'rate-limiting']);
  });

  it('a move to another target carries every policy and key over before the old deployment goes', async () => {
    const rec = await provisioned('basic');
    const s = await signIn(stack, rec.uuid);
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/keys`, { name: 'partner' });
    const page = await dashboard(stack, s, rec.uuid);
    const clientId = /id="new-client-id">([^<]+)</.exec(page.text)![1];
    const clientSecret = /id="new-client-secret">([^<]+)</.exec(page.text)![1];
    await change(stack, s, rec.uuid, `/dashboard/${rec.uuid}/ip-allowlist`, { cidrs: '127.0.0.0/8' });
    expect((await request(stack.app).put(`/heroku/resources/${rec.uuid}`).set('Authorization', stack.auth).send({ plan: 'premium' })).status).toBe(200);
    const moved = await stack.waitFor(rec.uuid, (r) => r.placement?.target === 'ch2' && !r.retired && !r.next, 20_000);
    const url = moved.placement!.proxyUrl!;
    await new Promise((r) => setTimeout(r, PLATFORM_APPLY_MS));
    expect((await callGateway(url)).status).toBe(401);
    expect((await callGateway(url, '/', { client_id: clientId, client_secret: clientSecret })).status).toBe(200);
    const apiId = String(moved.placement!.apiId);
    expect(stack.anypoint.inspect().policies.filter((p) => String(p.apiId) === apiId).map((p) => p.assetId).sort()).toEqual(['client-id-enforcement', 'header-injection', 'header-removal', 'ip-allowlist', 'rate-limiting']);
    // the old instance is gone with its contract
    expect(stack.anypoint.inspect().contracts.filter((c) => String(c.apiId) === String(rec.placement!.apiId))).toEqual([]);
  });
});
