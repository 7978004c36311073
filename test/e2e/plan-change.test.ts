import request from 'supertest';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

/** Plan changes that go wrong: refused for good, lost jobs, repeats. */

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  stack = await startStack('e2e-plan');
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack.close();
  await upstream.close();
});
afterEach(() => stack.anypoint.clearFaults());

const put = (uuid: string, plan: string) => request(stack.app).put(`/heroku/resources/${uuid}`).set('Authorization', stack.auth).send({ plan });

async function provisioned() {
  const { uuid } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
  return stack.waitForState(uuid, 'provisioned');
}

it('a policy rewrite refused for good is shown on the timeline and not retried forever; the next change works', async () => {
  const rec = await provisioned();
  stack.anypoint.setFaults([{ path: '/policies/[^/]+$', method: 'PATCH', status: 400 }]);
  expect((await put(rec.uuid, 'basic')).status).toBe(200);
  const failed = await stack.waitFor(rec.uuid, (r) => r.resources.planChangeFailedFor === 'basic');
  expect(failed.timeline.some((e) => e.workflow === 'plan-change' && e.step === 'applyPlan' && e.status === 'failed' && /^Applying the new plan failed: Anypoint API Manager refused the request \(400\)\. The add-on keeps the rate limit it had/.test(e.message ?? ''))).toBe(true);
  expect(failed.placement?.policyPlan).toBe('test');
  // not re-driven: the sweeper leaves it alone
  expect((await stack.worker.sweeper!.sweepOnce())!.requeued.map((r) => r.id)).not.toContain(rec.uuid);

  stack.anypoint.clearFaults();
  expect((await put(rec.uuid, 'premium')).status).toBe(200);
  const after = await stack.waitFor(rec.uuid, (r) => r.placement?.policyPlan === 'premium');
  expect(after.resources.planChangeFailedFor).toBeUndefined();
  expect((await callGateway(after.placement!.proxyUrl!)).headers['x-ratelimit-limit']).toBe('10000');
});

it('a plan change whose job was lost is found by the sweeper and applied', async () => {
  const rec = await provisioned();
  // the record says basic, but no job carries the change (as when the enqueue failed after the write)
  await stack.store.update(rec.uuid, (r) => ({ ...r, plan: 'basic' }));
  expect(await stack.store.activeIds()).toContain(rec.uuid);
  const { requeued } = (await stack.worker.sweeper!.sweepOnce())!;
  expect(requeued).toContainEqual({ workflow: 'plan-change', id: rec.uuid, key: 'basic' });
  const after = await stack.waitFor(rec.uuid, (r) => r.placement?.policyPlan === 'basic');
  expect((await callGateway(after.placement!.proxyUrl!)).headers['x-ratelimit-limit']).toBe('1000');
  // once applied, the record leaves the sweeper's set
  expect(await stack.store.activeIds()).not.toContain(rec.uuid);
});

it('basic → premium → basic: every change lands (a finished job never blocks the next with the same id)', async () => {
  const rec = await provisioned();
  for (const plan of ['basic', 'premium', 'basic']) {
    expect((await put(rec.uuid, plan)).status).toBe(200);
    await stack.waitFor(rec.uuid, (r) => r.placement?.policyPlan === plan);
  }
  const final = await stack.store.get(rec.uuid);
  expect(final?.plan).toBe('basic');
  expect((await callGateway(final!.placement!.proxyUrl!)).headers['x-ratelimit-limit']).toBe('1000');
});
