import request from 'supertest';
import type { AddonRecord } from '../../src/domain/addon';
import { renderDashboard } from '../../src/http/views';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * The life of an add-on against the stand-ins, on each target: provision (config vars, the proxy
 * serves with the plan's limit), SSO, a plan change within the target (the policy rewritten) and
 * across targets (moved, the old placement removed), deprovision (nothing left but the pool's
 * gateway).
 */

type Upstream = Awaited<ReturnType<typeof startUpstream>>;

function countFor(stack: Stack, uuid: string) {
  const inv = stack.anypoint.inspect();
  const hex = uuid.replace(/-/g, '');
  const apis = inv.apis.filter((a) => String(a.assetId).includes(uuid));
  const ids = new Set(apis.map((a) => a.id));
  return {
    assets: inv.assets.filter((a) => a.assetId.includes(uuid)).length,
    apis: apis.length,
    policies: inv.policies.filter((p) => ids.has(p.apiId)).length,
    applications: inv.applications.filter((a) => a.name.includes(hex)).length,
  };
}

async function limitedOf(proxyUrl: string, calls: number): Promise<number> {
  let limited = 0;
  for (let i = 0; i < calls; i++) if ((await callGateway(proxyUrl)).status === 429) limited++;
  return limited;
}

describe.each([
  ['omni', { assets: 1, apis: 1, policies: 3, applications: 0 }],
  ['ch2', { assets: 1, apis: 1, policies: 3, applications: 1 }],
] as const)('on the %s target', (target, made) => {
  let stack: Stack;
  let upstream: Upstream;
  beforeAll(async () => {
    stack = await startStack(`e2e-life-${target}`, { config: { ANYPOINT_DEFAULT_TARGET: target } });
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
  });

  it('provision → config vars → the proxy serves with the plan limit → plan change → deprovision leaves nothing', async () => {
    const { uuid, status } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
    expect(status).toBe(202);
    const rec = await stack.waitForState(uuid, 'provisioned');
    const p = rec.placement!;
    expect(p.target).toBe(target);

    // Heroku got the config vars and exactly one provision action
    const addon = stack.heroku.addon(uuid)!;
    expect(addon.state).toBe('provisioned');
    expect(addon.config.ANYPOINT_API_GATEWAY_URL).toBe(p.proxyUrl);
    expect(addon.config.ANYPOINT_API_GATEWAY_API_ID).toBe(String(p.apiId));
    // the origin secret: a config var for the app, never on the record in the clear
    expect(addon.config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(rec)).not.toContain(addon.config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(1);
    expect(countFor(stack, uuid)).toEqual(made);
    if (target === 'omni') {
      expect(p.proxyUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${uuid.replace(/-/g, '')}/$`));
      expect(stack.anypoint.inspect().gateways.map((g) => g.name)).toEqual(['aag-us-1']);
    } else {
      expect(p.proxyUrl).toMatch(new RegExp(`^http://aag-${uuid.replace(/-/g, '')}\\.localhost:\\d+/$`));
    }

    // the proxy forwards to the upstream and enforces 60/min
    const first = await callGateway(p.proxyUrl!, '/hello?x=1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ ok: true, path: '/hello?x=1' });
    // the upstream sees the origin secret on the gateway's call
    expect(upstream.secrets().at(-1)).toBe(addon.config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET);
    expect(await limitedOf(p.proxyUrl!, 65)).toBeGreaterThanOrEqual(5);

    // plan change within the target: the policy is rewritten in place
    const put = await request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', stack.auth).send({ plan: 'basic' });
    expect(put.status).toBe(200);
    await stack.waitFor(uuid, (r) => r.placement?.policyPlan === 'basic');
    const policies = stack.anypoint.inspect().policies.filter((x) => String(x.apiId) === String(p.apiId) && x.assetId === 'rate-limiting');
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0].configurationData)).toContain('1000');
    expect((await callGateway(p.proxyUrl!)).status).toBe(200);

    // deprovision: 204 at once, then nothing left in Anypoint, tombstone kept
    const del = await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth);
    expect(del.status).toBe(204);
    const gone = await stack.waitForState(uuid, 'deprovisioned');
    expect(countFor(stack, uuid)).toEqual({ assets: 0, apis: 0, policies: 0, applications: 0 });
    expect(stack.anypoint.inspect().softDeletedAssets.filter((a) => a.assetId.includes(uuid))).toHaveLength(0);
    expect(gone.herokuTokensSealed).toBeUndefined();
    // a shared gateway stays: it is the pool's (the region's first is never removed)
    if (target === 'omni') expect(stack.anypoint.inspect().gateways).toHaveLength(1);
    const again = await request(stack.app).post('/heroku/resources').set('Authorization', stack.auth).send({ uuid, plan: 'test', oauth_grant: { code: 'a-late-repeat' } });
    expect(again.status).toBe(410);
  });

  it("finds the app's herokuapp.com host when no --upstream is given (not the custom domain listed first)", async () => {
    const { uuid } = await stack.provision({ plan: 'basic', appName: 'acme-shop' });
    const rec = await stack.waitForState(uuid, 'provisioned');
    expect(rec.resources.upstreamUrl).toMatch(/^https:\/\/acme-shop-[0-9a-f]{12}\.herokuapp\.com$/);
    expect(rec.resources.herokuAppName).toBe('acme-shop');
    const api = stack.anypoint.inspect().apis.find((a) => String(a.id) === String(rec.placement?.apiId));
    expect(JSON.stringify(api)).toContain(rec.resources.upstreamUrl);
  });
});

