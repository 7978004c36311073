import request from 'supertest';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * The omni target's pool of shared gateways: a burst makes exactly the gateways it needs, a full
 * gateway makes room on a new one, and an empty gateway beyond the region's first is removed by the
 * sweep after OMNI_GATEWAY_IDLE_GRACE_MS — never while it holds an API, never the first.
 */

type Upstream = Awaited<ReturnType<typeof startUpstream>>;
const LIMIT = 3;

let stack: Stack;
let upstream: Upstream;

beforeAll(async () => {
  stack = await startStack('e2e-pool', {
    gatewayApiLimit: LIMIT,
    config: { OMNI_GATEWAY_API_LIMIT: String(LIMIT), OMNI_GATEWAY_IDLE_GRACE_MS: '1500', WORKER_CONCURRENCY: '20' },
  });
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack.close();
  await upstream.close();
});

const names = () => stack.anypoint.inspect().gateways.map((g) => g.name).sort();
const remove = async (uuid: string) => {
  expect((await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth)).status).toBe(204);
  await stack.waitForState(uuid, 'deprovisioned');
};

it(`a burst of ${LIMIT * 3 + 1} add-ons makes exactly ceil(n / ${LIMIT}) gateways, each under its limit, then the idle sweep keeps and removes the right ones`, async () => {
  const n = LIMIT * 3 + 1;
  const made = await Promise.all(Array.from({ length: n }, () => stack.provision({ plan: 'test', options: { upstream: upstream.url } })));
  const recs = await Promise.all(made.map((m) => stack.waitForState(m.uuid, 'provisioned', 30_000)));
  expect(names()).toEqual(['aag-us-1', 'aag-us-2', 'aag-us-3', 'aag-us-4']);
  for (const g of stack.anypoint.inspect().gateways) expect(g.apis).toBeLessThanOrEqual(LIMIT);
  for (const r of recs) expect((await callGateway(r.placement!.proxyUrl!)).status).toBe(200);

  // empty the third and the fourth gateway: a sweep within the grace keeps them
  const bySlot = (slot: string) => recs.filter((r) => r.placement?.slot === slot);
  expect([1, 2, 3, 4].map((i) => bySlot(`us-${i}`).length)).toEqual([LIMIT, LIMIT, LIMIT, 1]);
  for (const r of [...bySlot('us-3'), ...bySlot('us-4')]) await remove(r.uuid);
  await stack.worker.sweeper!.sweepOnce();
  expect(names()).toEqual(['aag-us-1', 'aag-us-2', 'aag-us-3', 'aag-us-4']);

  // a gateway that gets an API again within the grace stays: the next add-on fills the first slot with room
  const back = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
  const again = await stack.waitForState(back.uuid, 'provisioned', 30_000);
  expect(again.placement?.slot).toBe('us-3');

  // past the grace: the empty gateway goes, the one that got an API back stays
  await new Promise((r) => setTimeout(r, 1_600));
  await stack.worker.sweeper!.sweepOnce();
  const gone = async (expected: string[]) => {
    for (let i = 0; i < 100 && names().join() !== expected.join(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(names()).toEqual(expected);
  };
  await gone(['aag-us-1', 'aag-us-2', 'aag-us-3']);
  // the slot is marked removed once its workflow has seen the gateway gone (its next look, DEPLOY_POLL_MS later)
  for (let i = 0; i < 100 && (await stack.worker.gateways.get('us-4'))?.state !== 'removed'; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await stack.worker.gateways.get('us-4'))?.state).toBe('removed');
  for (const r of [again, ...bySlot('us-1'), ...bySlot('us-2')]) expect((await callGateway(r.placement!.proxyUrl!)).status).toBe(200);

  // the region's first gateway stays even when empty past the grace
  for (const r of bySlot('us-1')) await remove(r.uuid);
  await new Promise((r) => setTimeout(r, 1_600));
  await stack.worker.sweeper!.sweepOnce();
  await new Promise((r) => setTimeout(r, 300));
  expect(names()).toEqual(['aag-us-1', 'aag-us-2', 'aag-us-3']);

  // a removed slot is made again when the pool needs it
  const more = await Promise.all(Array.from({ length: 2 * LIMIT }, () => stack.provision({ plan: 'test', options: { upstream: upstream.url } })));
  for (const m of more) await stack.waitForState(m.uuid, 'provisioned', 30_000);
  expect(names()).toEqual(['aag-us-1', 'aag-us-2', 'aag-us-3', 'aag-us-4']);
}, 60_000);
