import request from 'supertest';
import { AuthFailures } from '../../src/store/auth-failures';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';

/**
 * Failed Basic-auth attempts (Heroku's credentials and the operator's) are limited per source IP
 * (issue 15 item 8): past AUTH_FAILURE_LIMIT failures in the window, every attempt from that source
 * gets 429 with Retry-After (right credentials too: guessing learns nothing more), counted in
 * `aag_auth_failures_total`. Other sources are not affected. The web trusts one proxy hop (the
 * Heroku router), so the source is the X-Forwarded-For address the router appends.
 */

let ctx: AppContext;
beforeAll(async () => {
  ctx = await appContext('auth-limit', { config: { AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
});
// the windows are fixed minutes: start each test well inside one
beforeEach(async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
}, 15_000);
afterAll(() => ctx.close());

const good = () => basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD);
const admin = () => basic('admin', ctx.config.ADMIN_PASSWORD);
const provision = (from: string, authz: string) => request(ctx.app).post('/heroku/resources').set('X-Forwarded-For', from).set('Authorization', authz).send(provisionBody());
const metrics = async () => (await request(ctx.app).get('/metrics').set('X-Forwarded-For', '198.51.100.99').set('Authorization', admin())).text;

it('three wrong passwords → 401 each; the fourth attempt, even with the right one, → 429 with Retry-After; another source is not affected', async () => {
  const attacker = '203.0.113.7';
  for (let i = 0; i < 3; i++) expect((await provision(attacker, basic(ctx.config.ADDON_ID, `guess-${i}-xxxxxxxxxxxx`))).status).toBe(401);
  const limited = await provision(attacker, basic(ctx.config.ADDON_ID, 'guess-4-xxxxxxxxxxxx'));
  expect(limited.status).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(limited.body.message).toMatch(/too many failed sign-in attempts/);
  const right = await provision(attacker, good());
  expect(right.status).toBe(429);
  expect(await ctx.store.allIds()).toEqual([]);

  // Heroku, from its own address, is not locked out by someone else's guesses
  expect((await provision('198.51.100.20', good())).status).toBe(202);

  const text = await metrics();
  expect(text).toMatch(/aag_auth_failures_total\{scope="heroku",outcome="refused"\} 3/);
  expect(text).toMatch(/aag_auth_failures_total\{scope="heroku",outcome="limited"\} 2/);
});

it('a window ends: the count starts again (and the keys expire with it)', async () => {
  let now = 1_700_000_040_000; // the start of a 60 s window
  const failures = new AuthFailures(ctx.redis, ctx.prefix, 2, 60, () => now);
  await failures.fail('heroku', '192.0.2.1');
  await failures.fail('heroku', '192.0.2.1');
  now += 15_000;
  expect(await failures.check('heroku', '192.0.2.1')).toBe(45);
  expect(await failures.check('heroku', '192.0.2.2')).toBeNull();
  const key = `${ctx.prefix}:authfail:heroku:192.0.2.1:${1_700_000_040_000 / 60_000}`;
  expect(await ctx.redis.ttl(key)).toBeGreaterThan(50);
  now += 45_000;
  expect(await failures.check('heroku', '192.0.2.1')).toBeNull();
});

it("the operator's credentials (/admin/queues, /metrics) are limited the same way, apart from Heroku's", async () => {
  const from = '203.0.113.50';
  const console = (authz: string) => request(ctx.app).get('/admin/queues/api/queues').set('X-Forwarded-For', from).set('Authorization', authz);
  for (let i = 0; i < 3; i++) expect((await console(basic('admin', `wrong-${i}-xxxxxxxx`))).status).toBe(401);
  expect((await console(admin())).status).toBe(429);
  expect((await request(ctx.app).get('/metrics').set('X-Forwarded-For', from).set('Authorization', admin())).status).toBe(429);
  // the same source's Heroku credentials are a separate count
  expect((await provision(from, good())).status).toBe(202);
  expect(await metrics()).toMatch(/aag_auth_failures_total\{scope="admin",outcome="limited"\} 2/);
});

it('a request with no credentials at all (a browser before its prompt) is not counted', async () => {
  const from = '203.0.113.90';
  for (let i = 0; i < 6; i++) expect((await request(ctx.app).get('/admin/queues').set('X-Forwarded-For', from)).status).toBe(401);
  expect((await request(ctx.app).get('/admin/queues/api/queues').set('X-Forwarded-For', from).set('Authorization', admin())).status).toBe(200);
});
