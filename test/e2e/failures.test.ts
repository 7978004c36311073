import request from 'supertest';
import { startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * Failure paths against the stand-ins, on the ch2 target (a dedicated proxy per add-on), and for
 * the omni target's shared gateway: a permanent refusal at each step ends in compensation (zero
 * resources, Heroku told "deprovision"); a deployment that never runs fails after the deadline;
 * 429/5xx bursts are ridden out; a DELETE in the middle of provisioning leaves nothing.
 */

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  stack = await startStack('e2e-fail', { config: { DEPLOY_DEADLINE_MS: '1500', ANYPOINT_DEFAULT_TARGET: 'ch2' } });
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack.close();
  await upstream.close();
});
afterEach(() => {
  stack.anypoint.clearFaults();
  stack.heroku.clearFaults();
  stack.anypoint.configure({ failDeployments: false, neverReady: false, deployDelayMs: 150 });
});

function leftFor(uuid: string, s: Stack = stack) {
  const inv = s.anypoint.inspect();
  const hex = uuid.replace(/-/g, '');
  return (
    inv.assets.filter((a) => a.assetId.includes(uuid)).length +
    inv.softDeletedAssets.filter((a) => a.assetId.includes(uuid)).length +
    inv.apis.filter((a) => String(a.assetId).includes(uuid)).length +
    inv.applications.filter((a) => a.name.includes(hex)).length
  );
}

const anypointSteps: [string, { path: string; method?: string }][] = [
  ['createAsset', { path: '^/exchange/api/v2/organizations/', method: 'POST' }],
  ['ch2.createApiInstance', { path: '/apis$', method: 'POST' }],
  ['ch2.applyPolicy', { path: '/policies$', method: 'POST' }],
  ['ch2.deployProxy', { path: '/deployments$', method: 'POST' }],
];

describe('a permanent refusal at a step', () => {
  it.each(anypointSteps)('at %s → compensation: zero resources, record failed, Heroku told once', async (step, rule) => {
    stack.anypoint.setFaults([{ ...rule, status: 403 }]);
    const { uuid } = await stack.provision({ options: { upstream: upstream.url } });
    const rec = await stack.waitForState(uuid, 'failed');
    // the step, who refused, what to do; no ids, paths or bodies of Anypoint
    expect(rec.failureReason).toMatch(/ failed: Anypoint [A-Za-z ]+ refused the request \(403\)\. Remove the add-on and create it again/);
    expect(rec.failureReason).not.toMatch(/\/|\{|org|env-|[0-9a-f]{8}-[0-9a-f]{4}/);
    expect(rec.timeline.some((e) => e.step === step && e.status === 'failed')).toBe(true);
    expect(leftFor(uuid)).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'deprovision')).toBe(1);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(0);
    expect(rec.herokuTokensSealed).toBeUndefined();
  });

  it.each([
    ['exchangeGrant', { path: '/oauth/token', status: 401 }],
    ['findUpstream', { path: '/apps/:id/domains', status: 403 }],
    ['setConfigVars', { path: '/addons/:id/config', method: 'PATCH', status: 422 }],
  ])('at %s (Heroku) → compensation, zero resources', async (step, rule) => {
    stack.heroku.setFaults([rule]);
    const { uuid } = await stack.provision({});
    const rec = await stack.waitForState(uuid, 'failed');
    expect(rec.timeline.some((e) => e.step === step && e.status === 'failed')).toBe(true);
    expect(leftFor(uuid)).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(0);
  });

  it('a CloudHub 2.0 deployment that fails → compensation', async () => {
    stack.anypoint.configure({ failDeployments: true });
    const { uuid } = await stack.provision({ options: { upstream: upstream.url } });
    const rec = await stack.waitForState(uuid, 'failed');
    expect(rec.failureReason).toMatch(/deployment failed/);
    expect(leftFor(uuid)).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'deprovision')).toBe(1);
  });

  it('a deployment that never becomes ready fails after the deadline, leaving nothing', async () => {
    stack.anypoint.configure({ neverReady: true });
    const t0 = Date.now();
    const { uuid } = await stack.provision({ options: { upstream: upstream.url } });
    const rec = await stack.waitForState(uuid, 'failed', 15_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(rec.failureReason).toMatch(/did not start within/);
    expect(leftFor(uuid)).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(0);
  });
});

