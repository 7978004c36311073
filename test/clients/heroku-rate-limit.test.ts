import { createHerokuSandbox, type HerokuSandbox } from '@aag/standins';
import { UpstreamError } from '../../src/clients/errors';
import { createHerokuClients, laneKey, RateLimitPacer, remainingFrom, type HerokuClientConfig, type PacerOptions } from '../../src/clients/heroku';

/** A clock the pacer's waits move forward (no real sleeping). */
function fakeTime(start = 1_000_000) {
  const c = {
    t: start,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.slept.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('RateLimitPacer: the rule', () => {
  it('goes at once until an answer says the budget is low, then spaces calls in proportion to how low, bounded', () => {
    const p = new RateLimitPacer({ lowWater: 450, maxPauseMs: 1_000 });
    expect(p.pauseFor(undefined)).toBe(0);
    expect(p.pauseFor(4_500)).toBe(0);
    expect(p.pauseFor(450)).toBe(0);
    expect(p.pauseFor(449)).toBe(3);
    expect(p.pauseFor(225)).toBe(500);
    expect(p.pauseFor(45)).toBe(900);
    expect(p.pauseFor(0)).toBe(1_000);
    expect(p.pauseFor(-5)).toBe(1_000);
    expect(new RateLimitPacer({ lowWater: 0 }).pauseFor(0)).toBe(0); // off
  });

  it("reads RateLimit-Remaining from every answer, counts calls sent since, refills at Heroku's 75/min, per token", async () => {
    const c = fakeTime();
    const p = new RateLimitPacer({ now: c.now, sleep: c.sleep });
    const a = laneKey('token-a');
    const b = laneKey('token-b');
    expect(a).not.toContain('token-a');
    await p.before(a);
    p.observe(a, { 'ratelimit-remaining': '100' });
    p.settle(a);
    expect(p.remaining(a)).toBe(100);
    expect(p.remaining(b)).toBeUndefined(); // another token: its own lane
    await p.before(a);
    await p.before(a);
    expect(p.remaining(a)).toBe(98);
    p.observe(a, { 'ratelimit-remaining': '97' }); // one answered, one still in flight
    expect(p.remaining(a)).toBe(96);
    p.settle(a);
    p.settle(a);
    c.t += 60_000;
    expect(p.remaining(a)).toBe(96 + 75);
    p.observe(a, { 'ratelimit-remaining': 'soon' }); // malformed: ignored
    expect(p.remaining(a)).toBe(171);
    expect(remainingFrom({})).toBeUndefined();
    expect(remainingFrom({ 'ratelimit-remaining': ' 0 ' })).toBe(0);
  });

  it('queues the calls of a low lane one pause apart, and no call waits longer than maxWaitMs', async () => {
    const c = fakeTime();
    const p = new RateLimitPacer({ lowWater: 100, maxPauseMs: 1_000, maxWaitMs: 2_500, refillPerMinute: 0, now: c.now, sleep: async (ms) => void c.slept.push(ms) });
    const k = laneKey('t');
    await p.before(k);
    p.observe(k, { 'ratelimit-remaining': '0' });
    p.settle(k);
    // five calls at once at 0 left: 0, 1000, 2000, then capped at 2500
    const waits = await Promise.all([p.before(k), p.before(k), p.before(k), p.before(k), p.before(k)]);
    expect(waits).toEqual([0, 1_000, 2_000, 2_500, 2_500]);
  });
});

describe('the Platform API client against the Heroku stand-in: a burst slows down before 429', () => {
  let heroku: HerokuSandbox;
  let url: string;

  beforeAll(async () => {
    // a small budget that refills fast: 40 deep, 1,200 a minute (one every 50 ms)
    heroku = createHerokuSandbox({ rateLimit: 40, rateLimitRefillPerMinute: 1_200 });
    url = (await heroku.start(0)).url;
  });
  afterAll(async () => {
    await heroku.close();
  });

  const cfg = (): HerokuClientConfig => ({
    HEROKU_API_URL: url,
    HEROKU_ID_URL: url,
    HEROKU_OAUTH_CLIENT_SECRET: 'dev-heroku-oauth-client-secret',
    HTTP_TIMEOUT_MS: 5_000,
    HTTP_MAX_TRIES: 1, // a 429 is seen, not retried away
    HTTP_BACKOFF_BASE_MS: 1,
    HTTP_BACKOFF_MAX_MS: 1,
  });

  /** 4 callers × 20 calls of one add-on's token, as fast as they go; counts the 429s Heroku answered. */
  async function burst(rateLimit: PacerOptions) {
    const clients = createHerokuClients(cfg(), { rateLimit: { refillPerMinute: 1_200, budget: 40, ...rateLimit } });
    const body = heroku.createAddon({ plan: 'test' });
    const tokens = await clients.oauth.exchangeGrant(body.oauth_grant.code);
    const platform = clients.platform({ get: async () => tokens.accessToken, refresh: async () => tokens.accessToken });
    let limited = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 20; i++) {
          try {
            await platform.getAddon(body.uuid);
          } catch (e) {
            if (e instanceof UpstreamError && e.status === 429 && e.code === 'rate_limit') limited++;
            else throw e;
          }
        }
      }),
    );
    const answered = heroku.calls().filter((c) => c.addonUuid === body.uuid && c.path === `/addons/${body.uuid}`);
    return { limited, seen429: answered.filter((c) => c.status === 429).length, calls: answered.length, ms: Date.now() - started };
  }

  it('without the slowdown the same burst runs into 429', async () => {
    const r = await burst({ lowWater: 0 });
    expect(r.calls).toBe(80);
    expect(r.seen429).toBeGreaterThan(5);
    expect(r.limited).toBe(r.seen429);
  });

  it('with it, no call gets 429: the calls are spaced once RateLimit-Remaining runs low', async () => {
    const r = await burst({ lowWater: 20, maxPauseMs: 100 });
    expect(r.calls).toBe(80);
    expect(r.seen429).toBe(0);
    expect(r.limited).toBe(0);
    // it did slow down: 80 calls on a 40-deep budget refilled every 50 ms take over a second
    expect(r.ms).toBeGreaterThan(1_000);
  }, 20_000);

  it('the stand-in says what is left on every Platform API answer, injected faults included', async () => {
    const clients = createHerokuClients(cfg(), { rateLimit: { lowWater: 0 } });
    const body = heroku.createAddon({ plan: 'test' });
    const tokens = await clients.oauth.exchangeGrant(body.oauth_grant.code);
    const res = await fetch(`${url}/addons/${body.uuid}`, { headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${tokens.accessToken}` } });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThan(30);
    heroku.setFaults([{ path: '/addons/:addon', method: 'GET', status: 503, times: 1 }]);
    const faulted = await fetch(`${url}/addons/${body.uuid}`, { headers: { Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${tokens.accessToken}` } });
    expect(faulted.status).toBe(503);
    expect(Number(faulted.headers.get('ratelimit-remaining'))).toBeGreaterThan(30);
    heroku.clearFaults();
  });
});
