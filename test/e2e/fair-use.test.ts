import request from 'supertest';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';
import { startStack, type Stack } from '../helpers/stack';
import { tableResolver } from '../helpers/dns';
import type { AddonRecord } from '../../src/domain/addon';

/**
 * Fair use (issue 15 item 3): live add-ons per Heroku app and per app owner, checked by the worker
 * once the app is known (a clear reason, Heroku told, nothing left in Anypoint); free-plan add-ons
 * overall, refused at request time with a 422 the user sees. The counts are Redis sets the store
 * keeps with each record's state.
 */

describe('per app and per owner (the worker)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('e2e-fair', { config: { MAX_ADDONS_PER_APP: '2', MAX_ADDONS_PER_OWNER: '3' }, resolve: tableResolver({}) });
  });
  afterAll(() => stack.close());

  const finalOf = (uuid: string) => stack.waitFor(uuid, (r) => r.state === 'provisioned' || r.state === 'failed', 30_000);
  const madeFor = (uuid: string) => {
    const inv = stack.anypoint.inspect();
    return inv.assets.filter((a) => a.assetId.includes(uuid)).length + inv.apis.filter((a) => String(a.assetId).includes(uuid)).length;
  };

  it('three add-ons asked at once for one app with a limit of 2: two run, the third fails cleanly with words saying why and what to do', async () => {
    const asked = await Promise.all([1, 2, 3].map(() => stack.provision({ appName: 'acme-shop', plan: 'basic' })));
    expect(asked.map((a) => a.status)).toEqual([202, 202, 202]);
    const finals: AddonRecord[] = await Promise.all(asked.map((a) => finalOf(a.uuid)));
    const failed = finals.filter((r) => r.state === 'failed');
    expect(finals.filter((r) => r.state === 'provisioned')).toHaveLength(2);
    expect(failed).toHaveLength(1);
    const [f] = failed;
    expect(f.failureReason).toBe(
      'Checking the add-on limits failed: the app acme-shop already has 2 gateways, the most one app may have. Remove a gateway it no longer needs (heroku addons), then create the add-on again.',
    );
    expect(f.timeline.some((e) => e.step === 'checkLimits' && e.status === 'failed')).toBe(true);
    expect(madeFor(f.uuid)).toBe(0);
    expect(stack.heroku.actionCount(f.uuid, 'deprovision')).toBe(1);
    expect(stack.heroku.actionCount(f.uuid, 'provision')).toBe(0);
    // the count is a set of live add-ons, kept by the store
    const appId = finals.find((r) => r.state === 'provisioned')!.resources.herokuAppId!;
    expect((await stack.store.countLive('app', appId))).toBe(2);

    // removing one frees its place
    const gone = finals.find((r) => r.state === 'provisioned')!;
    expect((await request(stack.app).delete(`/heroku/resources/${gone.uuid}`).set('Authorization', stack.auth)).status).toBe(204);
    await stack.waitForState(gone.uuid, 'deprovisioned');
    expect(await stack.store.countLive('app', appId)).toBe(1);
    const again = await stack.provision({ appName: 'acme-shop', plan: 'basic' });
    expect((await finalOf(again.uuid)).state).toBe('provisioned');
  });

  it("an owner's fourth add-on across four apps, with a limit of 3 per owner, fails with the owner's reason", async () => {
    const owner = 'ann@example.com';
    const first = await Promise.all(['ann-a', 'ann-b', 'ann-c'].map((appName) => stack.provision({ appName, owner, plan: 'basic' })));
    const firstFinals = await Promise.all(first.map((a) => finalOf(a.uuid)));
    expect(firstFinals.map((r) => r.state)).toEqual(['provisioned', 'provisioned', 'provisioned']);
    const ownerId = firstFinals[0].resources.herokuOwnerId!;
    expect(firstFinals.every((r) => r.resources.herokuOwnerId === ownerId)).toBe(true);
    expect(await stack.store.countLive('owner', ownerId)).toBe(3);

    const fourth = await stack.provision({ appName: 'ann-d', owner, plan: 'basic' });
    const rec = await finalOf(fourth.uuid);
    expect(rec.state).toBe('failed');
    expect(rec.failureReason).toMatch(/^Checking the add-on limits failed: the account that owns ann-d already has 3 gateways, the most one account may have\. Remove gateways/);
    expect(madeFor(fourth.uuid)).toBe(0);
    expect(stack.heroku.actionCount(fourth.uuid, 'deprovision')).toBe(1);
    // another owner is not affected
    const other = await stack.provision({ appName: 'bob-a', owner: 'bob@example.com', plan: 'basic' });
    expect((await finalOf(other.uuid)).state).toBe('provisioned');
  });
});

describe('the free plan overall (the web, at request time)', () => {
  let ctx: AppContext;
  beforeAll(async () => {
    ctx = await appContext('fair-free', { config: { MAX_FREE_ADDONS: '3' } });
  });
  afterAll(() => ctx.close());
  const post = (body: object) => request(ctx.app).post('/heroku/resources').set('Authorization', basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD)).send(body);

  it('past MAX_FREE_ADDONS live free add-ons, a free one is refused with a 422 the user reads; paid plans and repeats still pass', async () => {
    // many at once: the cap holds (the count and the write are one atomic step)
    const bodies = Array.from({ length: 8 }, () => provisionBody({ plan: 'test' }));
    const answers = await Promise.all(bodies.map(post));
    const accepted = bodies.filter((_, i) => answers[i].status === 202);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 202, 422, 422, 422, 422, 422]);
    const refused = answers.find((a) => a.status === 422)!;
    expect(refused.body.message).toBe("the free plan 'test' is full right now (3 free gateways are in use); choose a paid plan, or try again later");
    expect(await ctx.store.countLive('free')).toBe(3);
    // nothing was written for the refused ones
    const refusedIds = bodies.filter((_, i) => answers[i].status === 422).map((b) => b.uuid);
    for (const id of refusedIds) expect(await ctx.store.get(id)).toBeNull();

    // a paid plan is not capped; a repeat of an accepted request gets its 202 again
    expect((await post(provisionBody({ plan: 'basic' }))).status).toBe(202);
    expect((await post(accepted[0])).status).toBe(202);

    // a free add-on that ends (failed, here) frees its place
    await ctx.store.update(accepted[1].uuid, (r) => ({ ...r, state: 'failed', failureReason: 'x' }));
    expect(await ctx.store.countLive('free')).toBe(2);
    expect((await post(provisionBody({ plan: 'test' }))).status).toBe(202);
    expect((await post(provisionBody({ plan: 'test' }))).status).toBe(422);
  });
});