describe('transient trouble', () => {
  it('429 and 5xx bursts on every Anypoint and Heroku path → provisioned, one of everything', async () => {
    stack.anypoint.setFaults([
      { path: '^/(exchange|apimanager|proxies|amc)/', errorRate: 0.3, errorStatuses: [500, 502, 503] },
      { path: '^/(exchange|apimanager|proxies|amc)/', rateLimitRate: 0.2, retryAfterSeconds: 0 },
    ]);
    stack.heroku.setFaults([{ path: '*', status: 503, errorRate: 0.2 }]);
    const ids = await Promise.all(Array.from({ length: 5 }, () => stack.provision({ options: { upstream: upstream.url } })));
    for (const { uuid } of ids) {
      await stack.waitForState(uuid, 'provisioned', 30_000);
      const inv = stack.anypoint.inspect();
      expect(inv.assets.filter((a) => a.assetId.includes(uuid))).toHaveLength(1);
      expect(inv.apis.filter((a) => String(a.assetId).includes(uuid))).toHaveLength(1);
      expect(inv.applications.filter((a) => a.name.includes(uuid.replace(/-/g, '')))).toHaveLength(1);
      expect(stack.heroku.actionCount(uuid, 'provision')).toBe(1);
    }
  });
});

describe('a transient failure that never ends', () => {
  it('gives up at PROVISION_DEADLINE_MS and compensates, so Heroku hears it from us', async () => {
    const slow = await startStack('e2e-deadline', { config: { PROVISION_DEADLINE_MS: '2000' } });
    try {
      slow.anypoint.setFaults([{ path: '/policies$', method: 'POST', status: 503 }]);
      const { uuid } = await slow.provision({ options: { upstream: upstream.url } });
      const rec = await slow.waitForState(uuid, 'failed', 15_000);
      expect(rec.failureReason).toMatch(/could not finish within .*503/);
      // the timeline says who failed and that it is being retried; never the path, ids or body
      const retry = rec.timeline.find((e) => e.step === 'omni.applyPolicy' && e.status === 'retrying');
      expect(retry?.message).toBe('Anypoint API Manager had a server error (503); trying again automatically');
      expect(rec.failureReason).toMatch(/^Applying the rate limit failed: it could not finish within \d+ minutes \(the last try: Anypoint API Manager had a server error \(503\)\)\. Remove the add-on/);
      const inv = slow.anypoint.inspect();
      expect(inv.assets.length + inv.apis.length + inv.applications.length).toBe(0);
      expect(slow.heroku.actionCount(uuid, 'deprovision')).toBe(1);
    } finally {
      await slow.close();
    }
  });
});

describe('Anypoint access refused for good', () => {
  it('an environment that does not exist: the add-on ends failed with the reason, Heroku told, no endless retry', async () => {
    const bad = await startStack('e2e-noenv', { config: { ANYPOINT_ENVIRONMENT: 'Nope' } });
    try {
      const { uuid } = await bad.provision({ options: { upstream: upstream.url } });
      const rec = await bad.waitForState(uuid, 'failed', 15_000);
      // users read that it is our problem; the operator's log names the environments
      expect(rec.failureReason).toMatch(/^Creating the Exchange asset failed: the gateway service is not set up correctly on our side .*contact support/);
      expect(rec.failureReason).not.toMatch(/Nope|Sandbox|Production/);
      expect(rec.timeline.map((e) => e.message ?? '').join(' ')).not.toMatch(/Nope|Sandbox|Production/);
      expect(bad.logs.text()).toMatch(/environment \\?"Nope\\?" not found.*Sandbox/);
      expect(bad.heroku.actionCount(uuid, 'deprovision')).toBe(1);
      const inv = bad.anypoint.inspect();
      expect(inv.assets.length + inv.apis.length + inv.applications.length).toBe(0);
    } finally {
      await bad.close();
    }
  });
});

