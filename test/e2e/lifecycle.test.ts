import request from 'supertest';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  stack = await startStack('e2e-life');
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack.close();
  await upstream.close();
});

function inventory() {
  return stack.anypoint.inspect();
}

function countFor(uuid: string) {
  const inv = inventory();
  const hex = uuid.replace(/-/g, '');
  return {
    assets: inv.assets.filter((a) => a.assetId.includes(uuid)).length,
    apis: inv.apis.filter((a) => String(a.assetId).includes(uuid)).length,
    applications: inv.applications.filter((a) => a.domain.includes(hex)).length,
  };
}

describe('the life of one add-on against the stand-ins', () => {
  it('provision → config vars → proxy serves with the plan limit → plan change → deprovision leaves nothing', async () => {
    const { uuid, status } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
    expect(status).toBe(202);
    const rec = await stack.waitForState(uuid, 'provisioned');

    // Heroku got the config vars and exactly one provision action
    const addon = stack.heroku.addon(uuid)!;
    expect(addon.state).toBe('provisioned');
    expect(addon.config.ANYPOINT_API_GATEWAY_URL).toBe(rec.resources.proxyUrl);
    expect(addon.config.ANYPOINT_API_GATEWAY_API_ID).toBe(String(rec.resources.apiId));
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(1);
    expect(countFor(uuid)).toEqual({ assets: 1, apis: 1, applications: 1 });

    // the proxy forwards to the upstream and enforces 60/min
    const first = await callGateway(rec.resources.proxyUrl!, '/hello?x=1');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ ok: true, path: '/hello?x=1' });
    let limited = 0;
    for (let i = 0; i < 65; i++) if ((await callGateway(rec.resources.proxyUrl!)).status === 429) limited++;
    expect(limited).toBeGreaterThanOrEqual(5);

    // plan change: the gateway enforces the new limit
    const put = await request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', stack.auth).send({ plan: 'basic' });
    expect(put.status).toBe(200);
    await stack.waitFor(uuid, (r) => r.resources.policyPlan === 'basic');
    const policies = inventory().policies.filter((p) => String(p.apiId) === String(rec.resources.apiId));
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0].configurationData)).toContain('1000');
    const after = await callGateway(rec.resources.proxyUrl!);
    expect(after.status).toBe(200);

    // deprovision: 204 at once, then nothing left in Anypoint, tombstone kept
    const del = await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth);
    expect(del.status).toBe(204);
    const gone = await stack.waitForState(uuid, 'deprovisioned');
    expect(countFor(uuid)).toEqual({ assets: 0, apis: 0, applications: 0 });
    expect(inventory().softDeletedAssets.filter((a) => a.assetId.includes(uuid))).toHaveLength(0);
    expect(gone.herokuTokensSealed).toBeUndefined();
    const again = await request(stack.app).post('/heroku/resources').set('Authorization', stack.auth).send({ uuid, plan: 'test', oauth_grant: { code: 'a-late-repeat' } });
    expect(again.status).toBe(410);
  });

  it("finds the app's herokuapp.com host when no --upstream is given (not the custom domain listed first)", async () => {
    const { uuid } = await stack.provision({ plan: 'basic', appName: 'acme-shop' });
    const rec = await stack.waitForState(uuid, 'provisioned');
    expect(rec.resources.upstreamUrl).toMatch(/^https:\/\/acme-shop-[0-9a-f]{12}\.herokuapp\.com$/);
    expect(rec.resources.herokuAppName).toBe('acme-shop');
    const api = inventory().apis.find((a) => String(a.id) === String(rec.resources.apiId));
    expect(JSON.stringify(api)).toContain(rec.resources.upstreamUrl);
  });
});