describe('plan changes across targets (basic on omni, premium on ch2)', () => {
  let stack: Stack;
  let upstream: Upstream;
  beforeAll(async () => {
    stack = await startStack('e2e-move', { config: { PLAN_TARGETS: 'premium:ch2' } });
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await stack.close();
    await upstream.close();
  });

  const put = (uuid: string, plan: string) => request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', stack.auth).send({ plan });

  it('omni → ch2 → omni: each move serves the new URL before the old one goes; the config var follows; nothing is left over', async () => {
    const { uuid } = await stack.provision({ plan: 'basic', options: { upstream: upstream.url } });
    const first = await stack.waitForState(uuid, 'provisioned');
    expect(first.placement?.target).toBe('omni');
    const omniUrl = first.placement!.proxyUrl!;

    const res = await put(uuid, 'premium');
    expect(res.status).toBe(200);
    expect(res.body.message).toMatch(/moves to its new gateway/);
    // while it moves, the old URL keeps serving
    const during = await stack.waitFor(uuid, (r) => !!r.next);
    expect(during.placement?.target).toBe('omni');
    expect((await callGateway(omniUrl)).status).toBe(200);

    const moved = await stack.waitFor(uuid, (r: AddonRecord) => r.placement?.target === 'ch2' && !r.retired && !r.next);
    const ch2Url = moved.placement!.proxyUrl!;
    expect(ch2Url).not.toBe(omniUrl);
    expect(stack.heroku.addon(uuid)!.config.ANYPOINT_API_GATEWAY_URL).toBe(ch2Url);
    expect((await callGateway(ch2Url)).headers['x-ratelimit-limit']).toBe('10000');
    expect((await callGateway(omniUrl)).status).toBe(404);
    expect(countFor(stack, uuid)).toEqual({ assets: 1, apis: 1, policies: 3, applications: 1 });

    expect((await put(uuid, 'basic')).status).toBe(200);
    const back = await stack.waitFor(uuid, (r) => r.placement?.target === 'omni' && !r.retired && !r.next);
    expect(stack.heroku.addon(uuid)!.config.ANYPOINT_API_GATEWAY_URL).toBe(back.placement!.proxyUrl);
    expect((await callGateway(back.placement!.proxyUrl!)).headers['x-ratelimit-limit']).toBe('1000');
    expect((await callGateway(ch2Url)).status).toBe(404);
    expect(countFor(stack, uuid)).toEqual({ assets: 1, apis: 1, policies: 3, applications: 0 });
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(1);
  });

  it('a move that fails halfway leaves the add-on on its old target, working, with the reason on the record', async () => {
    const { uuid } = await stack.provision({ plan: 'basic', options: { upstream: upstream.url } });
    const rec = await stack.waitForState(uuid, 'provisioned');
    stack.anypoint.configure({ failDeployments: true });
    try {
      expect((await put(uuid, 'premium')).status).toBe(200);
      const after = await stack.waitFor(uuid, (r) => r.resources.planChangeFailedFor === 'premium' && !r.next);
      expect(after.state).toBe('provisioned');
      expect(after.placement?.target).toBe('omni');
      expect(after.timeline.some((e) => e.workflow === 'move' && e.status === 'failed')).toBe(true);
      expect(stack.heroku.addon(uuid)!.config.ANYPOINT_API_GATEWAY_URL).toBe(rec.placement!.proxyUrl);
      expect((await callGateway(rec.placement!.proxyUrl!)).status).toBe(200);
      expect(countFor(stack, uuid)).toEqual({ assets: 1, apis: 1, policies: 3, applications: 0 });
      // the dashboard says the change did not go through, what still runs, and why
      const page = renderDashboard(after, { anypointBaseUrl: 'https://anypoint.test', csrf: 'x' });
      const problem = /data-testid="plan-change-problem">([^<]*)</.exec(page)?.[1] ?? '';
      expect(problem).toMatch(/^The change to plan premium did not go through; the gateway keeps running with the limits of plan basic\. /);
      expect(problem).toMatch(/failed: .*The add-on keeps running where it was, with the rate limit it had/);
    } finally {
      stack.anypoint.configure({ failDeployments: false });
    }
  });
});