describe('DELETE while provisioning', () => {
  it('stops provisioning at the next step and tears down what exists: zero resources, tombstone', async () => {
    stack.anypoint.configure({ deployDelayMs: 1_000 });
    const { uuid } = await stack.provision({ options: { upstream: upstream.url } });
    await stack.waitFor(uuid, (r) => !!r.placement?.applicationName);
    const del = await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth);
    expect(del.status).toBe(204);
    const rec = await stack.waitForState(uuid, 'deprovisioned', 15_000);
    expect(rec.provisionedAt).toBeUndefined();
    expect(leftFor(uuid)).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(0);
  });
});

describe("the omni target's shared gateway", () => {
  it('a gateway the platform refuses to make: the add-on fails, saying so; nothing is left', async () => {
    const omni = await startStack('e2e-gw-refused');
    try {
      omni.anypoint.setFaults([{ path: '/gateways$', method: 'POST', status: 403 }]);
      const { uuid } = await omni.provision({ options: { upstream: upstream.url } });
      const rec = await omni.waitForState(uuid, 'failed', 15_000);
      expect(rec.failureReason).toMatch(/shared gateway could not be started/);
      expect(leftFor(uuid, omni)).toBe(0);
      expect(omni.anypoint.inspect().gateways).toHaveLength(0);
      expect(omni.heroku.actionCount(uuid, 'deprovision')).toBe(1);
      const slot = await omni.worker.gateways.get('us-1');
      expect(slot?.state).toBe('failed');
    } finally {
      await omni.close();
    }
  });

  it('a gateway that never runs: past OMNI_GATEWAY_DEADLINE_MS it is removed, its slot failed, the add-on failed', async () => {
    const omni = await startStack('e2e-gw-stuck', { config: { OMNI_GATEWAY_DEADLINE_MS: '800' } });
    try {
      omni.anypoint.configure({ neverReady: true });
      const { uuid } = await omni.provision({ options: { upstream: upstream.url } });
      const rec = await omni.waitForState(uuid, 'failed', 15_000);
      expect(rec.failureReason).toMatch(/shared gateway could not be started.*did not start within/);
      // the gateway made for the slot does not stay behind
      expect(omni.anypoint.inspect().gateways).toHaveLength(0);
      expect(leftFor(uuid, omni)).toBe(0);
    } finally {
      await omni.close();
    }
  });
});

describe('an org with hard deletion of assets switched off', () => {
  it('deprovision ends, the asset is a reported leftover (record, operator log, metric), no loop', async () => {
    const { uuid } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
    await stack.waitForState(uuid, 'provisioned');
    stack.anypoint.configure({ hardDeletionEnabled: false });
    try {
      expect((await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth)).status).toBe(204);
      const gone = await stack.waitForState(uuid, 'deprovisioned');
      // everything else went; the asset stays, named on the tombstone with why and what to do
      expect(leftFor(uuid)).toBe(1);
      expect(stack.anypoint.inspect().assets.filter((a) => a.assetId === gone.resources.assetId)).toHaveLength(1);
      expect(gone.leftovers).toHaveLength(1);
      expect(gone.leftovers?.[0]).toMatch(/^deleteAsset: Removing the Exchange asset failed: Anypoint Exchange refused to delete the asset .*hard deletion of assets is switched off for the organisation.*An organisation administrator switches hard deletion on/);
      const logged = stack.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.some((l) => String(l.msg).startsWith('leftover:') && l.subject === uuid && l.step === 'deleteAsset')).toBe(true);
      const metrics = await stack.worker.metrics.registry.getSingleMetricAsString('aag_leftovers_total');
      expect(metrics).toMatch(/aag_leftovers_total\{workflow="deprovision",step="deleteAsset"\} 1/);
      // refused once for good, not retried in a loop: one hard delete, one look at the setting
      const { calls } = (await request(stack.anypointUrl).get('/__sandbox/calls')).body as { calls: { method: string; path: string }[] };
      expect(calls.filter((c) => c.method === 'DELETE' && c.path.includes(`/exchange/api/v2/assets/`) && c.path.includes(String(gone.resources.assetId)))).toHaveLength(1);
    } finally {
      stack.anypoint.configure({ hardDeletionEnabled: true });
    }
  });
});