describe('two add-ons on one shared gateway', () => {
  let stack: Stack;
  let a: Upstream;
  let b: Upstream;
  beforeAll(async () => {
    stack = await startStack('e2e-shared');
    [a, b] = [await startUpstream(), await startUpstream()];
  });
  afterAll(async () => {
    await stack.close();
    await a.close();
    await b.close();
  });

  it('cannot reach or affect each other: their own base paths, limits and teardowns', async () => {
    const one = await stack.provision({ plan: 'test', options: { upstream: a.url } });
    const two = await stack.provision({ plan: 'basic', options: { upstream: b.url } });
    const [r1, r2] = [await stack.waitForState(one.uuid, 'provisioned'), await stack.waitForState(two.uuid, 'provisioned')];
    expect(r1.placement?.gatewayId).toBe(r2.placement?.gatewayId);
    expect(stack.anypoint.inspect().gateways).toHaveLength(1);
    const [u1, u2] = [r1.placement!.proxyUrl!, r2.placement!.proxyUrl!];
    expect(new URL(u1).origin).toBe(new URL(u2).origin);

    // each base path reaches its own app only
    await callGateway(u1, '/x');
    await callGateway(u2, '/y');
    expect([a.hits(), b.hits()]).toEqual([1, 1]);
    // a path outside both base paths reaches neither
    expect((await callGateway(new URL(u1).origin, `/${'0'.repeat(32)}/x`)).status).toBe(404);

    // exhausting one's limit (60/min) leaves the other's (1,000/min) alone
    expect(await limitedOf(u1, 65)).toBeGreaterThanOrEqual(5);
    const other = await callGateway(u2, '/still');
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-limit']).toBe('1000');

    // removing one leaves the other serving, and the shared gateway in place
    expect((await request(stack.app).delete(`/heroku/resources/${one.uuid}`).set('Authorization', stack.auth)).status).toBe(204);
    await stack.waitForState(one.uuid, 'deprovisioned');
    expect((await callGateway(u1)).status).toBe(404);
    expect((await callGateway(u2, '/after')).status).toBe(200);
    expect(stack.anypoint.inspect().gateways).toHaveLength(1);
  });
});
